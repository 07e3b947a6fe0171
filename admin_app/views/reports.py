"""Aruanded: the reports for a chosen period, on screen with a chart and as a workbook with charts."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.numbers import format_decimal
from flask import Response, abort, current_app, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from exports.reports.report import REPORTS, Report
from exports.reports.workbook import write_report
from exports.tabular import Conventions, Kind
from models.base import EARLIEST_DAY, LATEST_DAY, day_in_range

from ..access_rules import shows_no_person
from ..background import JobOutcome, job, start_job
from ..registers.base import SecuredMixin

MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_JOB = "report"


def _parse_day(text: str | None) -> date | None:
    text = (text or "").strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def default_period(today: date | None = None) -> tuple[date, date]:
    """The year so far: 1 January to today."""
    today = today or date.today()
    return date(today.year, 1, 1), today


def quick_periods(today: date | None = None) -> list[tuple[str, date, date]]:
    today = today or date.today()
    first_this_month = today.replace(day=1)
    last_month_end = first_this_month - timedelta(days=1)
    return [
        (gettext("This year"), date(today.year, 1, 1), today),
        (gettext("Last year"), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        (gettext("Last month"), last_month_end.replace(day=1), last_month_end),
    ]


def cell(value, kind: Kind) -> str:
    """A report figure as the screen shows it."""
    if value is None:
        return "—"
    locale = str(get_locale() or "et")
    if isinstance(value, Decimal) and kind == Kind.MONEY:
        return format_decimal(value, format="#,##0.00", locale=locale) + " €"
    if isinstance(value, Decimal):
        return format_decimal(value, format="#,##0.00", locale=locale)
    if isinstance(value, int):
        return format_decimal(value, format="#,##0", locale=locale)
    return str(value)


def bars(table) -> list[dict]:
    """The table's chart for the screen: per category, each series as a share of the largest figure."""
    chart = table.chart
    figures = [
        [float(row[i]) if isinstance(row[i], int | float | Decimal) else 0.0 for i in chart.values]
        for row in table.rows
    ]
    top = max((sum(f) if chart.stacked else max(f, default=0)) for f in figures) if figures else 0
    out = []
    for row, values in zip(table.rows, figures, strict=True):
        out.append(
            {
                "label": str(row[chart.category]),
                "series": [
                    {
                        "name": table.columns[i].label,
                        "value": cell(row[i], table.columns[i].kind),
                        "share": (v / top * 100) if top > 0 and v > 0 else 0,
                        "n": n,
                    }
                    for n, (i, v) in enumerate(zip(chart.values, values, strict=True))
                ],
            }
        )
    return out


class ReportsView(SecuredMixin, BaseView):
    """The reports: aggregate figures only, never a person's data, so the accountant reads them too."""

    read_roles = ("head", "case_manager", "accountant")

    def _period(self) -> tuple[date, date, list[str]]:
        errors = []
        start_text, end_text = request.args.get("start"), request.args.get("end")
        if not start_text and not end_text:
            start, end = default_period()
            return start, end, errors
        start, end = _parse_day(start_text), _parse_day(end_text)
        if start is None:
            errors.append(gettext("Give the first day as dd.mm.yyyy."))
        if end is None:
            errors.append(gettext("Give the last day as dd.mm.yyyy."))
        if not (day_in_range(start) and day_in_range(end)):
            errors.append(
                gettext(
                    "Give days between %(first)s and %(last)s.",
                    first=f"{EARLIEST_DAY:%d.%m.%Y}",
                    last=f"{LATEST_DAY:%d.%m.%Y}",
                )
            )
            return start, end, errors
        if start and end and end < start:
            errors.append(gettext("The last day cannot be before the first."))
        if start and end and (end - start).days > 366 * 10:
            errors.append(gettext("Choose a period of at most ten years."))
        return start, end, errors

    @shows_no_person
    @expose("/")
    def index(self):
        start, end, errors = self._period()
        return self.render(
            "admin/reports.html",
            reports=list(REPORTS.values()),
            start=start,
            end=end,
            errors=errors,
            quick=quick_periods(),
            raw_start=request.args.get("start", ""),
            raw_end=request.args.get("end", ""),
        )

    def _report(self, key: str):
        kind = REPORTS.get(key)
        if kind is None:
            abort(404)
        start, end, errors = self._period()
        return kind, start, end, errors

    @staticmethod
    def is_long(start: date, end: date) -> bool:
        """True when a report over ``start``–``end`` is too long to make in a request."""
        return (end - start).days + 1 > current_app.config["BACKGROUND_REPORT_DAYS"]

    @shows_no_person
    @expose("/<key>/")
    def report_view(self, key: str):
        kind, start, end, errors = self._report(key)
        if errors:
            page = self.index()
            return Response(page, status=400)
        long = self.is_long(start, end)
        # A long period is not counted on screen: the page offers its workbook, made by a job.
        report = Report(key, str(kind.title), start, end) if long else kind.build(start, end)
        return self.render(
            "admin/report.html",
            kind=kind,
            report=report,
            long=long,
            days=current_app.config["BACKGROUND_REPORT_DAYS"],
            cell=cell,
            bars=bars,
            quick=quick_periods(),
        )

    @shows_no_person
    @expose("/<key>/xlsx/")
    def report_xlsx(self, key: str):
        kind, start, end, errors = self._report(key)
        if errors:
            return Response(self.index(), status=400)
        name = f"{key}-{start:%Y-%m-%d}-{end:%Y-%m-%d}.xlsx"
        if self.is_long(start, end):  # made by a job: its progress, then the file under "My downloads"
            download = start_job(
                REPORT_JOB,
                title=f"{kind.title} {start:%d.%m.%Y}–{end:%d.%m.%Y}",
                params={"key": key, "start": start.isoformat(), "end": end.isoformat()},
                rows_total=1,
                file_name=name,
                mimetype=MIME_XLSX,
            )
            return redirect(url_for("downloads.progress", download_id=download.id))
        data = _workbook(kind, start, end)
        return Response(data, mimetype=MIME_XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _workbook(kind, start: date, end: date) -> bytes:
    """The report's workbook, made by and for the signed-in user in their language."""
    who = getattr(current_user, "full_name", None) or current_user.email
    return write_report(kind.build(start, end), Conventions.for_language(str(get_locale() or "et")), exported_by=who)


@job(REPORT_JOB)
def _report_job(download, path: str, report) -> JobOutcome:
    """A report over a long period, made as the request makes it, as the user who asked."""
    view = next(v for v in current_app.extensions["admin"][0]._views if v.endpoint == "reports")
    kind = REPORTS.get(download.params["key"])
    if not view.is_accessible():
        raise PermissionError(gettext("%(who)s may no longer read the reports.", who=download.owner.email))
    if kind is None:
        raise LookupError(gettext("This installation has no report %(key)s.", key=download.params["key"]))
    start, end = (date.fromisoformat(download.params[k]) for k in ("start", "end"))
    with open(path, "wb") as handle:
        handle.write(_workbook(kind, start, end))
    report(1)
    return JobOutcome(1, has_file=True)


def register(admin) -> None:
    admin.add_view(ReportsView(name=_l("Reports"), endpoint="reports", url="reports"))
