"""Handing out a stored file: read from the database (every app server has it), always as a download,
never as something a browser would render (HTML, SVG), never cached."""

import io

import sqlalchemy as sa
from flask import abort, current_app, send_file
from flask_login import current_user
from sqlalchemy.orm import undefer

from models import StoredFile
from models.base import db
from models.files import take_upload


def max_upload_bytes() -> int:
    return current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024


def take(upload) -> StoredFile | None:
    """The ``StoredFile`` for a form's file field data, None when no file was chosen; raises
    ``UploadError`` with the message for the form when the file may not be kept."""
    if upload is None or not getattr(upload, "filename", None):
        return None
    user_id = current_user.id if current_user.is_authenticated else None
    return take_upload(upload.stream, upload.filename, max_upload_bytes(), user_id)


def send_stored(document_id: int | None):
    """The response for a stored file: 404 when there is none."""
    document = (
        db.session.scalar(
            sa.select(StoredFile).where(StoredFile.id == document_id).options(undefer(StoredFile.content))
        )
        if document_id
        else None
    )
    if document is None:
        abort(404)
    return send_download(document.content, document.name, document.served_type, etag=document.sha256)


def send_download(content: bytes, name: str, mimetype: str, etag: str | None = None):
    """``content`` as a download named ``name``: never rendered by the browser, never cached."""
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=True,
        download_name=name,
        etag=etag or False,
        max_age=0,
        conditional=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
