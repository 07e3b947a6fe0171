"""Import: whose a preview is, files that are no table, and the command line (flask import)."""

import sqlalchemy as sa

from models import AuditEvent, Provider, db
from tests.admin_app.helpers import shown, signed_in
from tests.admin_app.test_import import expect, label, preview_page, upload, xlsx
from tests.conftest import count, create_provider


def test_a_preview_is_its_uploaders_only(app, client):
    head = signed_in(app, client, "head")
    with app.app_context():
        code = create_provider().registry_code
    url, _ = preview_page(head, upload(head, "providers", xlsx([label(app, "Registry code")], [[code]])))
    client.get("/logout")
    other = signed_in(app, client, "head", "teine@test.ee")
    assert other.get(url).status_code == 404
    assert other.get("/admin/providers/import/..%2f..%2fetc/").status_code == 404


def test_a_file_that_is_no_table_gets_a_message(app, client):
    import html as markup

    head = signed_in(app, client, "head")
    response = upload(head, "providers", b"\x00\x01binary", "fail.csv")
    assert response.status_code == 200
    message = shown(app, "No row of the file names the register's columns. Start from the template.")
    assert message in markup.unescape(response.get_data(as_text=True))
    response = upload(head, "providers", b"PK\x03\x04garbage", "fail.xlsx")
    assert shown(app, "The file could not be read as an Excel workbook (xlsx).") in response.get_data(as_text=True)
    response = upload(head, "providers", "Registrikood\n\xe4".encode("latin-1"), "fail.csv")
    assert response.status_code == 200
    assert shown(app, "The CSV file is not in UTF-8. Save it from Excel as 'CSV UTF-8'.") in markup.unescape(
        response.get_data(as_text=True)
    )


# --- CLI ----------------------------------------------------------------------------------------


def test_the_cli_prints_the_summary_and_errors_and_saves_all_or_nothing(app, tmp_path):
    with app.app_context():
        from models import codes

        good, bad = codes.make_registry_code("18", 1), "1234567"
        headings = [label(app, h) for h in ("Registry code", "Name", "Kinds")]
    path = tmp_path / "pakkujad.xlsx"
    path.write_bytes(xlsx(headings, [[good, "Hea OÜ", "base"], [bad, "Halb OÜ", "base"]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "providers", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert expect(app, new=1, error=1) in result.output
    assert f"row 3, {label(app, 'Registry code')}:" in result.output
    path.write_bytes(xlsx(headings, [[good, "Hea OÜ", "base"]]))
    result = runner.invoke(args=["import", "providers", str(path), "--dry-run"])
    assert result.exit_code == 0 and count(app, Provider) == 0
    result = runner.invoke(args=["import", "providers", str(path)])
    assert result.exit_code == 0, result.output
    assert expect(app, new=1) in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Provider.name)).all() == ["Hea OÜ"]
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.table_name == "provider")).one()
        assert event.actor.startswith("CLI:") and event.actor.endswith("import")
        assert event.url == "import: pakkujad.xlsx"
