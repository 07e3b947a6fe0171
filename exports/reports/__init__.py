"""The reports SKA and the municipality need, for a chosen period: each a few tables computed by
set-based queries (GROUP BY in the database, never a loop over rows), shown on screen with a chart
and written as a workbook with native Excel charts (``workbook``).

A report is a function ``build(start, end) -> Report`` (``report``) in a module of its own, listed in
``report.REPORTS`` by URL key when this package imports it below. The report modules import
``report``; only ``admin_app`` imports the package."""

from . import pilot, quality, statistics, supervision, youth  # noqa: F401  (each registers its report)
