"""Office workers for the load test (``tests/bench/load_test.py`` starts locust with this file).

Each simulated worker signs in as their own user and, for as long as the run lasts, browses the
register lists, opens case files, edits the notes of the clients that are theirs alone (so the last
write of each is known), and exports a list. Every edit the server accepted is written to
``LOAD_WRITES`` (client id, the notes written) for the driver to look for in the database."""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

from tests.admin_app.helpers import read_form

CONFIG = json.loads(open(os.environ["LOAD_CONFIG"], encoding="utf-8").read())
_numbers = itertools.count()
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def record_write(client_id: int, notes: str) -> None:
    with open(os.environ["LOAD_WRITES"], "a", encoding="utf-8") as log:
        log.write(json.dumps([client_id, notes]) + "\n")


class OfficeWorker(HttpUser):
    abstract = True
    wait_time = between(1, 5)  # reading the page, typing: a busy office worker

    def on_start(self):
        self.number = next(_numbers)
        users = CONFIG["users"]
        self.email = users[self.number % len(users)]
        # The clients this worker edits: no other worker edits them.
        self.mine = CONFIG["clients"][self.number :: len(users)]
        self.edits = 0
        login = self.client.get("/login", name="/login")
        token = CSRF.search(login.text).group(1)
        with self.client.post(
            "/login",
            data={"email": self.email, "password": CONFIG["password"], "csrf_token": token},
            allow_redirects=False,
            name="/login",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
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
    def edit_a_client(self):
        if not self.mine:
            return
        client_id = random.choice(self.mine)
        url = f"/admin/clients/edit/?id={client_id}"
        form = self.client.get(url, name="/admin/clients/edit/")
        data: dict[str, list[str]] = {}
        for name, value in read_form(form.text).values:
            data.setdefault(name, []).append(value)
        self.edits += 1
        notes = f"load {self.email} edit {self.edits}"
        data["notes"] = [notes]
        with self.client.post(
            url, data=data, allow_redirects=False, name="/admin/clients/edit/ (save)", catch_response=True
        ) as response:
            if response.status_code == 302:
                record_write(client_id, notes)
            else:
                response.failure(f"not saved: {response.status_code}")

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
