"""Noortegarantii: importing a round's list from STAR: upload, column mapping, preview of every row,
and saving on confirmation. The rules are ``models.youth_import``'s; this module holds the file
between the preview and the confirmation (in the instance folder, never in the database)."""

import re
import secrets
from datetime import date, datetime
from pathlib import Path

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from models import Half, YouthRound
from models.youth_import import (
    CLIENT,
    EARLIER,
    ERROR,
    FIELDS,
    NEW,
    ImportError_,
    guess_mapping,
    mapping_errors,
    preview,
    read_table,
    round_errors,
    save_round,
)

_TOKEN = re.compile(r"[0-9a-f]{32}\.(xlsx|csv|txt)")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "youth-import"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _day(text: str | None) -> date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
    return None


def _defaults(today: date) -> dict:
    """The round the list most likely is: spring (queried 15 March) or autumn (15 October)."""
    spring = today.month < 10
    queried = date(today.year, 3, 15) if spring else date(today.year, 10, 15)
    return {
        "year": str(today.year),
        "half": Half.SPRING.value if spring else Half.AUTUMN.value,
        "queried_on": f"{queried:%d.%m.%Y}",
        "received_on": f"{today:%d.%m.%Y}",
    }


def _mapping_from_form(headings: list[str]) -> dict[str, int | None]:
    mapping = {}
    for key in FIELDS:
        value = request.form.get(f"map_{key}", "")
        mapping[key] = int(value) if value.isdigit() and int(value) < len(headings) else None
    return mapping


def import_page(view):
    """The import screen: GET shows the upload form; POST uploads, previews again, or confirms."""
    today = date.today()
    step = request.form.get("step", "")
    values = _defaults(today) if request.method == "GET" else {k: request.form.get(k, "") for k in _defaults(today)}
    context = {"values": values, "halves": Half.choices(), "fields": FIELDS, "errors": {}}
    if request.method == "GET":
        return view.render("admin/youth_import.html", **context)
    token = request.form.get("token", "")
    if step == "upload":
        upload = request.files.get("list")
        if upload is None or not upload.filename:
            flash(gettext("Choose the list's file (xlsx or CSV)."), "error")
            return view.render("admin/youth_import.html", **context)
        suffix = Path(upload.filename).suffix.lower().lstrip(".")
        if suffix not in ("xlsx", "csv", "txt"):
            flash(gettext("Choose an xlsx or CSV file."), "error")
            return view.render("admin/youth_import.html", **context)
        token = f"{secrets.token_hex(16)}.{suffix}"
        (_folder() / token).write_bytes(upload.read())
        values["file_name"] = Path(upload.filename).name[:255]
    elif not _TOKEN.fullmatch(token) or not (_folder() / token).exists():
        flash(gettext("The uploaded file is no longer here: choose it again."), "error")
        return view.render("admin/youth_import.html", **context)
    else:
        values["file_name"] = request.form.get("file_name", "")[:255]
    try:
        headings, rows = read_table((_folder() / token).read_bytes(), token)
    except ImportError_ as e:
        (_folder() / token).unlink(missing_ok=True)
        flash(str(e), "error")
        return view.render("admin/youth_import.html", **context)
    mapping = guess_mapping(headings) if step == "upload" else _mapping_from_form(headings)
    year = int(values["year"]) if values["year"].strip().isdigit() else None
    queried_on, received_on = _day(values["queried_on"]), _day(values["received_on"])
    errors = {**round_errors(year, values["half"], queried_on, received_on), **mapping_errors(mapping, len(headings))}
    previewed = (
        preview(headings, rows, mapping, queried_on)
        if not mapping_errors(mapping, len(headings)) and queried_on
        else []
    )
    if step == "confirm" and not errors:
        round_ = YouthRound(
            year=year,
            half=values["half"],
            queried_on=queried_on,
            received_on=received_on,
            file_name=values["file_name"] or None,
            imported_by_id=current_user.id,
        )
        try:
            round_, n = save_round(round_, headings, mapping, previewed)
        except IntegrityError:
            flash(gettext("Nothing was saved: this round was imported by someone else meanwhile."), "error")
        else:
            (_folder() / token).unlink(missing_ok=True)
            flash(
                ngettext(
                    "Round %(name)s saved with %(num)s young person.",
                    "Round %(name)s saved with %(num)s young people.",
                    n,
                    name=str(round_),
                ),
                "success",
            )
            return redirect(url_for(".index_view"))
    if step == "confirm" and errors:
        flash(gettext("Nothing was saved: correct what is marked below."), "error")
    counts = {kind: sum(1 for r in previewed if r.kind == kind) for kind in (NEW, CLIENT, EARLIER, ERROR)}
    context.update(
        token=token,
        headings=headings,
        mapping=mapping,
        rows=previewed,
        counts=counts,
        errors=errors,
        kinds={
            NEW: gettext("new"),
            CLIENT: gettext("already a client"),
            EARLIER: gettext("on an earlier round"),
            ERROR: gettext("error"),
        },
    )
    return view.render("admin/youth_import.html", **context)
