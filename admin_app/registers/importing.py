"""Import into a register: upload a file, see a preview (new, updated with old → new, unchanged, and
errors on their cells), download the error rows as a workbook, confirm. The checks and the save are
``models.importing``'s; this is the screens. Mixed into a register view before ``RegisterView``, with
``import_register`` naming its import (a key of ``models.importing.ADAPTERS``) and ``import_also`` the
imports of its rows' parts that are kept on the same screen (a provider's staff, a client's network);
the list's *Import* menu offers each, and the pages carry the choice as ``?what=``.

The uploaded file and its preview are kept in the database (``models.import_files``) for the user who
uploaded it, for a day; the confirm imports that same file again, refusing records changed since the
preview. A file of more than ``BACKGROUND_IMPORT_ROWS`` rows has its preview and its save run as
background jobs (``import_jobs``)."""

import os
import re
import tempfile
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import format_number, gettext
from flask_login import current_user

from exports.tabular import MIME, Column, Conventions, Sheet, write_xlsx
from models import AccessKind, Client, Download, db, importing
from models.import_files import ImportFile, find, forget, keep_upload, stored_result, write_file

from ..access_rules import LOGS_ACCESS, SHOWS_NO_PERSON
from . import import_jobs
from .seen import note_seen

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
SUFFIXES = (".xlsx", ".csv", ".txt")


class _Scratch:
    """A temporary file's path for the length of a ``with`` block."""

    def __enter__(self) -> str:
        fd, self.path = tempfile.mkstemp(prefix="juhtum-import-")
        os.close(fd)
        return self.path

    def __exit__(self, *exc) -> None:
        os.unlink(self.path)


def _progress(download):
    return redirect(url_for("downloads.progress", download_id=download.id))


class ImportMixin:
    """*Impordi* next to *Ekspordi* on a register's list (see the module)."""

    import_register: str | None = None
    #: Further imports offered from this list, of rows kept inside its records (keys of ADAPTERS).
    import_also: tuple[str, ...] = ()
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

    def import_choices(self) -> list[tuple[str | None, str]]:
        """The imports the list's menu offers: (``what``, title); the register's own has no ``what``."""
        return [(None, str(self.name))] + [(a, str(importing.ADAPTERS[a].title)) for a in self.import_also]

    def _import_check(self) -> None:
        if not self.may_import():
            abort(403)

    def _what(self) -> str:
        """The import chosen by ``?what=``: the register's own unless it names one of ``import_also``."""
        what = request.args.get("what")
        return what if what in self.import_also else self.import_register

    def _kept(self, token: str) -> ImportFile:
        """The kept upload of ``token``: only its uploader's, on this register; else 404."""
        kept = find(token) if TOKEN.fullmatch(token or "") else None
        if kept is None or kept.owner_id != current_user.id:
            abort(404)
        endpoint, what = import_jobs.kept_for(kept)
        if endpoint != self.endpoint or what not in (self.import_register, *self.import_also):
            abort(404)
        return kept

    def _title(self, what: str) -> str:
        return str(self.name if what == self.import_register else importing.ADAPTERS[what].title)

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        self._import_check()
        what = self._what()
        if request.method == "POST":
            upload = request.files.get("file")
            name = Path(upload.filename or "").name if upload is not None else ""
            if not name:
                flash(gettext("Choose a file to import."), "error")
            elif not name.lower().endswith(SUFFIXES):
                flash(gettext("Import an Excel workbook (xlsx) or a CSV file."), "error")
            else:
                with _Scratch() as path:
                    upload.save(path)
                    with open(path, "rb") as handle:
                        kept = keep_upload(
                            handle,
                            owner_id=current_user.id,
                            register=import_jobs.kept_as(self.endpoint, what, self.import_register),
                            file_name=name,
                            rows_total=importing.count_rows(path),
                            hours=current_app.config["DOWNLOAD_KEEP_HOURS"],
                        )
                    if import_jobs.in_background(kept):
                        return _progress(import_jobs.start(import_jobs.PREVIEW, self, kept))
                    if self._build_preview(kept, path):
                        return redirect(self.get_url(".import_preview", token=kept.token))
                forget(kept.id)
        return self.render(
            "admin/import_upload.html",
            headings=self._adapter(what).headings(),
            title=self._title(what),
            what=None if what == self.import_register else what,
            background_rows=format_number(current_app.config["BACKGROUND_IMPORT_ROWS"]),
        )

    def _adapter(self, what: str):
        return importing.adapter_for(what, db.session)

    def _build_preview(self, kept: ImportFile, path) -> bool:
        try:
            import_jobs.build_preview(self, kept, path)
        except importing.FileError as e:
            flash(str(e), "error")
            return False
        return True

    def _result(self, kept: ImportFile):
        """The preview of ``kept``; a redirect to its job's progress while a job builds it."""
        result = stored_result(kept)
        if result is None:
            job = db.session.get(Download, kept.download_id) if kept.download_id else None
            if job is not None:  # being built, or its job failed: its page says which
                return None, _progress(job)
            abort(404)
        return result, None

    @expose("/import/<token>/")
    def import_preview(self, token: str):
        self._import_check()
        kept = self._kept(token)
        result, wait = self._result(kept)
        if wait is not None:
            return wait
        if self.model is Client:
            shown = sorted({r.record_id for r in result.rows if r.record_id is not None})
            if shown:
                note_seen(shown, AccessKind.DETAILS, "client")
        what = import_jobs.kept_for(kept)[1]
        return self.render(
            "admin/import_preview.html",
            result=result,
            file=kept.file_name,
            token=token,
            title=self._title(what),
            what=None if what == self.import_register else what,
        )

    @expose("/import/<token>/confirm/", methods=("POST",))
    def import_confirm(self, token: str):
        self._import_check()
        kept = self._kept(token)
        running = import_jobs.running_job(kept)
        if running is not None:  # its preview is still being built, or its save runs: one at a time
            return _progress(running)
        if stored_result(kept) is None:
            abort(404)
        if import_jobs.in_background(kept):
            return _progress(import_jobs.start(import_jobs.SAVE, self, kept))
        file_name = kept.file_name
        with _Scratch() as path:
            write_file(kept.id, path)
            result = import_jobs.save_kept(self, kept, path)
            if result.saved:
                flash(gettext("Imported %(file)s: %(summary)s.", file=file_name, summary=result.summary()), "success")
                return redirect(self.get_url(".index_view"))
            flash(import_jobs.refusal(result), "error")
            self._build_preview(kept, path)
        return redirect(self.get_url(".import_preview", token=token))

    @expose("/import/<token>/errors.xlsx")
    def import_errors(self, token: str):
        self._import_check()
        kept = self._kept(token)
        result, wait = self._result(kept)
        if wait is not None:
            return wait
        headings = [h or "" for h in result.headings]
        columns = [Column(h) for h in headings] + [Column(gettext("Errors"))]
        rows = (
            [*(r.cells + [None] * len(headings))[: len(headings)], "; ".join(f"{k}: {v}" for k, v in r.errors.items())]
            for r in result.rows
            if r.status == "error"
        )
        stem = Path(kept.file_name).stem
        title = self._title(import_jobs.kept_for(kept)[1])
        return self._xlsx(Sheet(name=title, columns=columns), rows, f"{stem}-errors.xlsx")

    @expose("/import/template.xlsx")
    def import_template(self):
        self._import_check()
        what = self._what()
        sheet = Sheet(name=self._title(what), columns=[Column(h) for h in self._adapter(what).headings()])
        return self._xlsx(sheet, [], f"{what}-template.xlsx")

    def _xlsx(self, sheet: Sheet, rows, name: str) -> Response:
        import io

        buffer = io.BytesIO()
        write_xlsx(buffer, sheet, rows, Conventions())
        buffer.seek(0)
        return send_file(buffer, mimetype=MIME["xlsx"], as_attachment=True, download_name=name)
