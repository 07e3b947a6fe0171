"""juhtum's web layer: the app factory (``create_app``) and what the whole app shares: sign-in
(``auth``), language and formats (``i18n``), errors, headers, the access-log rules of endpoints
(``access_rules``), background jobs (``background``, ``export_slots``), the CLI (``cli``, ``backup``,
``reminders``) and the public register (``public``). The machinery every register inherits is in
``registers/``; the register screens, one module each, in ``views/``. May import ``exports``,
``models`` and ``config``; nothing imports it but the tests and the WSGI server."""

from pathlib import Path

from flask import Flask, redirect, session, url_for

from config import get_config, instance_dir
from models import audit, star

from .extensions import babel, csrf, db, migrate, security

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "models" / "migrations")


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app: settings, extensions, views, commands and error pages."""
    app = Flask(__name__, instance_path=str(instance_dir()))
    app.config.from_object(get_config(config_name))
    app.config.update(overrides)
    check_settings(app)

    db.init_app(app)
    audit.listen()  # every change the ORM flushes is written to audit_event in its transaction
    star.listen()  # a new or changed record STAR holds is queued for entering there (models/star.py)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    csrf.init_app(app)

    from . import auth, cli, errors, headers, i18n, public, views
    from .access_rules import SHOWS_NO_PERSON, declare_endpoints, shows_no_person

    # The app's and Flask-Admin's static files (every endpoint declares its rule: registers/seen.py).
    declare_endpoints(app, SHOWS_NO_PERSON, "static", "admin.static")

    i18n.init_app(app, babel)
    auth.init_app(app, security)
    views.register_views(app)
    public.init_app(app)
    cli.register_commands(app)
    from exports import einvoice

    app.extensions["einvoice"] = einvoice.build  # what "mark as sent" keeps (models.invoicing.mark_sent)
    errors.register_error_pages(app)
    headers.init_app(app)

    @app.before_request
    def idle_sessions_expire():
        # A permanent session cookie lives PERMANENT_SESSION_LIFETIME from the last request.
        session.permanent = True

    @app.get("/")
    @shows_no_person
    def root():
        return redirect(url_for("admin.index"))

    return app


def check_settings(app: Flask) -> None:
    """Refuse to start with settings that would break later (Django-style start-up checks)."""
    from models import codes

    code = app.config.get("MUNICIPALITY_REGISTRY_CODE")
    if code:
        app.config["MUNICIPALITY_REGISTRY_CODE"] = codes.registry_code(code)
    if app.config.get("MUNICIPALITY_IBAN"):
        app.config["MUNICIPALITY_IBAN"] = codes.iban(app.config["MUNICIPALITY_IBAN"])
    from models import letter_numbers

    letter_numbers.check_number_format(app.config["LETTER_NUMBER_FORMAT"])
    if app.config["BABEL_DEFAULT_LOCALE"] not in app.config["LANGUAGES"]:
        raise RuntimeError(f"JUHTUM_LANGUAGE must be one of {', '.join(app.config['LANGUAGES'])}")
