"""Full-page screenshots of the main screens, on a throwaway SQLite database with the demo data.

    .venv/bin/python -m tests.browser.screenshots docs/screenshots

Builds a database under a temporary directory (migrations, then ``models.seed.demo.load``), serves the app
on 127.0.0.1, signs in as the head of department in Debian's headless Chromium and saves one PNG
per screen, 1366 px wide (an office laptop's 1366×768 screen). Not a test: pytest does not collect this module.
"""

import logging
import os
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

WIDTH, HEIGHT = 1366, 768
ROOT = Path(__file__).resolve().parents[2]


def _prepare_environment(instance: Path) -> None:
    """Point the app at the throwaway instance and database; must run before the app is imported."""
    os.environ["JUHTUM_INSTANCE"] = str(instance)
    os.environ["DATABASE_URL"] = f"sqlite:///{instance / 'juhtum.db'}"
    os.environ["JUHTUM_CONFIG"] = "development"
    os.environ.setdefault("JUHTUM_LANGUAGE", "et")


def _read_logins(instance: Path) -> dict[str, tuple[str, str]]:
    """``demo-logins.txt``: lines of ``role  email  password``, by role."""
    logins = {}
    path = instance / "demo-logins.txt"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3 and "@" in parts[1]:
                logins[parts[0]] = (parts[1], parts[2])
    return logins


def build_database(instance: Path) -> tuple[object, str, str]:
    """Migrate a fresh SQLite database, load the demo data, and return (app, email, password) of the head."""
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.auth import ensure_roles, new_user
    from models.seed import demo

    app = create_app()
    with app.app_context():
        upgrade()
        ensure_roles()
        print(demo.load(str(instance), new_user))
    logins = _read_logins(instance)
    if "head" not in logins:
        raise SystemExit(f"no 'head' line in {instance / 'demo-logins.txt'}: {sorted(logins)}")
    email, password = logins["head"]
    return app, email, password


def _offers_to_compare(app) -> list[int]:
    """Ids of two or three offers for the support with the most offers."""
    import sqlalchemy as sa

    from models import Offer
    from models.base import db

    with app.app_context():
        component_id = db.session.scalar(
            sa.select(Offer.component_id).group_by(Offer.component_id).order_by(sa.func.count().desc()).limit(1)
        )
        ids = db.session.scalars(
            sa.select(Offer.id).where(Offer.component_id == component_id).order_by(Offer.id).limit(3)
        ).all()
    if len(ids) < 2:
        raise SystemExit("the demo data holds no support with two or more offers to compare")
    return list(ids)


def _busy_client(app) -> tuple[int, int]:
    """(client id, open plan id) of the client with the most procedural steps and an open action plan."""
    import sqlalchemy as sa

    from models import ActionPlan, CaseStep, PlanStatus
    from models.base import db

    with app.app_context():
        row = db.session.execute(
            sa.select(CaseStep.client_id, ActionPlan.id)
            .join(ActionPlan, ActionPlan.client_id == CaseStep.client_id)
            .where(ActionPlan.status == PlanStatus.OPEN)
            .group_by(CaseStep.client_id, ActionPlan.id)
            .order_by(sa.func.count().desc(), CaseStep.client_id)
            .limit(1)
        ).first()
    if row is None:
        raise SystemExit("the demo data holds no client with steps and an open action plan")
    return row[0], row[1]


def take_screenshots(app, email: str, password: str, outdir: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT_MS, LiveServer

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    outdir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    saved: list[Path] = []
    server = LiveServer(app).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(
                base_url=server.url,
                locale="et-EE",
                timezone_id="Europe/Tallinn",
                viewport={"width": WIDTH, "height": HEIGHT},
            )
            context.set_default_timeout(STEP_TIMEOUT_MS)
            page = context.new_page()

            def shot(name: str, full_page: bool = True) -> None:
                page.wait_for_load_state("networkidle")
                path = outdir / f"{name}.png"
                page.screenshot(path=str(path), full_page=full_page)
                saved.append(path)
                size = path.stat().st_size // 1024
                warning = "  (over 400 KB)" if size > 400 else ""
                print(f"{path}  {size} KB{warning}  {page.url.removeprefix(server.url)}")

            page.goto("/")
            page.wait_for_url(re.compile(r"/login(\?|$)"))
            shot("01-sign-in")

            page.fill("#email", email)
            page.fill("#password", password)
            page.locator("form[name=login_user_form] button[type=submit]").click()
            page.wait_for_url(re.compile(r"/admin/$"))

            page.goto("/admin/clients/?page_size=20")  # 50 tall rows make a PNG over 400 KB
            shot("02-clients")

            page.goto("/admin/providers/")
            shot("03-providers")
            page.locator("table.model-list a[href*='/admin/providers/details/']").first.click()
            page.wait_for_url(re.compile(r"/admin/providers/details/"))
            shot("04-provider-details")

            ids = _offers_to_compare(app)
            page.goto("/admin/offers/?page_size=100")
            for offer_id in ids:
                page.check(f"input.action-checkbox[value='{offer_id}']")
            compare = page.locator("a[onclick*=\"modelActions.execute('compare')\"]")
            page.locator(".nav-tabs li.dropdown", has=compare).locator(".dropdown-toggle").click()
            compare.click()
            page.wait_for_url(re.compile(r"/admin/offers/compare/"))
            expect(page.locator("body")).not_to_contain_text("Traceback")
            shot("05-offer-comparison")

            page.goto("/admin/service-components/")
            shot("06-component-catalogue")

            page.goto("/admin/")
            shot("07-home")

            client_id, plan_id = _busy_client(app)
            page.goto(f"/admin/case-file/?client_id={client_id}")
            expect(page.locator("body")).not_to_contain_text("Traceback")
            shot("08-case-file")

            page.goto(f"/admin/action-plans/print/?id={plan_id}")
            shot("09-action-plan-print")

            year_ago = date.today().replace(day=1, month=1, year=date.today().year - 1)
            for n, key in enumerate(("ska-pilot", "statistics", "quality-of-life", "supervision"), start=10):
                page.goto(f"/admin/reports/{key}/?start={year_ago:%d.%m.%Y}&end={date.today():%d.%m.%Y}")
                expect(page.locator("body")).not_to_contain_text("Traceback")
                shot(f"{n}-report-{key}")

            page.goto("/admin/invoices/")
            shot("14-invoices")
            page.locator("table.model-list a[href*='/admin/invoices/details/']").first.click()
            page.wait_for_url(re.compile(r"/admin/invoices/details/"))
            shot("15-invoice-details", full_page=False)  # the first screen only: the whole invoice is long

            page.goto("/admin/letters/")
            shot("16-letters")
            page.goto("/admin/deliveries/?page_size=20")
            shot("18-deliveries")
            page.goto("/register/")
            shot("17-public-register")
            browser.close()
    finally:
        server.stop()
    return saved


def main(argv: list[str]) -> int:
    outdir = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory(prefix="juhtum-screenshots-") as tmp:
        instance = Path(tmp)
        _prepare_environment(instance)
        app, email, password = build_database(instance)
        take_screenshots(app, email, password, outdir.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
