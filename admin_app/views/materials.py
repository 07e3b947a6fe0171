"""Infomaterjalid: information materials forwarded to SKA or published, with the file attached
(kept in the database with the record: see ``models.files``)."""

from flask import abort, current_app, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from wtforms import BooleanField, FileField, validators

from models import Material, RuleViolation, UploadError, material_errors
from models.base import db

from ..access_rules import shows_no_person
from ..registers.base import RegisterView
from ..registers.shared import CASE_WORKERS, case_workers, signed_in_user
from ..registers.stored_files import send_stored, take


def _accepted() -> str:
    return gettext(
        "PDF, PNG, JPEG or an office document (docx, xlsx, pptx, odt, ods), at most %(mb)s MB.",
        mb=current_app.config["MAX_UPLOAD_MB"],
    )


def _size(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} kB"
    return f"{n / (1024 * 1024):.1f} MB".replace(".", ",")


def _file_link(model) -> Markup:
    document = model.document
    if document is None:
        return Markup("")
    return Markup('<a href="{}">{}</a> <small class="text-muted text-nowrap">{}</small>').format(
        url_for(".download_view", id=model.id), document.name, _size(document.size)
    )


def _file(view, context, model, name):
    return _file_link(model)


def _url(view, context, model, name):
    """A web address as a link, only when it is one (never a javascript: or data: link)."""
    url = model.url or ""
    if not url.startswith(("https://", "http://")):
        return url
    return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(url, url)


class MaterialView(RegisterView):
    """Infomaterjalid: what went to SKA or onto the website, when, by whom, with the file."""

    read_roles = CASE_WORKERS
    write_roles = CASE_WORKERS
    rules = material_errors

    column_list = ("sent_on", "kind", "title", "by", "file", "url")
    column_details_list = ("sent_on", "kind", "title", "by", "url", "note", "file")
    column_labels = {
        "sent_on": _l("Date"),
        "kind": _l("Kind"),
        "title": _l("Title"),
        "by": _l("By"),
        "by.full_name": _l("By"),
        "url": _l("Web address"),
        "note": _l("Note"),
        "file": _l("File"),
        "document.name": _l("File"),
        "remove_file": _l("Remove the attached file"),
    }
    column_formatters = column_formatters_detail = {"file": _file, "url": _url}
    column_searchable_list = ("title", "note", "document.name")
    column_filters = ("kind", "sent_on", "by.full_name")
    column_sortable_list = ("sent_on", "kind", "title", ("by", "by.full_name"))
    column_default_sort = [("sent_on", True), ("id", True)]

    form_columns = ("title", "kind", "sent_on", "by", "url", "note", "file", "remove_file")
    form_extra_fields = {
        "file": FileField(_l("File"), description=LazyString(_accepted)),
        "remove_file": BooleanField(_l("Remove the attached file")),
    }
    form_args = {
        "title": {"validators": [validators.InputRequired()]},
        "by": {"query_factory": case_workers},
        "url": {"description": _l("Where it was published, e.g. https://rapla.ee/…")},
    }

    def create_form(self, obj=None):
        form = super().create_form(obj)
        del form.remove_file
        if request.method == "GET" and form.by.data is None:
            form.by.data = signed_in_user()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and obj.document is not None:
            form.file.description = Markup("{} {}. {}").format(
                gettext("Attached:"), _file_link(obj), gettext("Choose a file to replace it.")
            )
        else:
            del form.remove_file
        return form

    # --- Saving: the file is kept in the same transaction as the record, or not at all ----------

    def on_model_change(self, form, model, is_created):
        if is_created and model.by is None:
            model.by = signed_in_user()
        errors = material_errors(model)
        try:
            document = take(form.file.data)
        except UploadError as exc:
            errors["file"] = str(exc)
        else:
            if document is not None:
                model.document = document  # the one replaced is deleted with the change (an orphan)
            elif "remove_file" in form and form.remove_file.data:
                model.document = None
        if errors:
            for field, message in errors.items():
                if field in form:
                    form[field].errors = [*form[field].errors, message]
            raise RuleViolation(errors)

    # --- Download: only to those who may read the register and the record, always as an attachment ---

    @shows_no_person
    @expose("/download/")
    def download_view(self):
        material = self.get_one(str(request.args.get("id", type=int) or 0))
        if material is None:
            abort(404)
        return send_stored(material.document_id)


def register(admin) -> None:
    admin.add_view(
        MaterialView(
            Material,
            db,
            name=_l("Information materials"),
            endpoint="materials",
            url="materials",
            category=_l("Case work"),
        )
    )
