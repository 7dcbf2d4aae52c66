"""The dashboard's figures and charts, drawn on the server as SVG with matplotlib.

Why server-side SVG: matplotlib is already pinned (Rasa needs it), so the console needs no
JavaScript chart library, no npm bundle and no CDN; the pages keep a content security policy
that runs no script at all, and an SVG is served from the console's own origin as an image
(it cannot run script as an <img>). Figures are drawn with matplotlib's object API (no pyplot
state), so requests can draw in parallel threads.
"""
from __future__ import annotations

import io
import statistics
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402
from sqlalchemy import and_, func, select  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bot.clinical import triage  # noqa: E402
from bot.console.conversations import Index, is_fallback  # noqa: E402
from bot.console.schema import conversations  # noqa: E402

DAYS = 30
LEVEL_COLOURS = {"emergency": "#b3261e", "urgent": "#e8710a", "see_doctor": "#f2c14e",
                 "self_care": "#3a8d5c", "none": "#9aa0a6"}
LOW_CONFIDENCE = 0.5
TOP_MESSAGES = 10


def _days(today: date, days: int = DAYS) -> List[date]:
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def per_day(connection: Connection, today: date) -> Dict[str, dict]:
    """{day: {"total", "fell_back", disposition or "none": n}} for the last DAYS days."""
    start = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(),
                             tzinfo=timezone.utc)
    c = conversations.c
    day = func.date(c.started_at)
    rows = connection.execute(
        select(day, c.disposition, c.fell_back, func.count())
        .where(c.started_at >= start).group_by(day, c.disposition, c.fell_back))
    table = {d.isoformat(): Counter() for d in _days(today)}
    for when, level, fell_back, n in rows:
        key = str(when)[:10]
        if key not in table:
            continue
        table[key]["total"] += n
        table[key][level or "none"] += n
        if fell_back:
            table[key]["fell_back"] += n
    return table


def left_at(connection: Connection) -> List[Tuple[str, int]]:
    c = conversations.c
    rows = connection.execute(select(c.abandoned_at, func.count())
                              .where(c.abandoned_at.is_not(None)).group_by(c.abandoned_at))
    order = {q: i for i, q in enumerate(triage.FORM_QUESTION_IDS)}
    return sorted(((q, n) for q, n in rows), key=lambda item: order.get(item[0], 99))


def median_turns(connection: Connection) -> float | None:
    c = conversations.c
    values = [n for (n,) in connection.execute(select(c.turns_to_recommendation).where(
        c.turns_to_recommendation.is_not(None)).order_by(c.last_at.desc()).limit(10_000))]
    return statistics.median(values) if values else None


def misunderstood_this_week(index: Index, connection: Connection, today: date,
                            limit: int = TOP_MESSAGES) -> List[Tuple[str, int]]:
    """The user messages most often misunderstood in the last 7 days: the NLU fell back on
    them, the reply to them said it did not understand, or the intent was under
    LOW_CONFIDENCE."""
    start = datetime.combine(today - timedelta(days=6), datetime.min.time(), tzinfo=timezone.utc)
    c = conversations.c
    ids = [r[0] for r in connection.execute(select(c.conversation_id).where(and_(
        c.last_at >= start, (c.fell_back.is_(True)) | (c.min_confidence < LOW_CONFIDENCE)))
        .order_by(c.last_at.desc()).limit(500))]
    counted: Counter = Counter()
    shown: Dict[str, str] = {}
    for conversation_id in ids:
        last_text = None
        for event in index.events_of(conversation_id):
            if event.get("timestamp", 0) < start.timestamp():
                continue
            if event.get("event") == "user":
                text = " ".join((event.get("text") or "").split())
                confidence = ((event.get("parse_data") or {}).get("intent") or {}).get(
                    "confidence")
                last_text = text if text and not text.startswith("/") else None
                if last_text and (is_fallback(event) or (confidence is not None
                                                         and confidence < LOW_CONFIDENCE)):
                    counted[last_text.lower()] += 1
                    shown.setdefault(last_text.lower(), last_text)
                    last_text = None
            elif last_text and is_fallback(event):
                counted[last_text.lower()] += 1
                shown.setdefault(last_text.lower(), last_text)
                last_text = None
    return [(shown[k], n) for k, n in counted.most_common(limit)]


# ---------------------------------------------------------------- drawing

def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "console"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _figure(width: float = 8, height: float = 3.2):
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _day_labels(axes, days: List[str]) -> None:
    ticks = list(range(0, len(days), max(1, len(days) // 6)))
    axes.set_xticks(ticks)
    axes.set_xticklabels([days[i][5:] for i in ticks])


def dispositions_chart(table: Dict[str, dict]) -> bytes:
    days = list(table)
    figure, axes = _figure()
    bottom = [0] * len(days)
    for level in ("none",) + triage.LADDER:
        values = [table[d][level] for d in days]
        axes.bar(range(len(days)), values, bottom=bottom, color=LEVEL_COLOURS[level],
                 label=level.replace("_", " "))
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_ylabel("conversations")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Conversations per day, by recommendation", loc="left")
    _day_labels(axes, days)
    axes.legend(frameon=False, ncol=5, fontsize="small", loc="upper center",
                bbox_to_anchor=(0.5, -0.12))
    return _svg(figure)


def fallback_chart(table: Dict[str, dict]) -> bytes:
    days = list(table)
    rates = [100 * table[d]["fell_back"] / table[d]["total"] if table[d]["total"] else None
             for d in days]
    figure, axes = _figure()
    points = [(i, r) for i, r in enumerate(rates) if r is not None]
    if points:
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#1a73e8")
    axes.set_ylim(0, 100)
    axes.set_xlim(-0.5, len(days) - 0.5)
    axes.set_ylabel("% of conversations")
    axes.set_title("Conversations where the bot fell back, per day", loc="left")
    _day_labels(axes, days)
    return _svg(figure)


def left_chart(rows: List[Tuple[str, int]]) -> bytes:
    figure, axes = _figure(height=max(2.2, 0.35 * len(rows) + 1))
    if rows:
        labels = [q for q, _ in rows][::-1]
        axes.barh(labels, [n for _, n in rows][::-1], color="#5f6368")
    else:
        axes.text(0.5, 0.5, "nobody left in the middle of the questions", ha="center",
                  va="center", transform=axes.transAxes)
        axes.set_yticks([])
    axes.set_xlabel("conversations that stopped at this question")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Where people leave the triage", loc="left")
    return _svg(figure)


def misunderstood_chart(rows: List[Tuple[str, int]]) -> bytes:
    figure, axes = _figure(height=max(2.2, 0.35 * len(rows) + 1))
    if rows:
        labels = [_plain(t if len(t) <= 40 else t[:39] + "…") for t, _ in rows][::-1]
        axes.barh(range(len(rows)), [n for _, n in rows][::-1], color="#b3261e")
        axes.set_yticks(range(len(rows)))
        axes.set_yticklabels(labels)
    else:
        axes.text(0.5, 0.5, "nothing misunderstood this week", ha="center", va="center",
                  transform=axes.transAxes)
        axes.set_yticks([])
    axes.set_xlabel("times this week")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Top misunderstood messages this week", loc="left")
    return _svg(figure)


def _plain(text: str) -> str:
    """A message as a label: matplotlib reads $...$ as mathematics."""
    return text.replace("$", r"\$")
