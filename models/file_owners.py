"""The records that keep stored files (``models.files``): an information material's document, a
letter's attachments and its answer, the e-invoice an invoice was sent as. It sits above ``files``,
``letters``, ``materials`` and ``invoices``, which import none of it, so a new kind of record with a
file is added here and nowhere else."""

import sqlalchemy as sa

from .files import StoredFile
from .invoices import Invoice
from .letters import Letter, LetterAttachment
from .materials import Material


def orphans():
    """A query of the stored files no record refers to (there should never be one)."""
    used = sa.union(
        sa.select(Material.document_id).where(Material.document_id.is_not(None)),
        sa.select(Letter.answer_document_id).where(Letter.answer_document_id.is_not(None)),
        sa.select(LetterAttachment.document_id),
        sa.select(Invoice.einvoice_id).where(Invoice.einvoice_id.is_not(None)),
    )
    return sa.select(StoredFile).where(StoredFile.id.not_in(used))
