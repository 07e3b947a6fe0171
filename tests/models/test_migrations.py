"""Alembic is the only way the schema changes: one head, and the models match the migrations."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from admin_app import MIGRATIONS
from models import ComponentPrice, ServiceComponent, db
from models.base import schema_filter


def test_one_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_the_migrated_schema(app):
    with app.app_context(), db.engine.connect() as conn:
        # Trigram indexes exist on PostgreSQL only (models.base.trigram_index).
        include = schema_filter(conn.dialect.name)
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": include})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_postgresql_refuses_overlapping_price_periods(app):
    """The database itself keeps price periods apart, even for writes that bypass the app's rules."""
    if app.config["BACKEND"] != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    with app.app_context():
        component = ServiceComponent(code="X1", name="Test", area="other", unit="hour")
        db.session.add(component)
        db.session.commit()
        insert = sa.insert(ComponentPrice)
        db.session.execute(
            insert,
            [
                dict(
                    component_id=component.id,
                    mode="individual",
                    unit_price=Decimal("10"),
                    valid_from=date(2026, 1, 1),
                    valid_until=None,
                )
            ],
        )
        # Another mode may share the period.
        db.session.execute(
            insert,
            [
                dict(
                    component_id=component.id,
                    mode="group",
                    unit_price=Decimal("5"),
                    valid_from=date(2026, 1, 1),
                    valid_until=None,
                )
            ],
        )
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(
                insert,
                [
                    dict(
                        component_id=component.id,
                        mode="individual",
                        unit_price=Decimal("12"),
                        valid_from=date(2026, 6, 1),
                        valid_until=date(2026, 12, 31),
                    )
                ],
            )
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(ComponentPrice.id))) == 2
