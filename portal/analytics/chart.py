"""A stacked bar chart of starts per day, drawn on the server as SVG (no script): geometry here,
markup in templates/admin/portal/startrequest/_chart.html. The same numbers are the table
beside it (docs/decisions/0082-analytics-dashboard.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from portal.analytics.selectors import DailySeries

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 40, 12, 40
# Okabe and Ito's colour-blind-safe set, darkened where white text or a white page needs 3:1;
# the last is "Other".
COLOURS = ["#0072b2", "#c75000", "#007a5a", "#b3478b", "#8a6d00", "#2f7fb5", "#882255", "#5f5f5f"]
MOST_SERIES = len(COLOURS)
OTHER = "__other__"


def grouped(series: DailySeries) -> DailySeries:
    """At most MOST_SERIES series: the biggest, then one "Other" for the rest."""
    if len(series.keys) <= MOST_SERIES:
        return series
    kept, rest = series.keys[: MOST_SERIES - 1], set(series.keys[MOST_SERIES - 1 :])
    counts: dict = {}
    for (day, key), n in series.counts.items():
        slot = (day, OTHER if key in rest else key)
        counts[slot] = counts.get(slot, 0) + n
    labels = {key: series.labels[key] for key in kept} | {OTHER: _("Other")}
    return DailySeries(days=series.days, keys=[*kept, OTHER], labels=labels, counts=counts)


def nice_ceiling(value: int) -> tuple[int, int]:
    """The axis top and tick step: 1, 2 or 5 times a power of ten, in 4-5 steps."""
    if value <= 4:
        return 4, 1
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.ceil(value / step) * step, step


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def chart(series: DailySeries) -> dict:
    """Everything the SVG template draws: bars with a <title> each, axis ticks, day labels."""
    days = series.days
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top, step = nice_ceiling(max((series.day_total(day) for day in days), default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.78, 1.0)
    colour = {key: COLOURS[i] if key != OTHER else COLOURS[-1] for i, key in enumerate(series.keys)}
    bars = []
    for index, day in enumerate(days):
        base = 0
        day_label = formats.date_format(day, "SHORT_DATE_FORMAT")
        for key in series.keys:
            n = series.value(day, key)
            if not n:
                continue
            y = TOP + plot_h * (1 - (base + n) / top)
            bars.append(
                Bar(
                    x=round(LEFT + index * slot + (slot - bar_w) / 2, 2),
                    y=round(y, 2),
                    width=round(bar_w, 2),
                    height=round(plot_h * n / top, 2),
                    colour=colour[key],
                    title=f"{day_label} · {series.labels[key]}: {n}",
                )
            )
            base += n
    ticks = [
        {"value": value, "y": round(TOP + plot_h * (1 - value / top), 2)} for value in range(0, top + 1, step)
    ]
    every = max(1, math.ceil(len(days) / 5))  # five day labels fit side by side
    labels = [
        {"x": round(LEFT + (index + 0.5) * slot, 2), "text": formats.date_format(day, "MONTH_DAY_FORMAT")}
        for index, day in enumerate(days)
        if (len(days) - 1 - index) % every == 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 20,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": [{"label": series.labels[key], "colour": colour[key]} for key in series.keys],
    }
