"""Settings of the scratch Django project that `make bench-import` measures django-import-export
with (tests/bench/dj_import/run.py). The database comes from DJ_DATABASE_URL: a SQLite file
(sqlite:///PATH) or PostgreSQL (postgresql+psycopg://USER@HOST:PORT/NAME, as juhtum writes it)."""

import os
from urllib.parse import urlsplit


def _database(url: str) -> dict:
    if url.startswith("sqlite:///"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.removeprefix("sqlite:///")}
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


SECRET_KEY = "bench-only-not-secret"  # noqa: S105  (a scratch project that serves nothing)
DEBUG = False  # DEBUG=True would keep every query in memory
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "import_export", "benchapp"]
DATABASES = {"default": _database(os.environ["DJ_DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
