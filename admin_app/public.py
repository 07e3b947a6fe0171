"""Dokumendiregister: the public document register of letters and answers (AvTS § 11–12), no sign-in.

It shows what the law lets anyone see and nothing more: the page is built from plain rows made here,
never from the letters themselves, so a restricted subject or a private person's name cannot reach it.
"""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext
from sqlalchemy import and_, func, or_, select

from models import Letter, SenderKind, db
from models.text import LIKE_ESCAPE, contains_pattern

from .access_rules import shows_no_person

bp = Blueprint("public_register", __name__, url_prefix="/register")

#: Longest search text taken (characters).
MAX_QUERY = 100


@dataclass(frozen=True)
class PublicRow:
    """One letter as the public sees it."""

    number: str
    registered_on: date
    kind: str
    sender: str
    subject: str
    restricted: bool
    restriction: str
    status: str
    answered_on: date | None
    outgoing_number: str


def public_row(letter: Letter) -> PublicRow:
    """A letter's public metadata: a private person's name and a restricted letter's sender and subject
    are replaced by what may be shown."""
    restricted = bool(letter.is_restricted)
    if restricted:
        sender = "AK"
    elif letter.sender_kind == SenderKind.ORGANISATION:
        sender = letter.sender_name or ""
    else:
        sender = gettext("Private person")
    restriction = ""
    if restricted:
        restriction = gettext(
            "%(basis)s, until %(day)s", basis=letter.restriction_basis, day=f"{letter.restricted_until:%d.%m.%Y}"
        )
    return PublicRow(
        number=letter.number,
        registered_on=letter.registered_on,
        kind=str(letter.kind),
        sender=sender,
        subject="AK" if restricted else letter.subject,
        restricted=restricted,
        restriction=restriction,
        status=str(letter.status),
        answered_on=letter.answered_on,
        outgoing_number=letter.outgoing_number or "",
    )


def search_condition(text: str):
    """Letters a search finds: by number always; by subject or an organisation's name only when the
    letter is not restricted, so a hidden word never finds its letter."""
    like = contains_pattern(text)
    shown = ~Letter.is_restricted
    return or_(
        Letter.number.ilike(like, escape=LIKE_ESCAPE),
        Letter.outgoing_number.ilike(like, escape=LIKE_ESCAPE),
        and_(shown, Letter.subject.ilike(like, escape=LIKE_ESCAPE)),
        and_(
            shown,
            Letter.sender_kind == SenderKind.ORGANISATION.value,
            Letter.sender_name.ilike(like, escape=LIKE_ESCAPE),
        ),
    )


@bp.get("/")
@shows_no_person
def index():
    """The register: newest first, searchable, a page at a time."""
    text = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    size = current_app.config["PUBLIC_REGISTER_PAGE_SIZE"]
    query = select(Letter)
    if text:
        query = query.where(search_condition(text))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // size))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    letters = db.session.scalars(
        query.order_by(Letter.registered_on.desc(), Letter.id.desc()).limit(size).offset((page - 1) * size)
    )
    return render_template(
        "public/register.html",
        rows=[public_row(letter) for letter in letters],
        q=text,
        page=page,
        pages=pages,
        window=[n for n in range(1, pages + 1) if n in (1, pages) or abs(n - page) <= 2],
        total=total,
    )


def init_app(app) -> None:
    app.register_blueprint(bp)
