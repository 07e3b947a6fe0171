"""The letter register's files: attachments and the answer, kept under the instance folder by generated
names, only when the letter is saved, and served as downloads to those who may see the letter."""

from flask import abort, g, request, send_from_directory
from flask_admin import expose

from models import Letter, LetterAttachment
from models.base import db
from models.materials import UploadError, remove_upload, store_upload

from .letter_format import may_see
from .materials import max_upload_bytes, upload_folder


def letter_folder():
    """Letters' files: ``uploads/letters`` in the instance folder."""
    return upload_folder() / "letters"


class LetterFiles:
    """Upload, replace, remove and download a letter's files (mixed into ``LetterView``)."""

    def take_files(self, form, model) -> dict[str, str]:
        """Keep the uploaded attachment and answer file, drop the attachments ticked for removal;
        return the upload problems by field. The files are settled once the database has answered."""
        errors: dict[str, str] = {}
        g.letter_files = {"new": [], "old": []}
        folder, limit = letter_folder(), max_upload_bytes()
        for name in ("attachment", "answer_file"):
            upload = form[name].data if name in form else None
            if upload is None or not getattr(upload, "filename", None):
                continue
            try:
                info = store_upload(upload.stream, upload.filename, folder, limit)
            except UploadError as exc:
                errors[name] = str(exc)
                continue
            g.letter_files["new"].append(info["stored_name"])
            if name == "attachment":
                model.attachments.append(LetterAttachment(**info))
            else:
                if model.answer_stored_name:
                    g.letter_files["old"].append(model.answer_stored_name)
                for column, value in info.items():
                    setattr(model, f"answer_{column}", value)
        if "remove_attachments" in form and form.remove_attachments.data:
            chosen = set(form.remove_attachments.data)
            for attachment in [a for a in model.attachments if str(a.id) in chosen]:
                g.letter_files["old"].append(attachment.stored_name)
                model.attachments.remove(attachment)
        return errors

    def _settle_files(self, saved: bool) -> None:
        """After the database has answered: drop replaced and removed files, or the new ones if nothing was saved."""
        files = g.pop("letter_files", None)
        if files:
            for stored in files["old"] if saved else files["new"]:
                remove_upload(letter_folder(), stored)

    def create_model(self, form):
        model = super().create_model(form)
        self._settle_files(bool(model))
        return model

    def update_model(self, form, model):
        saved = super().update_model(form, model)
        self._settle_files(bool(saved))
        return saved

    def on_model_delete(self, model):
        g.letter_deleted = [a.stored_name for a in model.attachments] + [model.answer_stored_name]

    def after_model_delete(self, model):
        for stored in g.pop("letter_deleted", []):
            remove_upload(letter_folder(), stored)

    # --- Files: to those who may see the letter, always as a download -----------------------------

    def _send(self, stored: str, content_type: str, name: str):
        response = send_from_directory(
            letter_folder(), stored, mimetype=content_type, as_attachment=True, download_name=name, max_age=0
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/answer-file/")
    def answer_file_view(self):
        letter = db.session.get(Letter, request.args.get("id", type=int) or 0)
        if letter is None or not letter.answer_stored_name:
            abort(404)
        if not may_see(letter):
            abort(403)
        return self._send(letter.answer_stored_name, letter.answer_content_type, letter.answer_file_name)

    @expose("/attachment/")
    def attachment_view(self):
        attachment = db.session.get(LetterAttachment, request.args.get("id", type=int) or 0)
        if attachment is None:
            abort(404)
        if not may_see(attachment.letter):
            abort(403)
        return self._send(attachment.stored_name, attachment.content_type, attachment.file_name)
