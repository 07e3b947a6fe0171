"""An import writes its new records in bulk and skips the flush for unchanged rows (for speed,
models/importing/bulk.py and engine.py); what a person sees must be what a form save gives: each new
client in the register with every value, and in the history the same entry, field by field, that
saving the client on its form writes; an unchanged re-import writes nothing and changes no version."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from admin_app.auth import create_user
from models import AuditEvent, Client, codes, db, importing
from models.clients import client_errors
from tests.conftest import create_municipality

HEADINGS = (
    "Personal ID code",
    "Last name",
    "First name",
    "Municipality of residence",
    "Target group",
    "Case manager",
    "Status",
    "Phone",
    "Consent to data processing",
    "Consent date",
    "Degree of disability",
    "Notes",
)
#: Fields whose values differ between the two clients compared (their codes and the save's moment).
OWN = {"id", "personal_code", "birth_date", "sex", "saved_at"}


def _write(tmp_path, rows) -> object:
    path = tmp_path / "kliendid.csv"
    lines = [";".join(HEADINGS), *(";".join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(code: str, phone: str = "5123 4567") -> list[str]:
    return [
        code,
        "Tamm",
        "Mari",
        "Rapla vald",
        "Noor",
        "mari@test.ee",
        "Taotleja",
        phone,
        "Jah",
        "01.02.2026",
        "",
        "ok",
    ]


def _entries() -> dict:
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.table_name == "client"))
    return {(e.record_id, e.action): e for e in events}


def test_an_imported_client_has_the_history_entry_a_form_save_writes(ctx, tmp_path):
    town = create_municipality(name="Rapla vald")
    manager = create_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari Maasikas")
    imported_code = codes.make_personal_code(date(1990, 3, 4), "F", 11)
    result = importing.save(
        "clients", _write(tmp_path, [_row(imported_code)]), db.session, source="import: kliendid.csv"
    )
    assert result.saved and result.counts["new"] == 1
    imported = db.session.scalars(sa.select(Client)).one()
    assert (imported.municipality, imported.case_manager, imported.phone, imported.version) == (
        town,
        manager,
        "5123 4567",
        1,
    )
    # The same client saved as its form saves it: the rules, then the ORM's flush and its audit.
    by_form = Client(
        personal_code=codes.make_personal_code(date(1990, 3, 4), "F", 12),
        last_name="Tamm",
        first_name="Mari",
        municipality=town,
        target_group="youth",
        case_manager=manager,
        status="applicant",
        phone="5123 4567",
        consent_given=True,
        consent_date=date(2026, 2, 1),
        notes="ok",
    )
    assert client_errors(by_form) == {}
    db.session.add(by_form)
    db.session.commit()
    entries = _entries()
    mine = entries[(str(imported.id), "create")]
    theirs = entries[(str(by_form.id), "create")]
    assert set(mine.changes) == set(theirs.changes)
    assert {k: v for k, v in mine.changes.items() if k not in OWN} == {
        k: v for k, v in theirs.changes.items() if k not in OWN
    }
    assert mine.changes["id"] == [None, imported.id]
    assert mine.changes["personal_code"] == [None, imported_code]
    assert mine.changes["birth_date"] == [None, "1990-03-04"]
    assert (mine.url, mine.actor) == ("import: kliendid.csv", theirs.actor)


def test_an_unchanged_reimport_writes_nothing_and_a_changed_row_among_them_is_saved(ctx, tmp_path):
    create_municipality(name="Rapla vald")
    create_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari Maasikas")
    codes_ = [codes.make_personal_code(date(1980, 1, 1), "M", n) for n in range(1, 4)]
    assert importing.save("clients", _write(tmp_path, [_row(c) for c in codes_]), db.session, source="a").saved
    before = len(_entries())

    again = importing.save("clients", _write(tmp_path, [_row(c) for c in codes_]), db.session, source="b")
    assert again.saved and dict(again.counts) == {"unchanged": 3}
    assert len(_entries()) == before
    assert set(db.session.scalars(sa.select(Client.version))) == {1}

    rows = [_row(codes_[0]), _row(codes_[1], phone="5999 0000"), _row(codes_[2])]
    changed = importing.save("clients", _write(tmp_path, rows), db.session, source="c")
    assert changed.saved and dict(changed.counts) == {"unchanged": 2, "update": 1}
    versions = dict(db.session.execute(sa.select(Client.personal_code, Client.version)).all())
    assert versions == {codes_[0]: 1, codes_[1]: 2, codes_[2]: 1}
    updates = [e for (_, action), e in _entries().items() if action == "update"]
    assert [e.changes["phone"] for e in updates] == [["5123 4567", "5999 0000"]]
    assert updates[0].url == "c"


def test_a_new_row_someone_registers_meanwhile_is_refused_at_confirm(ctx, tmp_path):
    """The preview's plan keeps only the rows that matched a record; a new row is still checked."""
    create_municipality(name="Rapla vald")
    create_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari Maasikas")
    code, other = (codes.make_personal_code(date(1985, 6, 7), "F", n) for n in (21, 22))
    path = _write(tmp_path, [_row(code), _row(other)])
    preview = importing.preview("clients", path, db.session)
    assert dict(preview.counts) == {"new": 2} and preview.plan == {}
    # A colleague registers the first of them on the form before the import is confirmed.
    client = Client(personal_code=code, last_name="Kask", first_name="Kati", target_group="youth")
    assert client_errors(client) == {}
    db.session.add(client)
    db.session.commit()
    result = importing.save("clients", path, db.session, source="import", plan=preview.plan)
    assert not result.saved and result.stale == [2]
    assert db.session.scalars(sa.select(Client.last_name)).all() == ["Kask"]


def test_a_long_save_plans_each_lookup_for_the_table_as_it_has_grown(ctx, tmp_path):
    """The save asks the same "records with these keys" for every batch while its own INSERTs grow the
    table. psycopg prepares a statement after five runs, and PostgreSQL may then reuse one generic plan,
    which cannot hash the batch's keys: a 100,000-client save took over 6 minutes on an idle machine,
    29 s with every lookup planned for its keys (``plan_for_the_table_as_it_is``)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans every statement afresh")
    modes = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "personal_code IN" in statement:
            modes.append(cursor.connection.execute("SHOW plan_cache_mode").fetchone()[0])

    born = [date(1980, 1, 1) + timedelta(days=n // 900) for n in range(1200)]
    rows = [_row(codes.make_personal_code(day, "F", n % 900)) for n, day in enumerate(born)]
    create_municipality(name="Rapla vald")
    create_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari Maasikas")
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = importing.save("clients", _write(tmp_path, rows), db.session, source="test")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    assert result.saved and result.counts["new"] == 1200
    assert len(modes) >= 3 and set(modes) == {"force_custom_plan"}, modes


def test_a_key_again_in_a_later_batch_names_its_first_row(ctx, tmp_path):
    """The first row of each key is kept on disk, not in memory (models/importing/first_rows.py): a
    repeat is still caught in a later batch and within one, naming the first row."""
    create_municipality(name="Rapla vald")
    create_user("mari@test.ee", "x" * 16, ["case_manager"], full_name="Mari Maasikas")
    born = [date(1980, 1, 1) + timedelta(days=n // 900) for n in range(importing.BATCH + 2)]
    rows = [_row(codes.make_personal_code(day, "F", n % 900)) for n, day in enumerate(born)]
    rows += [rows[0], rows[-1]]  # row 2 again in a later batch; the last row again in its own batch
    with force_locale("en"):
        result = importing.preview("clients", _write(tmp_path, rows), db.session)
    assert result.counts == {"new": importing.BATCH + 2, "error": 2}
    messages = {r.number: list(r.errors.values()) for r in result.rows if r.status == "error"}
    last = importing.BATCH + 3
    assert messages == {
        last + 1: ["The same record is already on row 2 of the file."],
        last + 2: [f"The same record is already on row {last} of the file."],
    }
