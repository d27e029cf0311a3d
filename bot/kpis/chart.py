"""A KPI's history as a PNG: the values over time, the target (or its band), launch dates.

`render_many_png` stacks up to MAX_PANELS such charts in one image (a digest's KPIs).
Rendered server-side with matplotlib's Agg canvas (a `Figure` and `FigureCanvasAgg`, never
pyplot: no display, no global figure registry), off the event loop in a worker thread, one
render at a time per process, and within a fixed memory bound: the image is always 800×350 px,
at most MAX_POINTS points are drawn (longer series are reduced evenly, keeping each stretch's
low and high so spikes stay visible), at most MAX_LAUNCHES launch lines, and texts are cut.

Matplotlib is imported on the first render, not with this module. If MPLCONFIGDIR is unset it
is pointed at a private temporary directory first, so nothing is written to the home directory
(which the Docker image's user 10001 cannot write to) and matplotlib does not warn about it.
"""
from __future__ import annotations

import asyncio
import atexit
import io
import math
import os
import shutil
import tempfile
import threading
import warnings
import weakref
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.5, 100  # → 800×350 px
SIZE = (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))
MAX_POINTS = 1000
MAX_LAUNCHES = 20
TITLE_MAX = 60
LAUNCH_LABEL_MAX = 28
UNIT_MAX = 20
MARKERS_UP_TO = 60  # fewer points than this: each value gets a dot, red when off target
MIN_DAYS = 6
MAX_PANELS = 4  # charts in one image (render_many_png), stacked: 800 px wide, 260 px each
PANEL_HEIGHT_IN = 2.6

LINE, GOOD, BAD, TARGET, LAUNCH = "#1f6feb", "#2da44e", "#cf222e", "#57606a", "#8250df"
UNIT_LABELS = {"%": "%", "count": "count", "currency": "currency", "ratio": "ratio", "duration": "duration"}


@dataclass(frozen=True)
class ChartData:
    title: str                      # plain text (already rendered from user text by the caller)
    unit: str                       # "%", "count", "currency", "ratio", "duration"
    points: list[tuple[datetime, float]]   # aware datetimes, any order
    target: float | None = None
    band: tuple[float, float] | None = None   # a target band (low, high)
    higher_is_better: bool = True
    launches: list[tuple[date, str]] = field(default_factory=list)  # marked as vertical lines with their names


async def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes (800×350, RGBA). Raises ValueError for a naive datetime.

    Renders wait their turn (one at a time per process) without holding a thread; if the
    awaiting task is cancelled, the render under way finishes in its thread before the next
    one starts, so renders never overlap."""
    _check_aware([data])
    return await _in_turn(_render, data)


async def render_many_png(charts: list[ChartData]) -> bytes:
    """Several KPIs in one PNG (a digest's thread): the first MAX_PANELS, one panel each,
    stacked (800 px wide, 260 px a panel), drawn as `render_png` draws one, in the same turn."""
    if not charts:
        raise ValueError("no chart to draw")
    _check_aware(charts)
    return await _in_turn(_render_many, charts[:MAX_PANELS])


def _check_aware(charts: list[ChartData]) -> None:
    for data in charts:
        for at, _ in data.points:
            if at.tzinfo is None or at.utcoffset() is None:
                raise ValueError(f"chart points need aware datetimes, got {at!r}")


async def _in_turn(render: Any, arg: Any) -> bytes:
    gate = _gate()
    await gate.acquire()
    try:
        job = asyncio.ensure_future(asyncio.to_thread(render, arg))
    except BaseException:
        gate.release()
        raise
    job.add_done_callback(lambda done: _finished(done, gate))
    return await asyncio.shield(job)


# -- one at a time -------------------------------------------------------------------------
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
_render_lock = threading.Lock()  # the process-wide guarantee, whatever the number of event loops


def _gate() -> asyncio.Semaphore:
    """The running loop's semaphore (an asyncio primitive belongs to one loop)."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(1)
    return gate


def _finished(job: asyncio.Future[bytes], gate: asyncio.Semaphore) -> None:
    gate.release()
    if not job.cancelled():
        job.exception()  # retrieved here too, so an abandoned render's error is not logged as lost


# -- matplotlib, loaded once -----------------------------------------------------------------
_mpl: dict[str, Any] = {}
_load_lock = threading.Lock()


def _matplotlib() -> dict[str, Any]:
    with _load_lock:
        if not _mpl:
            if not os.environ.get("MPLCONFIGDIR"):
                config = tempfile.mkdtemp(prefix="prodops-matplotlib-")
                atexit.register(shutil.rmtree, config, ignore_errors=True)
                os.environ["MPLCONFIGDIR"] = config
            os.environ.setdefault("MPLBACKEND", "Agg")
            # A name in a script DejaVu Sans lacks (emoji, CJK) draws boxes; not worth a warning each time.
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
            import matplotlib.dates as mdates
            import numpy as np
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import FuncFormatter
            _mpl.update(np=np, mdates=mdates, Figure=Figure, FigureCanvasAgg=FigureCanvasAgg,
                        FuncFormatter=FuncFormatter)
        return _mpl


# -- the drawing -------------------------------------------------------------------------------
def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _compact(value: float) -> str:
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.4g}"


def _reduce(xs: Any, ys: Any, limit: int, np: Any) -> tuple[Any, Any]:
    """At most `limit` points: the first and the last (the latest value is the latest), and
    between them the series cut into equal runs, each kept as its lowest and highest value (in
    time order), so a spike is not sampled away."""
    if len(xs) <= limit:
        return xs, ys
    keep = [0]
    for run in np.array_split(np.arange(1, len(xs) - 1), (limit - 2) // 2):
        low, high = run[np.argmin(ys[run])], run[np.argmax(ys[run])]
        keep.extend(sorted({int(low), int(high)}))
    keep.append(len(xs) - 1)
    index = np.array(keep)
    return xs[index], ys[index]


def _on_target(values: Any, data: ChartData, np: Any) -> Any:
    if data.band is not None:
        low, high = sorted(data.band)
        return (values >= low) & (values <= high)
    if data.target is not None:
        return values >= data.target if data.higher_is_better else values <= data.target
    return np.ones(len(values), dtype=bool)


def _render(data: ChartData) -> bytes:
    with _render_lock:
        return _draw(data, _matplotlib())


def _render_many(charts: list[ChartData]) -> bytes:
    with _render_lock:
        return _draw_many(charts, _matplotlib())


def _draw(data: ChartData, mpl: dict[str, Any]) -> bytes:
    return _figure([data], mpl, HEIGHT_IN)


def _draw_many(charts: list[ChartData], mpl: dict[str, Any]) -> bytes:
    return _figure(charts[:MAX_PANELS], mpl, PANEL_HEIGHT_IN * min(len(charts), MAX_PANELS))


def _figure(charts: list[ChartData], mpl: dict[str, Any], height: float) -> bytes:
    """One PNG of `WIDTH_IN` by `height` inches: each chart in its own panel, stacked."""
    fig = mpl["Figure"](figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white", layout="constrained")
    try:
        canvas = mpl["FigureCanvasAgg"](fig)
        axes = fig.subplots(len(charts), 1, squeeze=False)[:, 0]
        for ax, data in zip(axes, charts):
            _plot(ax, data, mpl)
        out = io.BytesIO()
        canvas.print_png(out, metadata={"Software": None})
        return out.getvalue()
    finally:
        fig.clear()


def _plot(ax: Any, data: ChartData, mpl: dict[str, Any]) -> None:
    np, mdates = mpl["np"], mpl["mdates"]
    finite = sorted((at.astimezone(UTC), float(v)) for at, v in data.points if math.isfinite(v))
    xs = np.array([mdates.date2num(at) for at, _ in finite], dtype=float)
    ys = np.array([v for _, v in finite], dtype=float)
    xs, ys = _reduce(xs, ys, MAX_POINTS, np)

    ax.set_title(_cut(data.title, TITLE_MAX) or "KPI", loc="left", fontsize=11, parse_math=False)
    unit = _cut(UNIT_LABELS.get(data.unit, data.unit), UNIT_MAX)
    ax.set_ylabel(unit, parse_math=False)
    percent = data.unit == "%"
    ax.yaxis.set_major_formatter(mpl["FuncFormatter"](lambda v, _: _compact(v) + ("%" if percent else "")))
    ax.grid(True, color="#d0d7de", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    # x range: the values' and the launches' days, at least MIN_DAYS wide (one value is a
    # dot in the middle); the caller picks the window by the launches it passes
    launches = _latest_launches(data.launches, mdates)
    days = [*xs.tolist(), *(at for at, _ in launches)]
    if days:
        left, right = min(days), max(days)
    else:
        left, right = 0.0, 2.0
        ax.set_xticks([])
    if right - left < MIN_DAYS:
        middle = (left + right) / 2
        left, right = middle - MIN_DAYS / 2, middle + MIN_DAYS / 2
    pad = (right - left) * 0.03
    ax.set_xlim(left - pad, right + pad)

    good_side = None
    if data.band is not None:
        low, high = sorted(float(b) for b in data.band)
        ax.axhspan(low, high, color=GOOD, alpha=0.12, linewidth=0, label="target band")
        good_side = (low, high)
    elif data.target is not None:
        ax.axhline(float(data.target), color=TARGET, linestyle="--", linewidth=1.2,
                   label=f"target ({'higher' if data.higher_is_better else 'lower'} is better)")
        good_side = (float(data.target), float(data.target))

    if len(xs):
        sparse = len(xs) < MARKERS_UP_TO
        ax.plot(xs, ys, color=LINE, linewidth=1.6, marker="o" if sparse else None, markersize=3.5, zorder=3)
        off = ~_on_target(ys, data, np) if good_side is not None else np.zeros(len(ys), dtype=bool)
        if sparse and off.any():
            ax.scatter(xs[off], ys[off], color=BAD, s=14, zorder=4, label="off target")
        # the latest value, red when it is off target
        ax.scatter(xs[-1:], ys[-1:], color=BAD if off[-1] else LINE, s=32, zorder=5)
    else:
        ax.text(0.5, 0.5, "No values yet", transform=ax.transAxes, ha="center", va="center",
                color=TARGET, fontsize=12)
        if good_side is None:
            ax.set_yticks([])

    # y range: the values and the target/band, so the target line is always in view
    lows = [*ys.tolist(), *(good_side or ())]
    if lows:
        bottom, top = min(lows), max(lows)
        span = (top - bottom) or max(abs(top) * 0.1, 1.0)
        ax.set_ylim(bottom - span * 0.12, top + span * 0.22)  # room above for launch names

    for at, name in launches:
        ax.axvline(at, color=LAUNCH, linewidth=1, alpha=0.7, zorder=2)
        ax.text(at, 0.98, " " + _cut(name, LAUNCH_LABEL_MAX), transform=ax.get_xaxis_transform(),
                rotation=90, ha="right", va="top", fontsize=7, color=LAUNCH, parse_math=False,
                clip_on=True)

    if days:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if ax.get_legend_handles_labels()[0]:
        # above the plot, right of the title: clear of the launch names
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False, ncols=3,
                  borderaxespad=0.1)


def _latest_launches(launches: list[tuple[date, str]], mdates: Any) -> list[tuple[float, str]]:
    """The latest MAX_LAUNCHES launches, each at its day's start (UTC), in date order."""
    latest = sorted(launches, key=lambda launch: launch[0])[-MAX_LAUNCHES:]
    return [(mdates.date2num(datetime.combine(day, time(), UTC)), name) for day, name in latest]


__all__ = ["ChartData", "render_png", "render_many_png", "SIZE", "MAX_POINTS", "MAX_LAUNCHES", "MAX_PANELS"]
