"""No lost edits: two people open the same record; the first save goes through, the second is refused
with a clear message, its input still on the form, and nothing the first person saved is lost."""

from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_datetime
from sqlalchemy.orm import Session

from models import Client, Municipality, Offer, Provider, ProviderStaff, db
from tests.admin_app.helpers import TUPLE_CHOICES, alerts, form_values, make, page, saved, shown, signed_in
from tests.conftest import create_client, create_municipality, create_offer, create_provider, fetch

pytestmark = TUPLE_CHOICES


def two_users(app, role: str = "case_manager"):
    first = signed_in(app, app.test_client(), role, "mari@test.ee")
    second = signed_in(app, app.test_client(), role, "jaan@test.ee")
    return first, second


def opened(client, url: str) -> dict:
    """The edit form as a user loaded it: what the browser would send back."""
    return form_values(page(client, url))


def send(client, url: str, form: dict, changes: dict):
    data = {**form, **{k: [v] for k, v in changes.items()}}
    return client.post(url, data=data)


def stale_message_shown(app, html: str) -> bool:
    start = (
        shown(
            app,
            "Someone else saved this record at %(time)s — your changes are still in the form; reload to see theirs.",
            time="",
        )
        .split("—")[0]
        .strip()
    )
    return any(a.startswith(start.rsplit(" ", 1)[0]) for a in alerts(html))


# register, factory, role, (first person's field, value), (second person's field, value)
CASES = [
    (
        "providers",
        Provider,
        create_provider,
        "case_manager",
        ("name", "Päikese Tugi OÜ"),
        ("contact_person", "Jaan Jõgi"),
    ),
    ("clients", Client, create_client, "case_manager", ("phone", "5551111"), ("phone", "5552222")),
    ("offers", Offer, create_offer, "head", ("valid_until", "2026-12-31"), ("notes", "Teine pakkumine")),
    ("municipalities", Municipality, create_municipality, "admin", ("county", "Järvamaa"), ("county", "Harjumaa")),
]


@pytest.mark.parametrize(("endpoint", "model", "factory", "role", "first", "second"), CASES, ids=[c[0] for c in CASES])
def test_second_save_of_the_same_version_is_refused_and_keeps_its_input(
    app, endpoint, model, factory, role, first, second
):
    record = make(app, factory)
    url = f"/admin/{endpoint}/edit/?id={record.id}"
    mari, jaan = two_users(app, role)
    marys_form, jaans_form = opened(mari, url), opened(jaan, url)
    assert marys_form["version"] == ["1"]

    saved(send(mari, url, marys_form, dict([first])))
    answer = send(jaan, url, jaans_form, dict([second]))

    assert answer.status_code == 200, "the form comes back"
    html = answer.get_data(as_text=True)
    assert stale_message_shown(app, html), alerts(html)
    assert form_values(html)[second[0]] == [second[1]], "Jaan's input is still on the form"
    stored = fetch(app, model, model.id == record.id)
    assert str(getattr(stored, first[0])) == first[1], "Mari's save is kept"
    if second[0] != first[0]:
        assert getattr(stored, second[0]) != second[1], "Jaan's change did not slip in"
    assert stored.version == 2
    # After reloading, Jaan sees Mari's change and may save his own on top of it.
    saved(send(jaan, url, opened(jaan, url), dict([second])))
    stored = fetch(app, model, model.id == record.id)
    assert str(getattr(stored, second[0])) == second[1] and stored.version == 3


def test_message_says_when_the_other_save_was_made(app):
    provider = make(app, create_provider)
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, jaan = two_users(app)
    jaans_form = opened(jaan, url)
    saved(send(mari, url, opened(mari, url), {"phone": "5550000"}))
    with app.app_context():
        saved_at = db.session.get(Provider, provider.id).saved_at
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        when = format_datetime(saved_at, "dd.MM.yyyy HH:mm")
    html = send(jaan, url, jaans_form, {"phone": "5559999"}).get_data(as_text=True)
    assert any(when in a for a in alerts(html)), alerts(html)


def test_a_save_racing_another_is_refused_the_same_way(app):
    """Both forms carry the current version, but the other save lands between reading and writing."""
    provider = make(app, create_provider, contact_person="Algne")
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, _ = two_users(app)
    form = opened(mari, url)

    done = []

    def the_other_save(session):
        if not done and any(isinstance(o, Provider) for o in session.dirty):
            done.append(True)
            with db.engine.begin() as conn:
                conn.execute(
                    sa.update(Provider.__table__)
                    .where(Provider.__table__.c.id == provider.id)
                    .values(contact_person="Teine", version=Provider.__table__.c.version + 1)
                )

    sa.event.listen(Session, "before_commit", the_other_save)
    try:
        answer = send(mari, url, form, {"contact_person": "Mari"})
    finally:
        sa.event.remove(Session, "before_commit", the_other_save)

    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert any("reload" in a or "laadi" in a for a in alerts(html)), alerts(html)
    assert form_values(html)["contact_person"] == ["Mari"]
    stored = fetch(app, Provider, Provider.id == provider.id)
    assert stored.contact_person == "Teine" and stored.version == 2


def test_a_change_to_inline_rows_only_raises_the_parents_version(app):
    provider = make(app, create_provider)
    url = f"/admin/providers/edit/?id={provider.id}"
    mari, jaan = two_users(app)
    jaans_form = opened(jaan, url)

    saved(send(mari, url, opened(mari, url), {"staff-0-name": "Tiina Tamm"}))
    assert fetch(app, Provider, Provider.id == provider.id).version == 2

    answer = send(jaan, url, jaans_form, {"phone": "5553333"})
    assert answer.status_code == 200 and stale_message_shown(app, answer.get_data(as_text=True))
    assert fetch(app, ProviderStaff).name == "Tiina Tamm", "Mari's new staff member is kept"


def test_a_plain_save_still_works_and_counts_versions(app):
    client = make(app, create_client, applied_on=date(2026, 1, 5))
    url = f"/admin/clients/edit/?id={client.id}"
    mari, _ = two_users(app)
    for n, phone in enumerate(("5550001", "5550002"), start=2):
        saved(send(mari, url, opened(mari, url), {"phone": phone}))
        assert fetch(app, Client, Client.id == client.id).version == n
