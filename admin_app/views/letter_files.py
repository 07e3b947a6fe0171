"""The letter register's files: attachments and the answer, kept in the database with the letter (in
the same transaction, or not at all), and served as downloads to those who may see the letter."""

from flask import abort, request
from flask_admin import expose

from models import LetterAttachment, UploadError
from models.base import db

from ..access_rules import logs_access
from ..registers.stored_files import send_stored, take
from .letter_format import may_see


class LetterFiles:
    """Upload, replace, remove and download a letter's files (mixed into ``LetterView``)."""

    def take_files(self, form, model) -> dict[str, str]:
        """Attach the uploaded attachment and answer file, drop the attachments ticked for removal;
        return the upload problems by field. What is replaced or removed is deleted with the save."""
        errors: dict[str, str] = {}
        for name in ("attachment", "answer_file"):
            try:
                document = take(form[name].data if name in form else None)
            except UploadError as exc:
                errors[name] = str(exc)
                continue
            if document is None:
                continue
            if name == "attachment":
                model.attachments.append(LetterAttachment(document=document))
            else:
                model.answer_document = document
        if "remove_attachments" in form and form.remove_attachments.data:
            chosen = set(form.remove_attachments.data)
            for attachment in [a for a in model.attachments if str(a.id) in chosen]:
                model.attachments.remove(attachment)
        return errors

    # --- Files: to those who may see the letter, always as a download; else "not found" -----------

    def _letter(self, letter_id: int | None):
        """The letter when the signed-in user may see its content, else 404 (as if there were none)."""
        letter = self.get_one(str(letter_id or 0))
        if letter is None or not may_see(letter):
            abort(404)
        return letter

    @logs_access
    @expose("/answer-file/")
    def answer_file_view(self):
        letter = self._letter(request.args.get("id", type=int))
        return send_stored(letter.answer_document_id)

    @logs_access
    @expose("/attachment/")
    def attachment_view(self):
        attachment = db.session.get(LetterAttachment, request.args.get("id", type=int) or 0)
        if attachment is None:
            abort(404)
        self._letter(attachment.letter_id)
        return send_stored(attachment.document_id)
