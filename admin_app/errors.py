"""Error pages in the user's language, never a stack trace."""

from flask import current_app, g, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from models import db

PAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Go back and try again; if the form had expired, sign in again."),
    ),
    403: (_l("No access"), _l("Your role does not allow this page. Ask the administrator if your work needs it.")),
    404: (_l("Not found"), _l("There is no such page or record. It may have been deleted.")),
    413: (_l("The file is too large"), _l("Nothing was saved. Attach a smaller file, or split it in parts.")),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    500: (
        _l("Something went wrong"),
        _l("Nothing was saved half-way. Try again; if it happens again, tell the administrator."),
    ),
    503: (_l("The database cannot be reached"), _l("Nothing was lost. Try again in a minute.")),
}


def render_error(code: int):
    title, text = PAGES[code]
    return render_template("errors/error.html", code=code, title=title, text=text), code


def register_error_pages(app) -> None:
    """Answer 400, 403, 404, 405, 413, 500 and 503 with a clear page."""
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(OperationalError)
    def database_down(exc):
        db.session.rollback()
        # The page is drawn as for someone not signed in: loading the user would need the database.
        g._login_user = current_app.login_manager.anonymous_user()
        page, code = render_error(503)
        # Clients and proxies may retry after this many seconds; pool_pre_ping reconnects by itself.
        return page, code, {"Retry-After": "60"}
