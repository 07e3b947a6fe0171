"""Infomaterjalid: what was forwarded to SKA or published on the municipality's website, with the file."""

import io
import re
import unicodedata
import uuid
import zipfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Choice, ChoiceType, Versioned, choice_check, db
from .users import User


class MaterialKind(Choice):
    FORWARDED_TO_SKA = "forwarded_to_ska", _l("Forwarded to SKA")
    PUBLISHED = "published", _l("Published on the municipality's website")


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


class Material(Versioned, db.Model):
    """Infomaterjal: a leaflet, guide or notice, where it went and when."""

    __tablename__ = "material"
    __table_args__ = (choice_check("kind", MaterialKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300), index=True)
    kind: Mapped[MaterialKind] = mapped_column(ChoiceType(MaterialKind), index=True)
    sent_on: Mapped[date] = mapped_column(index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    by: Mapped[User | None] = relationship()
    url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str | None] = mapped_column(sa.Text)
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    stored_name: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(120))
    size: Mapped[int | None]

    def __str__(self) -> str:
        return self.title


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


def store_upload(stream, name: str, folder: Path, max_bytes: int) -> dict:
    """Check an upload's size and type by content and keep it under ``folder`` by a generated name.

    Returns the columns of ``Material`` that describe the file; raises ``UploadError`` (and keeps
    nothing) when the file is empty, too large or not of an accepted type."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise UploadError(_l("The file is empty."))
    if len(data) > max_bytes:
        raise UploadError(_l("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)))
    content_type, extension = sniff(data)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{extension}"
    (folder / stored).write_bytes(data)
    return {
        "file_name": safe_name(name, extension),
        "stored_name": stored,
        "content_type": content_type,
        "size": len(data),
    }


def remove_upload(folder: Path, stored_name: str | None) -> None:
    """Delete a kept file (a generated name only: never a path given from outside)."""
    if stored_name and re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored_name):
        (folder / stored_name).unlink(missing_ok=True)


def material_errors(m: Material) -> dict[str, str]:
    """What is wrong with an information material record, by field."""
    errors: dict[str, str] = {}
    if not (m.title or "").strip():
        errors["title"] = str(_l("Give the title."))
    if m.sent_on and m.sent_on > date.today():
        errors["sent_on"] = str(_l("This date is in the future."))
    if m.url and not m.url.startswith(("https://", "http://")):
        errors["url"] = str(_l("Give a web address starting with https://."))
    return errors
