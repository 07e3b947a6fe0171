"""The "who saw this client's data" workbook: one row per time the data was seen, for answering a
person's request to know who has processed their data (GDPR art. 15).

Moments are written as Excel dates (Tallinn time), names and addresses always as text."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext

from .tabular import Column, Conventions, Kind, Sheet, write_xlsx

TALLINN = ZoneInfo("Europe/Tallinn")


def access_workbook(client, events, language: str, local_time) -> bytes:
    """The workbook for ``client`` from its ``events`` (AccessEvent rows, oldest first)."""
    buffer = io.BytesIO()
    write_access_workbook(buffer, client, events, len(events), language, local_time)
    return buffer.getvalue()


def write_access_workbook(target, client, events, count: int, language: str, local_time) -> None:
    """Write the workbook for ``client`` to ``target`` (a path or a file) from its ``count`` ``events``
    (AccessEvent rows, oldest first, an iterable read once: a busy client's are streamed, not listed)."""
    from models import AccessKind

    kinds = {k.value: str(k) for k in AccessKind}
    columns = [
        Column(gettext("When"), Kind.DATETIME),
        Column(gettext("Who")),
        Column(gettext("How the data was seen")),
        Column(gettext("Register")),
        Column(gettext("Record"), Kind.NUMBER),
        Column(gettext("Address")),
    ]
    now = datetime.now(TALLINN).strftime("%d.%m.%Y %H:%M")
    sheet = Sheet(
        name=gettext("Who saw the data"),
        columns=columns,
        title_lines=[
            gettext("Who saw the data of %(client)s", client=f"{client.first_name} {client.last_name}"),
            gettext(
                "Personal ID code %(code)s; %(count)s times; made on %(when)s",
                code=client.personal_code,
                count=count,
                when=now,
            ),
        ],
    )
    rows = (
        (
            local_time(e.at),
            e.actor,
            kinds.get(e.kind, e.kind),
            e.table_name or "",
            e.record_id,
            e.url or "",
        )
        for e in events
    )
    write_xlsx(target, sheet, rows, Conventions.for_language(language))
