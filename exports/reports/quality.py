"""Quality of life compared: how many answered at each point, the mean score at each point and the
mean change per person since entry, in total and per item."""

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from exports.tabular import Column, Kind
from models import InstrumentItem, QolAnswer, QolAnswerSet, QolPoint, db

from .report import Chart, Report, Table, mean, register

LATER = (QolPoint.ONE_YEAR, QolPoint.EXIT)


def _by_point(start, end) -> Table:
    in_period = QolAnswerSet.answered_on.between(start, end)
    answered = {
        point: (n, total)
        for point, n, total in db.session.execute(
            sa.select(QolAnswerSet.point, sa.func.count(), sa.func.sum(QolAnswerSet.score))
            .where(in_period)
            .group_by(QolAnswerSet.point)
        )
    }
    entry, later = aliased(QolAnswerSet), aliased(QolAnswerSet)
    changes = {
        point: (n, total)
        for point, n, total in db.session.execute(
            sa.select(later.point, sa.func.count(), sa.func.sum(later.score - entry.score))
            .join(
                entry,
                sa.and_(
                    entry.client_id == later.client_id,
                    entry.point == QolPoint.ENTRY,
                    entry.instrument_id == later.instrument_id,
                ),
            )
            .where(later.answered_on.between(start, end), later.point.in_(LATER))
            .group_by(later.point)
        )
    }
    rows = []
    for point in QolPoint:
        n, total = answered.get(point, (0, None))
        compared, change = changes.get(point, (None, None))
        rows.append([str(point), n, mean(total, n), compared, mean(change, compared)])
    return Table(
        title=gettext("Answers and mean score by point"),
        columns=[
            Column(gettext("Point")),
            Column(gettext("Answered"), Kind.NUMBER),
            Column(gettext("Mean score"), Kind.NUMBER),
            Column(gettext("Persons compared with entry"), Kind.NUMBER),
            Column(gettext("Mean change since entry"), Kind.NUMBER),
        ],
        rows=rows,
        chart=Chart("column", 0, (2,)),
        note=gettext(
            "A change is counted per person: the score at a later point less the same person's score at entry."
        ),
    )


def _by_item(start, end) -> Table:
    answer_set = QolAnswerSet
    means = {
        (item_id, point): mean(total, n)
        for item_id, point, total, n in db.session.execute(
            sa.select(QolAnswer.item_id, answer_set.point, sa.func.sum(QolAnswer.value), sa.func.count())
            .join(answer_set, QolAnswer.answer_set_id == answer_set.id)
            .where(answer_set.answered_on.between(start, end))
            .group_by(QolAnswer.item_id, answer_set.point)
        )
    }
    entry_set, later_set = aliased(QolAnswerSet), aliased(QolAnswerSet)
    entry_answer, later_answer = aliased(QolAnswer), aliased(QolAnswer)
    changes = {
        (item_id, point): mean(total, n)
        for item_id, point, total, n in db.session.execute(
            sa.select(
                later_answer.item_id,
                later_set.point,
                sa.func.sum(later_answer.value - entry_answer.value),
                sa.func.count(),
            )
            .join(later_set, later_answer.answer_set_id == later_set.id)
            .join(entry_set, sa.and_(entry_set.client_id == later_set.client_id, entry_set.point == QolPoint.ENTRY))
            .join(
                entry_answer,
                sa.and_(entry_answer.answer_set_id == entry_set.id, entry_answer.item_id == later_answer.item_id),
            )
            .where(later_set.answered_on.between(start, end), later_set.point.in_(LATER))
            .group_by(later_answer.item_id, later_set.point)
        )
    }
    item_ids = {item_id for item_id, _ in means} | {item_id for item_id, _ in changes}
    items = db.session.scalars(
        sa.select(InstrumentItem)
        .where(InstrumentItem.id.in_(item_ids))
        .order_by(InstrumentItem.instrument_id, InstrumentItem.position)
    ).all()
    rows = [
        [
            f"{item.position}. {item.text}",
            *(means.get((item.id, point)) for point in QolPoint),
            *(changes.get((item.id, point)) for point in LATER),
        ]
        for item in items
    ]
    return Table(
        title=gettext("Mean answer per item"),
        columns=[
            Column(gettext("Question")),
            *(Column(gettext("Mean: %(point)s", point=str(point)), Kind.NUMBER) for point in QolPoint),
            *(Column(gettext("Change since entry: %(point)s", point=str(point)), Kind.NUMBER) for point in LATER),
        ],
        rows=rows,
        chart=Chart("bar", 0, (1, 2, 3)),
    )


@register(
    "quality-of-life",
    _l("Quality of life compared"),
    _l("How many answered at entry, after one year and at exit; mean scores and the change per person."),
)
def build(start, end) -> Report:
    report = Report("quality-of-life", gettext("Quality of life compared"), start, end)
    report.tables = [_by_point(start, end), _by_item(start, end)]
    return report
