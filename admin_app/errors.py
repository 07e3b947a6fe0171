"""Error pages in the user's language, never a stack trace."""

from flask import current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, OperationalError

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


def let_go_of_session() -> None:
    """End the request's session. When the database ended its connection meanwhile (a restart) the
    rollback on it fails: the session is thrown away all the same (its connection was invalidated
    and goes back to the pool to be replaced), rather than the failure turning into a 500."""
    try:
        db.session.remove()
    except OperationalError:
        db.session.registry.clear()


def database_unavailable():
    """The 503 page: the database cannot be reached, or went away during the request."""
    let_go_of_session()
    # The page is drawn as for someone not signed in: loading the user would need the database.
    g._login_user = current_app.login_manager.anonymous_user()
    page, code = render_error(503)
    # Clients and proxies may retry after this many seconds; pool_pre_ping reconnects by itself.
    return page, code, {"Retry-After": "60"}


def value_out_of_range(exc):
    """A value the database cannot hold in its column (an id beyond 64 bits in ``?id=``: SQLite raises
    ``OverflowError`` binding it, PostgreSQL a ``DataError``): no record can have it. Reading, that is
    "not found" (404); writing, "the request could not be understood" (400). Nothing was saved."""
    let_go_of_session()
    return render_error(404 if request.method in ("GET", "HEAD") else 400)


def register_error_pages(app) -> None:
    """Answer 400, 403, 404, 405, 413, 500 and 503 with a clear page."""
    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, lambda e, code=code: render_error(code))
    app.register_error_handler(OperationalError, lambda exc: database_unavailable())
    app.register_error_handler(DataError, value_out_of_range)
    app.register_error_handler(OverflowError, value_out_of_range)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (teardowns run in reverse).
    app.teardown_appcontext(lambda exc: let_go_of_session())
