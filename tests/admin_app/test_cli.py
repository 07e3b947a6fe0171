"""``flask --app admin_app create-user``: how the first users get in."""

import pytest

from models import User
from tests.conftest import PASSWORD, count, fetch, sign_in


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def _run(*args, input=None):
        return runner.invoke(args=["create-user", *args], input=input)

    return _run


def _roles(app, email):
    return sorted(r.name for r in fetch(app, User, User.email == email).roles)


def test_created_user_can_sign_in(app, client, run):
    result = run(
        "Mari@Test.ee ", "--role", "case_manager", "--name", "Mari Maasikas", "--password-stdin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "mari@test.ee" in result.output
    assert PASSWORD not in result.output
    user = fetch(app, User, User.email == "mari@test.ee")
    assert user.full_name == "Mari Maasikas" and user.active
    assert user.password.startswith("$argon2")
    assert sign_in(client, "mari@test.ee").status_code == 302
    assert client.get("/admin/clients/").status_code == 200


def test_several_roles(app, run):
    result = run("juhataja@test.ee", "--role", "head", "--role", "accountant", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 0, result.output
    assert _roles(app, "juhataja@test.ee") == ["accountant", "head"]


def test_password_typed_at_the_prompt(app, client, run):
    result = run("kati@test.ee", "--role", "registrar", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and PASSWORD not in result.output  # asked, never echoed
    assert sign_in(client, "kati@test.ee").status_code == 302


def test_prompt_asks_again_when_the_repeat_differs(app, run):
    result = run("kati@test.ee", "--role", "registrar", input=f"{PASSWORD}\nmuu-parool-123\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert count(app, User) == 1


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("lyhike@test.ee", "--role", "head"), "lyhike-123\n", "at least 12 characters"),
        (("tuhi@test.ee", "--role", "head"), "\n", "at least 12 characters"),
        (("pole-e-post", "--role", "head"), PASSWORD + "\n", "not an e-mail address"),
        (("mari@test.ee", "--role", "boss"), PASSWORD + "\n", "'boss' is not one of"),
        (("mari@test.ee",), PASSWORD + "\n", "Missing option '--role'"),
    ],
    ids=["short password", "empty password", "not an e-mail", "unknown role", "no role"],
)
def test_refused_with_a_clear_message_and_nothing_created(app, run, args, stdin, message):
    result = run(*args, "--password-stdin", input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert count(app, User) == 0


def test_duplicate_email_is_refused(app, run):
    assert run("mari@test.ee", "--role", "head", "--password-stdin", input=PASSWORD).exit_code == 0
    result = run("MARI@test.ee", "--role", "admin", "--password-stdin", input="teine-parool-12345")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert count(app, User) == 1
    assert _roles(app, "mari@test.ee") == ["head"]  # the first user is untouched


def test_password_piped_from_a_windows_file_keeps_no_carriage_return(app, client, run):
    assert run("mari@test.ee", "--role", "head", "--password-stdin", input=PASSWORD + "\r\n").exit_code == 0
    assert sign_in(client, "mari@test.ee").status_code == 302
