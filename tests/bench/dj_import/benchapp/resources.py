"""The django-import-export resource for the benchmark's file, set up as its documentation advises
for a register: rows matched by the natural key (``import_id_fields``), each instance validated as
a form would (``clean_model_instances``), unchanged rows skipped and reported (``skip_unchanged``),
and choices read from the labels people write (a widget)."""

from import_export import fields, resources, widgets

from .models import Client


class LabelChoice(widgets.Widget):
    """A choice written as its label ("Noor") or code ("youth")."""

    def __init__(self, choices):
        super().__init__()
        self.by_text = {label.casefold(): code for code, label in choices} | {code: code for code, _ in choices}

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        return self.by_text.get(str(value).strip().casefold(), value)


class ClientResource(resources.ModelResource):
    personal_code = fields.Field(attribute="personal_code", column_name="Isikukood")
    last_name = fields.Field(attribute="last_name", column_name="Perekonnanimi")
    first_name = fields.Field(attribute="first_name", column_name="Eesnimi")
    target_group = fields.Field(
        attribute="target_group", column_name="Sihtrühm", widget=LabelChoice(Client.TARGET_GROUPS)
    )
    status = fields.Field(attribute="status", column_name="Staatus", widget=LabelChoice(Client.STATUSES))
    phone = fields.Field(attribute="phone", column_name="Telefon")

    class Meta:
        model = Client
        fields = ("personal_code", "last_name", "first_name", "target_group", "status", "phone")
        import_id_fields = ("personal_code",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
