"""Settings, read from the environment: ``Config`` -> ``Development`` / ``Test`` / ``Production``.

Pick one with ``JUHTUM_CONFIG`` (development, test, production); development is the default.
Imports nothing of juhtum; every layer may import it.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    """The instance directory: ``JUHTUM_INSTANCE`` when set (read now, not at import), else ``instance/``."""
    return Path(os.environ.get("JUHTUM_INSTANCE") or ROOT / "instance")


def _instance_secret(name: str) -> str:
    """Read a secret kept under the instance directory, generating it once when absent."""
    instance = instance_dir()
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Settings common to every environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Language: Estonian first, English second.
    BABEL_DEFAULT_LOCALE = os.environ.get("JUHTUM_LANGUAGE", "et")
    BABEL_DEFAULT_TIMEZONE = "Europe/Tallinn"
    LANGUAGES = {"et": "Eesti keel", "en": "English"}

    # The municipality that runs juhtum and issues the monthly invoice to SKA;
    # its registry code (8 digits, begins with 77) is checked at start-up when set.
    MUNICIPALITY_NAME = os.environ.get("MUNICIPALITY_NAME", "Rapla vald")
    MUNICIPALITY_REGISTRY_CODE = os.environ.get("MUNICIPALITY_REGISTRY_CODE", "")
    # The account SKA pays the monthly invoice into, and the days it has to pay (days).
    MUNICIPALITY_IBAN = os.environ.get("MUNICIPALITY_IBAN", "")
    INVOICE_PAYMENT_DAYS = _int("INVOICE_PAYMENT_DAYS", 14)
    # The payer of the monthly invoice: the Social Insurance Board (Sotsiaalkindlustusamet).
    SKA_NAME = os.environ.get("SKA_NAME", "Sotsiaalkindlustusamet")
    SKA_REGISTRY_CODE = os.environ.get("SKA_REGISTRY_CODE", "70001975")
    # The e-invoice (EN 16931, docs/earve.md): the municipality's postal address (BT-35, BT-37,
    # BT-38), its contact (BT-41, BT-42, BT-43) and, for VAT category E, its VAT number (BT-31).
    MUNICIPALITY_STREET = os.environ.get("MUNICIPALITY_STREET", "")
    MUNICIPALITY_CITY = os.environ.get("MUNICIPALITY_CITY", "")
    MUNICIPALITY_POSTCODE = os.environ.get("MUNICIPALITY_POSTCODE", "")
    MUNICIPALITY_CONTACT_NAME = os.environ.get("MUNICIPALITY_CONTACT_NAME", "")
    MUNICIPALITY_CONTACT_PHONE = os.environ.get("MUNICIPALITY_CONTACT_PHONE", "")
    MUNICIPALITY_CONTACT_EMAIL = os.environ.get("MUNICIPALITY_CONTACT_EMAIL", "")
    MUNICIPALITY_VAT_NUMBER = os.environ.get("MUNICIPALITY_VAT_NUMBER", "")
    # SKA's postal address (BT-50, BT-52, BT-53).
    SKA_STREET = os.environ.get("SKA_STREET", "Endla 8")
    SKA_CITY = os.environ.get("SKA_CITY", "Tallinn")
    SKA_POSTCODE = os.environ.get("SKA_POSTCODE", "15092")
    # The buyer reference SKA asks for (BT-10) and the cooperation contract with SKA (BT-12).
    EINVOICE_BUYER_REFERENCE = os.environ.get("EINVOICE_BUYER_REFERENCE", "")
    EINVOICE_CONTRACT_REFERENCE = os.environ.get("EINVOICE_CONTRACT_REFERENCE", "")
    # VAT category of the charge to SKA: O (not subject to VAT) or E (exempt; needs MUNICIPALITY_VAT_NUMBER),
    # and the exemption reason code (empty: VATEX-EU-O for O, VATEX-EU-132-1G for E).
    EINVOICE_VAT_CATEGORY = os.environ.get("EINVOICE_VAT_CATEGORY", "O").strip().upper()
    EINVOICE_VAT_EXEMPTION_REASON = os.environ.get("EINVOICE_VAT_EXEMPTION_REASON", "")
    # Embed the per-client workbook in the e-invoice (BG-24): names and personal codes go to the operator.
    EINVOICE_ATTACH_SPECIFICATION = os.environ.get("EINVOICE_ATTACH_SPECIFICATION", "0").lower() in (
        "1",
        "true",
        "yes",
        "on",
    )

    # Procurement thresholds (riigihangete seadus § 14), euros without VAT.
    SIMPLE_PROCUREMENT_THRESHOLD = _int("SIMPLE_PROCUREMENT_THRESHOLD", 30000)
    NATIONAL_PROCUREMENT_THRESHOLD = _int("NATIONAL_PROCUREMENT_THRESHOLD", 60000)
    SOCIAL_SERVICES_THRESHOLD = _int("SOCIAL_SERVICES_THRESHOLD", 300000)
    # A staff certificate this many days from expiry is flagged (days).
    CERTIFICATE_WARNING_DAYS = _int("CERTIFICATE_WARNING_DAYS", 60)
    # An information material's attached file may be at most this large (megabytes); a request
    # larger than twice that (plus the form) is cut off before it is read (bytes).
    MAX_UPLOAD_MB = _int("MAX_UPLOAD_MB", 10)
    MAX_CONTENT_LENGTH = (2 * MAX_UPLOAD_MB + 1) * 1024 * 1024
    # Rows on one sheet of an exported workbook, title and header included (Excel's limit);
    # more rows go on in a second sheet.
    EXPORT_SHEET_ROWS = _int("EXPORT_SHEET_ROWS", 1_048_576)
    # Background exports: a list with more rows than this is written by a background job and found
    # under "My downloads", kept this many hours. With REDIS_URL, jobs run on RQ workers (`make worker`)
    # from the queue RQ_QUEUE, each for at most BACKGROUND_JOB_TIMEOUT seconds; without it, in the app.
    BACKGROUND_EXPORT_ROWS = _int("BACKGROUND_EXPORT_ROWS", 50_000)
    DOWNLOAD_KEEP_HOURS = _int("DOWNLOAD_KEEP_HOURS", 24)
    # Imports: a file of more rows than this (counted cheaply at the upload) has its preview and its
    # save run as background jobs; the finished preview waits under "My downloads".
    BACKGROUND_IMPORT_ROWS = _int("BACKGROUND_IMPORT_ROWS", 5_000)
    # A background download's file is kept and sent in pieces of this size (models.downloads).
    DOWNLOAD_CHUNK_BYTES = _int("DOWNLOAD_CHUNK_BYTES", 1 << 20)
    # Downloads (exports, invoice workbooks) one user may have running at once (0: no limit), counted in
    # Redis under EXPORT_SLOTS_KEY when REDIS_URL is set (so across every app server), else per process;
    # a slot its worker never gave back lapses after EXPORT_SLOT_SECONDS.
    EXPORTS_AT_ONCE = _int("EXPORTS_AT_ONCE", 2)
    EXPORT_SLOT_SECONDS = _int("EXPORT_SLOT_SECONDS", 900)
    EXPORT_SLOTS_KEY = os.environ.get("EXPORT_SLOTS_KEY", "juhtum:export-slots")
    # On PostgreSQL, an unfiltered list the planner expects to hold at least this many rows shows
    # "about N" (the planner's estimate) instead of counting every row for its pager.
    LIST_ESTIMATE_FROM = _int("LIST_ESTIMATE_FROM", 50_000)
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "juhtum")
    BACKGROUND_JOB_TIMEOUT = _int("BACKGROUND_JOB_TIMEOUT", 3600)
    # Work too long for a request runs as a background job (its progress under "My downloads"):
    # generating or confirming an invoice of a month with more payable deliveries than this,
    BACKGROUND_INVOICE_DELIVERIES = _int("BACKGROUND_INVOICE_DELIVERIES", 5_000)
    # a report over a period longer than this many days,
    BACKGROUND_REPORT_DAYS = _int("BACKGROUND_REPORT_DAYS", 366)
    # and the "who saw the data" workbook of a client seen more times than this.
    BACKGROUND_ACCESS_LOG_ROWS = _int("BACKGROUND_ACCESS_LOG_ROWS", 20_000)
    # Youth guarantee: a record not contacted this many days after its list arrived shows on the home page.
    YOUTH_CONTACT_DAYS = _int("YOUTH_CONTACT_DAYS", 14)
    # A list round with more rows than this is previewed and saved as a background job (My downloads);
    # one with more than YOUTH_MAX_ROWS is refused.
    YOUTH_BACKGROUND_ROWS = _int("YOUTH_BACKGROUND_ROWS", 5000)
    YOUTH_MAX_ROWS = _int("YOUTH_MAX_ROWS", 100_000)
    # The first-contact e-mail to more young people than this is sent by a background job.
    YOUTH_MAIL_BACKGROUND = _int("YOUTH_MAIL_BACKGROUND", 200)
    # Archived clients, providers and letters are kept this many years before the administrator may delete them.
    RETENTION_YEARS = _int("RETENTION_YEARS", 10)

    # Citizens' letters: registration numbers run per year in this format ({year}, {n}: the sequence).
    LETTER_NUMBER_FORMAT = os.environ.get("LETTER_NUMBER_FORMAT", "7-1/{year}/{n}")
    # Legal terms (the law is under review, so they are settings). Memorandum and request for
    # explanation: answered within this many calendar days of registration ...
    LETTER_ANSWER_DAYS = _int("LETTER_ANSWER_DAYS", 30)
    # ... extendable up to this many months from registration.
    LETTER_EXTENDED_MONTHS = _int("LETTER_EXTENDED_MONTHS", 2)
    # A letter for another body is forwarded within this many working days.
    LETTER_FORWARD_WORKING_DAYS = _int("LETTER_FORWARD_WORKING_DAYS", 5)
    # Request for information (AvTS § 18): answered within this many working days, extendable to the second.
    INFORMATION_REQUEST_WORKING_DAYS = _int("INFORMATION_REQUEST_WORKING_DAYS", 5)
    INFORMATION_REQUEST_EXTENDED_WORKING_DAYS = _int("INFORMATION_REQUEST_EXTENDED_WORKING_DAYS", 15)
    # Open letters due within this many working days are coloured, listed on the home page and reminded of.
    LETTER_WARNING_WORKING_DAYS = _int("LETTER_WARNING_WORKING_DAYS", 5)
    # Rows a page of the public document register shows.
    PUBLIC_REGISTER_PAGE_SIZE = _int("PUBLIC_REGISTER_PAGE_SIZE", 25)

    # Outgoing e-mail (letter reminders). Without SMTP_HOST, `remind-letters` prints instead of sending.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    # STARTTLS before signing in (off only for a server on the same machine).
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "1").lower() not in ("0", "false", "no", "off")
    # Seconds to wait for the mail server.
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 30)
    MAIL_FROM = os.environ.get("MAIL_FROM", "juhtum@localhost")

    # Sign-in (Flask-Security-Too).
    SECURITY_PASSWORD_HASH = "argon2"
    SECURITY_PASSWORD_LENGTH_MIN = 12
    SECURITY_REGISTERABLE = False
    SECURITY_RECOVERABLE = False
    SECURITY_CHANGEABLE = True
    # No mail extension is configured, so no "your password changed" e-mail (it would fail the change).
    SECURITY_SEND_PASSWORD_CHANGE_EMAIL = False
    SECURITY_TRACKABLE = False
    SECURITY_POST_LOGIN_VIEW = "/admin/"
    SECURITY_POST_LOGOUT_VIEW = "/login"
    SECURITY_LOGIN_URL = "/login"
    SECURITY_LOGOUT_URL = "/logout"
    SECURITY_LOGOUT_METHODS = ["POST"]
    SECURITY_USERNAME_ENABLE = False
    # Say "sign-in failed", never whether the e-mail is registered.
    SECURITY_RETURN_GENERIC_RESPONSES = True
    SECURITY_I18N_DIRNAME = ["builtin", str(ROOT / "admin_app" / "translations")]
    SECURITY_MSG_LOGIN = ("Please sign in to open this page.", "info")
    # Idle sessions end after this many minutes.
    PERMANENT_SESSION_LIFETIME = 60 * _int("SESSION_IDLE_MINUTES", 30)
    SESSION_REFRESH_EACH_REQUEST = True
    REMEMBER_COOKIE_DURATION = 0
    SECURITY_DEFAULT_REMEMBER_ME = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    # Lockout: this many failed sign-ins in a row lock the account for SIGNIN_LOCK_MINUTES (minutes).
    SIGNIN_MAX_FAILURES = _int("SIGNIN_MAX_FAILURES", 5)
    SIGNIN_LOCK_MINUTES = _int("SIGNIN_LOCK_MINUTES", 15)
    # Optional second factor: a code from an authenticator app (TOTP), set up by each user at /tf-setup.
    SECURITY_TWO_FACTOR = True
    SECURITY_TWO_FACTOR_REQUIRED = False
    SECURITY_TWO_FACTOR_ENABLED_METHODS = ["authenticator"]
    SECURITY_TWO_FACTOR_RESCUE_EMAIL = False
    SECURITY_TWO_FACTOR_ALWAYS_VALIDATE = True
    SECURITY_TOTP_ISSUER = "juhtum"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Sent with every response (admin_app/headers.py). Flask-Admin's pages carry inline scripts and styles.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir() / 'juhtum.db'}"
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _instance_secret("secret_key")
        self.SECURITY_PASSWORD_SALT = os.environ.get("SECURITY_PASSWORD_SALT") or _instance_secret("password_salt")
        self.SECURITY_TOTP_SECRETS = _totp_secrets(self.SECRET_KEY)


def _demo_municipality() -> dict[str, str]:
    """Believable e-invoice settings for the demo municipality (an environment variable still wins);
    production has none of them, so a missing one is said by name when an e-invoice is made."""
    demo = {
        "MUNICIPALITY_REGISTRY_CODE": "75021250",
        "MUNICIPALITY_IBAN": "EE382200221020145685",
        "MUNICIPALITY_STREET": "Viljandi mnt 13",
        "MUNICIPALITY_CITY": "Rapla",
        "MUNICIPALITY_POSTCODE": "79513",
        "MUNICIPALITY_CONTACT_NAME": "Sotsiaalosakond",
        "MUNICIPALITY_CONTACT_PHONE": "+372 489 0000",
        "MUNICIPALITY_CONTACT_EMAIL": "sotsiaal@rapla.example",
        "EINVOICE_BUYER_REFERENCE": "ISTE-RAPLA",
        "EINVOICE_CONTRACT_REFERENCE": "ISTE koostööleping 1-12/2025-7",
    }
    return {name: os.environ.get(name) or value for name, value in demo.items()}


class Development(Config):
    """A person's own machine: SQLite under instance/ unless DATABASE_URL says otherwise."""

    def __init__(self) -> None:
        super().__init__()
        vars(self).update(_demo_municipality())


class Test(Config):
    """The test suite: each test chooses its database, CSRF stays on."""

    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        vars(self).update(_demo_municipality())


class Production(Config):
    """A server: refuses to start without a real secret and a real database."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Never a debugger or a traceback on a server: errors answer the plain 500 page.
    DEBUG = False
    PROPAGATE_EXCEPTIONS = False
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        secret = os.environ.get("SECRET_KEY", "")
        salt = os.environ.get("SECURITY_PASSWORD_SALT", "")
        if len(secret) < 32 or len(salt) < 16:
            raise RuntimeError(
                "Production needs SECRET_KEY (32+ characters) and SECURITY_PASSWORD_SALT "
                "(16+ characters) in the environment."
            )
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("Production needs DATABASE_URL.")
        self.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
        self.SECRET_KEY = secret
        self.SECURITY_PASSWORD_SALT = salt
        self.SECURITY_TOTP_SECRETS = _totp_secrets(secret)


def _totp_secrets(secret_key: str) -> dict[str, str]:
    """Key that encrypts stored TOTP secrets: SECURITY_TOTP_SECRET, else one derived from SECRET_KEY."""
    own = os.environ.get("SECURITY_TOTP_SECRET")
    derived = hmac.new(secret_key.encode(), b"juhtum-totp", hashlib.sha256).hexdigest()
    return {"1": own or derived}


CONFIGS = {"development": Development, "test": Test, "production": Production}


def get_config(name: str | None = None) -> Config:
    """Return the settings object named ``name`` or by ``JUHTUM_CONFIG``."""
    name = name or os.environ.get("JUHTUM_CONFIG", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"Unknown JUHTUM_CONFIG {name!r}; use one of {', '.join(CONFIGS)}") from None
