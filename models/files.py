"""Stored files: every uploaded file (an information material's, a letter's attachment or answer) is
kept in the database, so that the app keeps nothing on its own disk and any app server can hand it out.

A file is checked before it is kept: not empty, not over the size limit, of a type told by its first
bytes (never by its name or the type the browser claims), and its shown name made safe. The content
is a deferred column: lists and forms never load it, only a download does."""

import hashlib
import io
import re
import unicodedata
import zipfile
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .users import User

# What an upload may be, told by its first bytes (never by its name): signature -> (type, extension).
SIGNATURES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}
ZIP = b"PK\x03\x04"
# Office documents are zip archives: told apart by the part inside that makes each what it is.
OOXML = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".pptx",
    ),
}
ODF = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
#: The only types a file is ever served as; anything else (a file kept before these checks) goes out
#: as application/octet-stream, so a browser never renders it (no HTML, no SVG).
SERVED_TYPES = frozenset({*(t for t, _ in SIGNATURES.values()), *(t for t, _ in OOXML.values()), *ODF})
OCTET_STREAM = "application/octet-stream"


class StoredFile(db.Model):
    """One kept file: its safe name, the type found in its content, size, SHA-256 and the bytes."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.name

    @property
    def served_type(self) -> str:
        """The type the file is sent with: the one found in its content, never one a browser renders."""
        return self.content_type if self.content_type in SERVED_TYPES else OCTET_STREAM


class UploadError(ValueError):
    """An upload that may not be kept; the message is for the person who sent it."""


def sniff(data: bytes) -> tuple[str, str]:
    """(content type, extension) of a file by its content; refuses anything not on the list."""
    for signature, found in SIGNATURES.items():
        if data.startswith(signature):
            return found
    if data.startswith(ZIP):
        found = _office(data)
        if found:
            return found
    raise UploadError(_l("Only PDF, PNG, JPEG and office documents (docx, xlsx, pptx, odt, ods) can be attached."))


def _office(data: bytes) -> tuple[str, str] | None:
    """The office document type of a zip archive, or None when it is not one we take."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                return next((OOXML[part] for part in OOXML if part in names), None)
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return (mimetype, ODF[mimetype]) if mimetype in ODF else None
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError, NotImplementedError):
        return None
    return None


# Characters never kept in a shown file name: path separators, those Windows refuses, markup.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;&$`\'%{}\[\]]+')
# Extensions a shown name may keep for a type besides the one ``sniff`` gives.
_ALSO = {".jpg": (".jpeg",)}


def safe_name(name: str, extension: str) -> str:
    """The name a file is shown and downloaded under: the last part of what was sent (no folders),
    letters kept (õ, ä, ö, ü too), unsafe characters turned into '_', at most 200 characters,
    ending in the extension its content was found to have."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(_UNSAFE.sub("_", name).split()).strip(" ._")
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in (extension, *_ALSO.get(extension, ())):
        extension = f".{suffix}"
    else:
        stem = name
    stem = stem.strip(" ._")[: 200 - len(extension)] or "file"
    return f"{stem}{extension}"


def stored_file(data: bytes, name: str, user_id: int | None = None) -> StoredFile:
    """A ``StoredFile`` for ``data`` (already checked by ``sniff``'s rules), not yet in a session:
    it is saved with the record that refers to it, in the same transaction, or not at all."""
    content_type, extension = sniff(data)
    return StoredFile(
        name=safe_name(name, extension),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        created_by_id=user_id,
    )


def take_upload(stream, name: str, max_bytes: int, user_id: int | None = None) -> StoredFile:
    """Check an upload's size and type by content and make the ``StoredFile`` that keeps it.

    Raises ``UploadError`` when the file is empty, too large or not of an accepted type."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise UploadError(_l("The file is empty."))
    if len(data) > max_bytes:
        raise UploadError(_l("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    return stored_file(data, name, user_id)


def simple_pdf(title: str, lines: tuple[str, ...] = ()) -> bytes:
    """A small, well-formed one-page PDF with a title and a few lines (the demo's documents)."""

    def text(value: str) -> bytes:
        raw = value.encode("latin-1", "replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    body = b"BT /F1 16 Tf 50 780 Td (%s) Tj /F1 11 Tf" % text(title)
    for line in lines:
        body += b" 0 -24 Td (%s) Tj" % text(line)
    body += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
