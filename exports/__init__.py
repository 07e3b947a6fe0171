"""What leaves juhtum as a file: the bulk export's xlsx and CSV writer (``tabular``), the monthly
invoice workbook (``invoice``), the access-log workbook (``access_log``) and the reports with their
workbooks (``reports``), built from queries and streamed. Imports ``models`` and ``config``, never
``admin_app``; imported by ``admin_app``."""
