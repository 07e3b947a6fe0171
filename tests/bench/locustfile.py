"""Office workers for the load test (``tests/bench/load_test.py`` starts locust with this file).

Each simulated worker signs in as their own user and, for as long as the run lasts, browses the
register lists, opens case files, edits the notes of the clients that are theirs alone, edits the
notes of a few clients that every worker edits (two colleagues at the same record, on purpose:
the form is read, the worker types for a moment, then saves), and exports a list.

Every request's start, end and status (0: no answer, the connection reset) goes to
``LOAD_REQUESTS``, and every save to ``LOAD_WRITES`` (client id, the version the form was based on,
the notes written, how it was answered), for the driver to count and to look for in the database."""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

from tests.admin_app.helpers import read_form

CONFIG = json.loads(open(os.environ["LOAD_CONFIG"], encoding="utf-8").read())
_numbers = itertools.count()
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_requests: list[list] = []


@events.request.add_listener
def _count(request_type, name, response_time, response, exception, start_time=None, **kwargs):
    start = start_time or time.time() - response_time / 1000
    status = getattr(response, "status_code", 0) or 0
    _requests.append([round(start, 3), round(start + response_time / 1000, 3), f"{request_type} {name}", status])


@events.quitting.add_listener
def _write_requests(environment, **kwargs) -> None:
    with open(os.environ["LOAD_REQUESTS"], "w", encoding="utf-8") as log:
        json.dump(_requests, log)


def record_write(client_id: int, version: str, notes: str, outcome: str, status: int) -> None:
    with open(os.environ["LOAD_WRITES"], "a", encoding="utf-8") as log:
        log.write(json.dumps([client_id, version, notes, outcome, status]) + "\n")


def outcome(response) -> str:
    """accepted (redirected after the save), stale (refused with "someone else saved"), unavailable
    (the 503 page), unanswered (no answer at all) or other (anything else: a failure)."""
    if response.status_code == 302:
        return "accepted"
    if response.status_code == 409 or (
        response.status_code == 200 and any(marker in response.text for marker in CONFIG["stale_markers"])
    ):
        return "stale"
    if response.status_code == 503:
        return "unavailable"
    if not response.status_code:
        return "unanswered"
    return "other"


class OfficeWorker(HttpUser):
    abstract = True
    wait_time = between(1, 5)  # reading the page, typing: a busy office worker

    def on_start(self):
        self.number = next(_numbers)
        users = CONFIG["users"]
        self.email = users[self.number % len(users)]
        # The clients this worker edits alone, and those every worker edits.
        shared = CONFIG["shared"]
        self.mine = [c for c in CONFIG["clients"][self.number :: len(users)] if c not in shared]
        self.edits = 0
        self.signed_in = False
        self.sign_in()

    def sign_in(self):
        login = self.client.get("/login", name="/login")
        token = CSRF.search(login.text or "")
        if not token:
            return
        with self.client.post(
            "/login",
            data={"email": self.email, "password": CONFIG["password"], "csrf_token": token.group(1)},
            allow_redirects=False,
            name="/login",
            catch_response=True,
        ) as response:
            self.signed_in = response.status_code == 302
            if response.status_code not in (302, 503):
                response.failure(f"sign-in refused: {response.status_code}")

    @task(6)
    def browse_a_list(self):
        url = random.choice(CONFIG["lists"])
        page = random.choice(("", "?page=1", "?page=2", "?sort=1", "?sort=0&desc=1"))
        self.client.get(url + page, name=url)

    @task(2)
    def search_clients(self):
        search = {"search": random.choice(CONFIG["names"])}
        self.client.get("/admin/clients/", params=search, name="/admin/clients/?search")

    @task(3)
    def open_a_case_file(self):
        client_id = random.choice(CONFIG["clients"])
        self.client.get("/admin/case-file/", params={"client_id": client_id}, name="/admin/case-file/")

    @task(2)
    def edit_my_client(self):
        if self.mine:
            self.edit(random.choice(self.mine), typing=0)

    @task(2)
    def edit_a_shared_client(self):
        """Two (or more) colleagues at the same record: one of them saves first."""
        self.edit(random.choice(CONFIG["shared"]), typing=random.uniform(0.5, 2))

    def edit(self, client_id: int, typing: float) -> None:
        if not self.signed_in:  # a sign-in that met the database restarting
            return self.sign_in()
        url = f"/admin/clients/edit/?id={client_id}"
        form = self.client.get(url, name="/admin/clients/edit/", allow_redirects=False)
        if form.status_code != 200:
            return
        data: dict[str, list[str]] = {}
        for name, value in read_form(form.text).values:
            data.setdefault(name, []).append(value)
        self.edits += 1
        notes = f"load {self.email} edit {self.edits} {time.time():.3f}"
        data["notes"] = [notes]
        time.sleep(typing)
        with self.client.post(
            url, data=data, allow_redirects=False, name="/admin/clients/edit/ (save)", catch_response=True
        ) as response:
            result = outcome(response)
            record_write(client_id, (data.get("version") or [""])[0], notes, result, response.status_code)
            if result in ("other",):
                response.failure(f"not saved and not refused by the message: {response.status_code}")
            elif response.status_code in (409, 503):
                response.success()

    @task(1)
    def export_a_list(self):
        kind = random.choice(("xlsx", "csv"))
        response = self.client.get(f"/admin/clients/export/{kind}/", name=f"/admin/clients/export/{kind}/")
        if response.ok and not response.content:
            response.failure("empty file")


class WorkerOnServerA(OfficeWorker):
    host = CONFIG["hosts"][0]


class WorkerOnServerB(OfficeWorker):
    host = CONFIG["hosts"][1]
