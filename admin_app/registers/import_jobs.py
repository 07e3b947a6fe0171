"""An import's preview and save, in the request or, for a file of more than ``BACKGROUND_IMPORT_ROWS``
rows, as background jobs (admin_app/background.py): the user sees the progress bar and may leave; the
finished preview waits under "My downloads" with a link to it, and the save's outcome says how many
records are new and updated, with a link to the register.

A job runs signed in as the user who asked, so the same rules hold as in the request: their least
access (a case manager's scope), the whole save in one transaction, the version check against edits
made after the preview (refused, and the preview built again), and the audit "imported from FILE"
under their name. The file and the preview are kept in the database (``models.import_files``), so
the web and a worker on another machine share them."""

from flask import current_app, url_for
from flask_babel import format_number, gettext
from flask_login import current_user

from models import Download, DownloadStatus, db, importing
from models.import_files import ImportFile, forget, set_job, set_result, write_file

from ..background import JobOutcome, job, start_job, view_of
from .access import limited_user_id

PREVIEW = "import-preview"
SAVE = "import-save"


def kept_as(endpoint: str, what: str, own: str) -> str:
    """What an upload records as its register: the view's endpoint, and after a colon the import
    when it is not the view's own (``providers:provider_staff``)."""
    return endpoint if what == own else f"{endpoint}:{what}"


def kept_for(kept: ImportFile) -> tuple[str, str]:
    """The view's endpoint and the import (a key of ADAPTERS) an upload is for (see ``kept_as``)."""
    endpoint, _, what = kept.register.partition(":")
    if not what:
        what = getattr(view_of(endpoint), "import_register", None) or ""
    return endpoint, what


def in_background(kept: ImportFile) -> bool:
    return kept.rows_total > current_app.config["BACKGROUND_IMPORT_ROWS"]


def running_job(kept: ImportFile):
    """The background job still working on ``kept`` (its preview or its save), if any."""
    download = db.session.get(Download, kept.download_id) if kept.download_id else None
    if download is not None and download.status in (DownloadStatus.QUEUED.value, DownloadStatus.RUNNING.value):
        return download
    return None


def build_preview(view, kept: ImportFile, path, progress=None) -> importing.Result:
    """The preview of ``kept``'s file (at ``path``) as the signed-in user may import it, kept with it.
    Raises ``importing.FileError`` for a file that is no table."""
    result = importing.preview(kept_for(kept)[1], path, db.session, scope_user_id=limited_user_id(), progress=progress)
    set_result(kept.id, result)
    return result


def save_kept(view, kept: ImportFile, path, progress=None) -> importing.Result:
    """Save ``kept``'s file (at ``path``) against its preview's plan; when saved, the upload goes."""
    result = importing.save(
        kept_for(kept)[1],
        path,
        db.session,
        source=gettext("imported from %(file)s", file=kept.file_name),
        plan=kept.result["plan"],
        scope_user_id=limited_user_id(),
        progress=progress,
    )
    if result.saved:
        forget(kept.id)
    return result


def refusal(result: importing.Result) -> str:
    """Why nothing was saved."""
    if result.stale:
        return gettext(
            "Nothing was saved: %(n)s records were changed by someone else after the preview. "
            "The preview has been built again; check it and confirm again.",
            n=len(result.stale),
        )
    return gettext("Nothing was saved: some rows have errors.")


def saved_message(file_name: str, result: importing.Result) -> str:
    return gettext(
        "Imported %(file)s: %(new)s new, %(update)s updated.",
        file=file_name,
        new=format_number(result.counts["new"]),
        update=format_number(result.counts["update"]),
    )


def start(kind: str, view, kept: ImportFile):
    """Queue the preview or the save of ``kept`` as a job of the signed-in user; its download."""
    if kind == PREVIEW:
        title = gettext("Import preview: %(file)s", file=kept.file_name)
    else:
        what = kept_for(kept)[1]
        register = view.name if what == view.import_register else importing.ADAPTERS[what].title
        title = gettext("Saving the import of %(file)s into %(register)s", file=kept.file_name, register=register)
    download = start_job(kind, title=title, params={"import_id": kept.id}, rows_total=kept.rows_total)
    set_job(kept.id, download.id)
    return download


def _kept_and_view(download):
    kept = db.session.get(ImportFile, (download.params or {}).get("import_id"))
    if kept is None or kept.owner_id != current_user.id:
        raise LookupError(gettext("The uploaded file is no longer kept; upload it again."))
    endpoint, what = kept_for(kept)
    view = view_of(endpoint)
    if view is None or not view.may_import() or what not in (view.import_register, *view.import_also):
        raise PermissionError(gettext("%(who)s may no longer import into this register.", who=current_user))
    return kept, view


# The job's request is not the view's ("/admin/"): its addresses are built with the view's endpoint.


@job(PREVIEW)
def preview_job(download, path, report) -> JobOutcome:
    kept, view = _kept_and_view(download)
    write_file(kept.id, path)
    try:
        result = build_preview(view, kept, path, progress=report)
    except importing.FileError as e:
        forget(kept.id)
        raise importing.FileError(str(e)) from None  # its message in the user's language
    return JobOutcome(
        sum(result.counts.values()),
        message=result.summary(),
        result_url=url_for(f"{view.endpoint}.import_preview", token=kept.token),
    )


@job(SAVE)
def save_job(download, path, report) -> JobOutcome:
    kept, view = _kept_and_view(download)
    if kept.result is None:
        raise LookupError(gettext("The import has no preview to confirm; upload the file again."))
    write_file(kept.id, path)
    file_name, token = kept.file_name, kept.token
    result = save_kept(view, kept, path, progress=report)
    done = sum(result.counts.values())
    if result.saved:
        return JobOutcome(
            done, message=saved_message(file_name, result), result_url=url_for(f"{view.endpoint}.index_view")
        )
    message = refusal(result)
    build_preview(view, kept, path)
    return JobOutcome(
        done, message=message, result_url=url_for(f"{view.endpoint}.import_preview", token=token), refused=True
    )
