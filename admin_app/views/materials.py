"""Infomaterjalid: information materials forwarded to SKA or published, with the file attached."""

from pathlib import Path

from flask import abort, current_app, g, request, send_from_directory, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from wtforms import BooleanField, FileField, validators

from models import Material, RuleViolation, material_errors
from models.base import db
from models.materials import UploadError, remove_upload, store_upload

from .base import RegisterView
from .shared import CASE_WORKERS, case_workers, signed_in_user

FILE_COLUMNS = ("file_name", "stored_name", "content_type", "size")


def upload_folder() -> Path:
    """Where attached files are kept: ``uploads/`` in the instance folder, never under static/."""
    return Path(current_app.instance_path) / "uploads"


def max_upload_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


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
    if not model.stored_name:
        return Markup("")
    return Markup('<a href="{}">{}</a> <small class="text-muted text-nowrap">{}</small>').format(
        url_for(".download_view", id=model.id), model.file_name, _size(model.size)
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
        "file_name": _l("File"),
        "remove_file": _l("Remove the attached file"),
    }
    column_formatters = column_formatters_detail = {"file": _file, "url": _url}
    column_searchable_list = ("title", "note", "file_name")
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
        if obj is not None and obj.stored_name:
            form.file.description = Markup("{} {}. {}").format(
                gettext("Attached:"), _file_link(obj), gettext("Choose a file to replace it.")
            )
        else:
            del form.remove_file
        return form

    # --- Saving: the file is kept only when the record is, and the old one goes once replaced ---

    def on_model_change(self, form, model, is_created):
        if is_created and model.by is None:
            model.by = signed_in_user()
        errors = material_errors(model)
        upload = form.file.data
        old = model.stored_name
        if upload is not None and getattr(upload, "filename", None):
            try:
                info = store_upload(upload.stream, upload.filename, upload_folder(), max_upload_bytes())
            except UploadError as exc:
                errors["file"] = str(exc)
            else:
                g.material_files = {"new": info["stored_name"], "old": old}
                for column, value in info.items():
                    setattr(model, column, value)
        elif "remove_file" in form and form.remove_file.data and old:
            g.material_files = {"new": None, "old": old}
            for column in FILE_COLUMNS:
                setattr(model, column, None)
        if errors:
            for field, message in errors.items():
                if field in form:
                    form[field].errors = [*form[field].errors, message]
            raise RuleViolation(errors)

    def _settle_files(self, saved: bool) -> None:
        """After the database has answered: drop the replaced file, or the new one if nothing was saved."""
        files = g.pop("material_files", None)
        if files:
            remove_upload(upload_folder(), files["old"] if saved else files["new"])

    def create_model(self, form):
        model = super().create_model(form)
        self._settle_files(bool(model))
        return model

    def update_model(self, form, model):
        saved = super().update_model(form, model)
        self._settle_files(bool(saved))
        return saved

    def on_model_delete(self, model):
        g.material_deleted = model.stored_name

    def after_model_delete(self, model):
        remove_upload(upload_folder(), g.pop("material_deleted", None))

    # --- Download: only to those who may read the register, always as an attachment ---

    @expose("/download/")
    def download_view(self):
        material = db.session.get(Material, request.args.get("id", type=int) or 0)
        if material is None or not material.stored_name:
            abort(404)
        response = send_from_directory(
            upload_folder(),
            material.stored_name,
            mimetype=material.content_type,
            as_attachment=True,
            download_name=material.file_name or material.stored_name,
            max_age=0,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-store"
        return response


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
