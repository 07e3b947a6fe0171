"""Estonian first, English second: locale choice, date and money formats for the screens."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from babel.numbers import format_currency
from flask import Blueprint, current_app, has_request_context, redirect, request, session
from flask_babel import get_locale
from flask_login import current_user

from models import db

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The signed-in user's language, else the one chosen on the sign-in page, else the default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # A command or a background job: messages in the default language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    for choice in (user_locale, session.get("locale")):
        if choice in languages:
            return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def format_date(value: date | datetime | None) -> str:
    """dd.mm.yyyy, the way Estonian offices write dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


def format_money(value: Decimal | None) -> str:
    """Euros with cents in the user's language, e.g. ``1 234,50 €``."""
    if value is None:
        return ""
    return format_currency(value, "EUR", locale=str(get_locale() or "et"))


@bp.post("/language/<code>")
def choose_language(code: str):
    """Switch the UI language; a signed-in user keeps the choice."""
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    # Back to the page the user was on, never to another site.
    referrer = urlsplit(request.referrer or "")
    target = referrer.path if referrer.netloc in ("", request.host) and referrer.path.startswith("/") else "/"
    target = "/" + target.lstrip("/")
    return redirect(target + (f"?{referrer.query}" if referrer.query and target != "/" else ""))


def init_app(app, babel) -> None:
    """Bind Flask-Babel and the template helpers."""
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.filters["dmy"] = format_date
    app.jinja_env.filters["eur"] = format_money

    @app.context_processor
    def languages():
        return {"languages": app.config["LANGUAGES"], "current_locale": str(get_locale())}
