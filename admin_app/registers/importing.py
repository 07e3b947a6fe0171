"""Import into a register: upload a file, see a preview (new, updated with old → new, unchanged, and
errors on their cells), download the error rows as a workbook, confirm. The checks and the save are
``models.importing``'s; this is the screens. Mixed into a register view before ``RegisterView``, with
``import_register`` naming its import (a key of ``models.importing.ADAPTERS``).

The uploaded file and its preview are kept under the instance directory (``imports/<token>/``) for
the user who uploaded it, for a day; the confirm imports that same file again, refusing records
changed since the preview."""

import json
import re
import secrets
import shutil
import time
from collections import Counter
from pathlib import Path

from flask import Response, abort, flash, redirect, request, send_file
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from config import instance_dir
from exports.tabular import MIME, Column, Conventions, Sheet, write_xlsx
from models import AccessKind, Client, db, importing
from models.importing.engine import Result, RowOutcome

from ..access_rules import LOGS_ACCESS, SHOWS_NO_PERSON
from .access import limited_user_id
from .seen import note_seen

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
KEEP_SECONDS = 24 * 3600
SUFFIXES = (".xlsx", ".csv", ".txt")


def imports_dir() -> Path:
    return instance_dir() / "imports"


def _clean_old() -> None:
    """Previews nobody confirmed within a day go."""
    root = imports_dir()
    if not root.is_dir():
        return
    for path in root.iterdir():
        if path.is_dir() and time.time() - path.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(path, ignore_errors=True)


def result_json(result: Result) -> dict:
    return {
        "headings": [None if h is None else str(h) for h in result.headings],
        "counts": dict(result.counts),
        "rows": [vars(r) | {"record": None} for r in result.rows],
        "plan": result.plan,
        "ignored": result.ignored_headings,
        "stale": result.stale,
    }


def result_from(data: dict) -> Result:
    result = Result(headings=data["headings"], counts=Counter(data["counts"]), plan=data["plan"])
    result.rows = [RowOutcome(**row) for row in data["rows"]]
    result.ignored_headings, result.stale = data["ignored"], data["stale"]
    return result


class ImportMixin:
    """*Impordi* next to *Ekspordi* on a register's list (see the module)."""

    import_register: str | None = None
    list_template = "admin/import_list.html"
    #: The preview shows stored values of the records a file updates: of clients, logged as seen.
    access_rules = {
        "import_view": SHOWS_NO_PERSON,
        "import_template": SHOWS_NO_PERSON,
        "import_confirm": SHOWS_NO_PERSON,
        "import_errors": SHOWS_NO_PERSON,
        "import_preview": LOGS_ACCESS,
    }

    def may_import(self) -> bool:
        return self.import_register is not None and self.may_write()

    def _import_check(self) -> None:
        if not self.may_import():
            abort(403)

    def _folder(self, token: str) -> tuple[Path, dict]:
        """The kept upload of ``token``: only its uploader's, on this register; else 404."""
        if not TOKEN.fullmatch(token or ""):
            abort(404)
        folder = imports_dir() / token
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            abort(404)
        if meta.get("user_id") != current_user.id or meta.get("register") != self.endpoint:
            abort(404)
        return folder, meta

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        self._import_check()
        if request.method == "POST":
            upload = request.files.get("file")
            name = Path(upload.filename or "").name if upload is not None else ""
            if not name:
                flash(gettext("Choose a file to import."), "error")
            elif not name.lower().endswith(SUFFIXES):
                flash(gettext("Import an Excel workbook (xlsx) or a CSV file."), "error")
            else:
                _clean_old()
                token = secrets.token_urlsafe(24)
                folder = imports_dir() / token
                folder.mkdir(parents=True)
                upload.save(folder / "upload")
                meta = {"user_id": current_user.id, "register": self.endpoint, "file": name[:200]}
                if self._build_preview(folder, meta):
                    return redirect(self.get_url(".import_preview", token=token))
                shutil.rmtree(folder, ignore_errors=True)
        return self.render("admin/import_upload.html", headings=self._adapter().headings())

    def _adapter(self):
        return importing.adapter_for(self.import_register, db.session)

    def _build_preview(self, folder: Path, meta: dict) -> bool:
        try:
            result = importing.preview(
                self.import_register, folder / "upload", db.session, scope_user_id=limited_user_id()
            )
        except importing.FileError as e:
            flash(str(e), "error")
            return False
        meta["result"] = result_json(result)
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        return True

    @expose("/import/<token>/")
    def import_preview(self, token: str):
        self._import_check()
        _, meta = self._folder(token)
        result = result_from(meta["result"])
        if self.model is Client:
            shown = sorted({r.record_id for r in result.rows if r.record_id is not None})
            if shown:
                note_seen(shown, AccessKind.DETAILS, "client")
        return self.render("admin/import_preview.html", result=result, file=meta["file"], token=token)

    @expose("/import/<token>/confirm/", methods=("POST",))
    def import_confirm(self, token: str):
        self._import_check()
        folder, meta = self._folder(token)
        source = gettext("imported from %(file)s", file=meta["file"])
        result = importing.save(
            self.import_register,
            folder / "upload",
            db.session,
            source=source,
            plan=meta["result"]["plan"],
            scope_user_id=limited_user_id(),
        )
        if result.saved:
            shutil.rmtree(folder, ignore_errors=True)
            flash(gettext("Imported %(file)s: %(summary)s.", file=meta["file"], summary=result.summary()), "success")
            return redirect(self.get_url(".index_view"))
        if result.stale:
            flash(
                gettext(
                    "Nothing was saved: %(n)s records were changed by someone else after the preview. "
                    "The preview has been built again; check it and confirm again.",
                    n=len(result.stale),
                ),
                "error",
            )
        else:
            flash(gettext("Nothing was saved: some rows have errors."), "error")
        self._build_preview(folder, meta)
        return redirect(self.get_url(".import_preview", token=token))

    @expose("/import/<token>/errors.xlsx")
    def import_errors(self, token: str):
        self._import_check()
        _, meta = self._folder(token)
        result = result_from(meta["result"])
        headings = [h or "" for h in result.headings]
        columns = [Column(h) for h in headings] + [Column(gettext("Errors"))]
        rows = (
            [*(r.cells + [None] * len(headings))[: len(headings)], "; ".join(f"{k}: {v}" for k, v in r.errors.items())]
            for r in result.rows
            if r.status == "error"
        )
        stem = Path(meta["file"]).stem
        return self._xlsx(Sheet(name=str(self.name), columns=columns), rows, f"{stem}-errors.xlsx")

    @expose("/import/template.xlsx")
    def import_template(self):
        self._import_check()
        sheet = Sheet(name=str(self.name), columns=[Column(h) for h in self._adapter().headings()])
        return self._xlsx(sheet, [], f"{self.endpoint}-template.xlsx")

    def _xlsx(self, sheet: Sheet, rows, name: str) -> Response:
        import io

        buffer = io.BytesIO()
        write_xlsx(buffer, sheet, rows, Conventions())
        buffer.seek(0)
        return send_file(buffer, mimetype=MIME["xlsx"], as_attachment=True, download_name=name)
