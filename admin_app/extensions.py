"""Extensions, created unbound; ``create_app`` binds them."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_security import Security
from flask_wtf.csrf import CSRFProtect

from models import db

migrate = Migrate()
babel = Babel()
security = Security()
csrf = CSRFProtect()

__all__ = ["babel", "csrf", "db", "migrate", "security"]
