"""Import of providers' staff and clients' networks (one row per person, by the command line, for the
administrator's move-in): matched by provider or client and the person's name, checked by the
provider's and client's rules, saved all or nothing, a record changed after the preview refused."""

from datetime import date

import sqlalchemy as sa

from models import NetworkMember, ProviderStaff, db, importing
from tests.admin_app.test_import import expect, label, xlsx
from tests.conftest import count, create_client, create_provider

STAFF = ("Provider", "Name", "Qualification", "Certificate number", "Certificate valid until")
NETWORK = ("Personal ID code", "Role", "Name", "Relation", "Phone", "E-mail")


def run(app, tmp_path, register, headings, rows, *args):
    path = tmp_path / f"{register}.xlsx"
    path.write_bytes(xlsx([label(app, h) for h in headings], rows))
    return app.test_cli_runner().invoke(args=["import", register, str(path), *args])


def test_staff_are_added_and_updated_by_provider_and_name(app, tmp_path):
    with app.app_context():
        provider = create_provider(name="Tugi OÜ")
        provider.staff.append(ProviderStaff(name="Mari Maasikas", qualification="tegevusterapeut"))
        db.session.commit()
        code = provider.registry_code
    rows = [
        [code, "Mari Maasikas", "tegevusterapeut", "T-1", "31.12.2027"],  # update: a certificate
        ["Tugi OÜ", "Jüri Juurikas", "tugiisik", None, date(2027, 6, 30)],  # new, by the provider's name
        [code, "Kati Kask", None, None, "pole kuupäev"],  # a date that is none
    ]
    result = run(app, tmp_path, "provider_staff", STAFF, rows)
    assert result.exit_code == 1 and expect(app, new=1, update=1, error=1) in result.output
    assert f"row 4, {label(app, 'Certificate valid until')}:" in result.output
    assert count(app, ProviderStaff) == 1, "nothing saved while a row has an error"
    result = run(app, tmp_path, "provider_staff", STAFF, rows[:2])
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = db.session.scalars(sa.select(ProviderStaff).order_by(ProviderStaff.name)).all()
        assert [(p.provider.name, p.name, p.certificate_number, p.certificate_valid_until) for p in staff] == [
            ("Tugi OÜ", "Jüri Juurikas", None, date(2027, 6, 30)),
            ("Tugi OÜ", "Mari Maasikas", "T-1", date(2027, 12, 31)),
        ]
    # The same file again: unchanged.
    result = run(app, tmp_path, "provider_staff", STAFF, rows[:2], "--dry-run")
    assert expect(app, unchanged=2) in result.output


def test_a_network_is_imported_by_personal_code_and_checked(app, tmp_path):
    with app.app_context():
        person = create_client()
        code = person.personal_code
    rows = [
        [code, "Lähedane", "Mari Maasikas", "ema", "5555 1234", "mari@example.ee"],
        [code[:5] + " " + code[5:], "guardian", "Jüri Juurikas", None, None, None],  # a code with a space
        [code, "Naaber", "Kati Kask", None, None, None],  # no such role
        ["38001010000", "relative", "Keegi", None, None, None],  # no such personal ID code (check digit)
    ]
    result = run(app, tmp_path, "network", NETWORK, rows, "--dry-run")
    assert expect(app, new=2, error=2) in result.output, result.output
    assert f"row 4, {label(app, 'Role')}:" in result.output
    assert f"row 5, {label(app, 'Personal ID code')}:" in result.output
    result = run(app, tmp_path, "network", NETWORK, rows[:2])
    assert result.exit_code == 0, result.output
    with app.app_context():
        members = db.session.scalars(sa.select(NetworkMember).order_by(NetworkMember.name)).all()
        assert [(m.client.personal_code, m.role, m.name) for m in members] == [
            (code, "guardian", "Jüri Juurikas"),
            (code, "relative", "Mari Maasikas"),
        ]


def test_a_network_member_changed_after_the_preview_is_refused(app, tmp_path):
    with app.app_context():
        person = create_client()
        person.network.append(NetworkMember(role="relative", name="Mari Maasikas", phone="1"))
        db.session.commit()
        code, pk = person.personal_code, person.network[0].id
    path = tmp_path / "network.xlsx"
    path.write_bytes(xlsx([label(app, h) for h in NETWORK], [[code, "relative", "Mari Maasikas", None, "2", None]]))
    with app.test_request_context():
        preview = importing.preview("network", path, db.session)
        assert preview.counts["update"] == 1
        db.session.get(NetworkMember, pk).phone = "3"  # someone saves the client form meanwhile
        db.session.commit()
        result = importing.save("network", path, db.session, source="test", plan=preview.plan)
        assert not result.saved and result.stale == [2]
        assert db.session.get(NetworkMember, pk).phone == "3"
