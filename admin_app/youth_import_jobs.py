"""Noortegarantii: a round's list too long to preview or save within a request (more rows than the
setting YOUTH_BACKGROUND_ROWS) is previewed and saved by background jobs (``admin_app.background``).

The uploaded file waits in the instance folder (``folder()``) between the steps, never in the
database; a preview made in the background is kept beside it as JSON for its owner, and the job's
result link opens the import page on it. Saving reads the file again as a stream, previews each row
again (a client or a round may have been added meanwhile) and writes the records in batches, all in
one transaction: if anything fails, nothing is saved and the job says why."""

import json
from datetime import date
from pathlib import Path

from flask import current_app, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from models import YouthRound
from models.youth_import import (
    CLIENT,
    EARLIER,
    ERROR,
    NEW,
    ImportError_,
    PreviewRow,
    mapping_errors,
    open_table,
    preview_rows,
    round_errors,
    save_round,
)

from .background import JobOutcome, job, view_of

#: How many rows of a preview made in the background are shown: every row with an error first
#: (up to this many), then the first of the others. The counts are always of every row.
SHOWN_ROWS = 500


def folder() -> Path:
    path = Path(current_app.instance_path) / "youth-import"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _preview_path(token: str) -> Path:
    return folder() / f"{token}.preview.json"


def forget(token: str) -> None:
    """The uploaded file and its stored preview are no longer needed."""
    (folder() / token).unlink(missing_ok=True)
    _preview_path(token).unlink(missing_ok=True)


def stored_preview(token: str) -> dict | None:
    """The preview made in the background for the signed-in user from the file ``token``, if any."""
    path = _preview_path(token)
    if not (folder() / token).exists() or not path.exists():
        return None
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("owner_id") != current_user.id:
        return None
    stored["rows"] = [
        PreviewRow(r["row"], r["values"], r["kind"], errors=[tuple(e) for e in r["errors"]]) for r in stored["rows"]
    ]
    return stored


def _may_import() -> None:
    view = view_of("youth")
    if view is None or not view.may_write():
        raise PermissionError(gettext("%(who)s may no longer import youth guarantee lists.", who=current_user))


def _table(token: str):
    path = folder() / token
    if not path.exists():
        raise ValueError(gettext("The uploaded file is no longer here: choose it again."))
    try:
        return open_table(path, token)
    except ImportError_ as e:
        raise ValueError(str(e)) from None


@job("youth-import-preview")
def preview_job(download, path, report) -> JobOutcome:
    """Preview every row of a long list; keep the counts and the rows to show for the import page."""
    _may_import()
    p = download.params
    headings, rows = _table(p["token"])
    mapping = {k: v for k, v in p["mapping"].items()}
    counts = {kind: 0 for kind in (NEW, CLIENT, EARLIER, ERROR)}
    problems, others = [], []
    read = 0
    for r in preview_rows(headings, rows, mapping, date.fromisoformat(p["queried_on"])):
        read += 1
        counts[r.kind] += 1
        if r.errors and len(problems) < SHOWN_ROWS:
            problems.append(r)
        elif not r.errors and len(others) < SHOWN_ROWS:
            others.append(r)
        if read % 1000 == 0:
            report(read)
    shown = sorted(problems + others[: max(SHOWN_ROWS - len(problems), 0)], key=lambda r: r.row)
    stored = {
        "owner_id": current_user.id,
        "values": p["values"],
        "mapping": mapping,
        "headings": headings,
        "counts": counts,
        "total": read,
        "rows": [
            {
                "row": r.row,
                "kind": r.kind,
                "errors": r.errors,
                "values": {k: r.values.get(k) for k in ("personal_code", "first_name", "last_name", "email", "phone")},
            }
            for r in shown
        ],
    }
    _preview_path(p["token"]).write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    return JobOutcome(
        read,
        message=gettext(
            "%(rows)s rows previewed: new %(new)s, already a client %(client)s, on an earlier round %(earlier)s, "
            "with an error %(error)s. Nothing is saved until you confirm.",
            rows=read,
            **counts,
        ),
        result_url=url_for("youth.import_view", token=p["token"]),
    )


@job("youth-import-save")
def save_job(download, path, report) -> JobOutcome:
    """Save a long list's round: the file read again, every row previewed again, one transaction."""
    _may_import()
    p = download.params
    headings, rows = _table(p["token"])
    mapping = {k: v for k, v in p["mapping"].items()}
    queried_on, received_on = date.fromisoformat(p["queried_on"]), date.fromisoformat(p["received_on"])
    errors = {**round_errors(p["year"], p["half"], queried_on, received_on), **mapping_errors(mapping, len(headings))}
    if errors:
        rows.close()
        raise ValueError(gettext("Nothing was saved: %(why)s", why=" ".join(dict.fromkeys(errors.values()))))
    round_ = YouthRound(
        year=p["year"],
        half=p["half"],
        queried_on=queried_on,
        received_on=received_on,
        file_name=p["file_name"] or None,
        imported_by_id=current_user.id,
    )
    try:
        round_, saved = save_round(
            round_, headings, mapping, preview_rows(headings, rows, mapping, queried_on), report=report
        )
    except IntegrityError:
        raise ValueError(gettext("Nothing was saved: this round was imported by someone else meanwhile.")) from None
    forget(p["token"])
    return JobOutcome(
        download.rows_total,
        message=ngettext(
            "Round %(name)s saved with %(num)s young person.",
            "Round %(name)s saved with %(num)s young people.",
            saved,
            name=str(round_),
        ),
        result_url=url_for("youth.index_view"),
    )
