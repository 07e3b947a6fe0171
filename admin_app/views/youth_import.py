"""Noortegarantii: importing a round's list from STAR: upload, column mapping, preview of every row,
and saving on confirmation. The rules are ``models.youth_import``'s; the file waits between the preview
and the confirmation in the instance folder, never in the database (``admin_app.youth_import_jobs``,
which also previews and saves a long list in the background)."""

import re
import secrets
from datetime import date, datetime
from pathlib import Path

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
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
    count_rows,
    guess_mapping,
    mapping_errors,
    open_table,
    preview,
    read_table,
    round_errors,
    save_round,
)

from ..background import start_job
from ..youth_import_jobs import folder, forget, stored_preview

_TOKEN = re.compile(r"[0-9a-f]{32}\.(xlsx|csv|txt)")


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
    """The import screen: GET shows the upload form (or a preview made in the background); POST
    uploads, previews again, or confirms. A list longer than YOUTH_BACKGROUND_ROWS is previewed and
    saved by background jobs (``admin_app.youth_import_jobs``): the user may leave the page meanwhile."""
    today = date.today()
    step = request.form.get("step", "")
    values = _defaults(today) if request.method == "GET" else {k: request.form.get(k, "") for k in _defaults(today)}
    context = {"values": values, "halves": Half.choices(), "fields": FIELDS, "errors": {}}
    if request.method == "GET":
        token = request.args.get("token", "")
        stored = stored_preview(token) if _TOKEN.fullmatch(token) else None
        if token and stored is None:
            flash(gettext("The uploaded file is no longer here: choose it again."), "error")
        if stored is not None:
            context.update(token=token, **_shown(stored["headings"], stored["mapping"], stored["rows"]))
            context.update(values=stored["values"], counts=stored["counts"], total=stored["total"])
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
        upload.save(folder() / token)
        values["file_name"] = Path(upload.filename).name[:255]
    elif not _TOKEN.fullmatch(token) or not (folder() / token).exists():
        flash(gettext("The uploaded file is no longer here: choose it again."), "error")
        return view.render("admin/youth_import.html", **context)
    else:
        values["file_name"] = request.form.get("file_name", "")[:255]
    config = current_app.config
    try:
        headings, rows = open_table(folder() / token, token)
        rows.close()
        total = count_rows(folder() / token, token)
        if total > config["YOUTH_MAX_ROWS"]:
            raise ImportError_(_l("The file holds more than %(n)s rows.", n=config["YOUTH_MAX_ROWS"]))
    except ImportError_ as e:
        forget(token)
        flash(str(e), "error")
        return view.render("admin/youth_import.html", **context)
    mapping = guess_mapping(headings) if step == "upload" else _mapping_from_form(headings)
    year = int(values["year"]) if values["year"].strip().isdigit() else None
    queried_on, received_on = _day(values["queried_on"]), _day(values["received_on"])
    errors = {**round_errors(year, values["half"], queried_on, received_on), **mapping_errors(mapping, len(headings))}
    in_background = total > config["YOUTH_BACKGROUND_ROWS"]
    round_values = {"year": year, "half": values["half"], "queried_on": queried_on, "received_on": received_on}
    if step == "confirm" and not errors and in_background:
        return _in_background("youth-import-save", token, values, mapping, total, **round_values)
    if in_background and not mapping_errors(mapping, len(headings)) and queried_on and step != "confirm":
        return _in_background("youth-import-preview", token, values, mapping, total, **round_values)
    if in_background:  # a confirmation refused: the preview made in the background, with what is wrong
        stored = stored_preview(token)
        previewed = stored["rows"] if stored else []
        if stored:
            context.update(counts=stored["counts"], total=stored["total"])
    else:
        previewed = (
            preview(*read_table((folder() / token).read_bytes(), token), mapping, queried_on)
            if not mapping_errors(mapping, len(headings)) and queried_on
            else []
        )
    if step == "confirm" and not errors:
        round_ = YouthRound(file_name=values["file_name"] or None, imported_by_id=current_user.id, **round_values)
        try:
            round_, n = save_round(round_, headings, mapping, previewed)
        except IntegrityError:
            flash(gettext("Nothing was saved: this round was imported by someone else meanwhile."), "error")
        else:
            forget(token)
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
    context.update(token=token, errors=errors, **_shown(headings, mapping, previewed))
    context.setdefault(
        "counts", {kind: sum(1 for r in previewed if r.kind == kind) for kind in (NEW, CLIENT, EARLIER, ERROR)}
    )
    context.setdefault("total", len(previewed))
    return view.render("admin/youth_import.html", **context)


def _shown(headings: list[str], mapping: dict, rows: list) -> dict:
    return {
        "headings": headings,
        "mapping": mapping,
        "rows": rows,
        "kinds": {
            NEW: gettext("new"),
            CLIENT: gettext("already a client"),
            EARLIER: gettext("on an earlier round"),
            ERROR: gettext("error"),
        },
    }


def _in_background(kind: str, token: str, values: dict, mapping: dict, total: int, **round_values):
    """Start the preview or the save of a long list as a job; its page shows the progress."""
    saving = kind == "youth-import-save"
    params = {
        "token": token,
        "file_name": values["file_name"],
        "values": values,
        "mapping": mapping,
        **{k: v.isoformat() if isinstance(v, date) else v for k, v in round_values.items()},
    }
    title = (
        gettext("Saving the youth guarantee list %(file)s", file=values["file_name"])
        if saving
        else gettext("Preview of the youth guarantee list %(file)s", file=values["file_name"])
    )
    download = start_job(kind, title=title, params=params, rows_total=total)
    return redirect(url_for("downloads.progress", download_id=download.id))
