"""The client columns the benchmark imports, as a Django model: the same types, lengths, choices and
unique personal code as juhtum's ``models.clients.Client``, the personal code checked with
python-stdnum as juhtum checks it, and the birth date and sex derived from it."""

from django.core.exceptions import ValidationError
from django.db import models
from stdnum.ee import ik
from stdnum.exceptions import ValidationError as StdnumError


def valid_personal_code(value: str) -> None:
    try:
        ik.validate(value)
    except StdnumError:
        raise ValidationError("Not a valid Estonian personal ID code.") from None


class Client(models.Model):
    TARGET_GROUPS = [("pilot", "Täiskasvanu"), ("youth", "Noor"), ("special_needs", "Erivajadusega")]
    STATUSES = [("applicant", "Taotleja"), ("active", "Aktiivne"), ("paused", "Peatatud"), ("exited", "Lahkunud")]

    personal_code = models.CharField(max_length=11, unique=True, validators=[valid_personal_code])
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100, db_index=True)
    birth_date = models.DateField(null=True, blank=True, db_index=True)
    sex = models.CharField(max_length=1, blank=True)
    target_group = models.CharField(max_length=20, choices=TARGET_GROUPS, db_index=True)
    status = models.CharField(max_length=20, choices=STATUSES, default="applicant", db_index=True)
    phone = models.CharField(max_length=40, blank=True, null=True)
    version = models.IntegerField(default=1)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "benchapp"
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def clean(self) -> None:
        if self.personal_code and not self.birth_date:
            try:
                self.birth_date = ik.get_birth_date(self.personal_code)
                self.sex = ik.get_gender(self.personal_code)
            except StdnumError:
                pass  # the field's validator says what is wrong
