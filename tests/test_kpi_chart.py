"""KPI charts: real PNGs of a fixed size from any series, rendered off the event loop one at a
time, and shared through the fake Slack with the files upload v2 flow (the bytes that arrive
decode as the same image)."""
from __future__ import annotations

import asyncio
import gc
import io
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from PIL import Image
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.kpis import chart
from bot.kpis.chart import MAX_LAUNCHES, MAX_POINTS, SIZE, ChartData, render_png
from bot.kpis.upload import upload_png
from bot.slack import make_client
from tests.conftest import bot_settings
from tests.fake_slack import FakeSlack

START = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)


def daily(n: int, value: Callable[[int], float] = lambda i: 40 + 8 * math.sin(i / 6)) -> list[tuple[datetime, float]]:
    return [(START + timedelta(days=i), value(i)) for i in range(n)]


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()  # the whole image decodes, not only its header
    return image


def near(image: Image.Image, colour: str, tolerance: int) -> Any:
    rgb = np.asarray(image.convert("RGB"), dtype=int)
    want = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return np.abs(rgb - want).sum(axis=2) < tolerance


def pixels_near(image: Image.Image, colour: str, tolerance: int = 40) -> int:
    return int(near(image, colour, tolerance).sum())


def longest_row(image: Image.Image, colour: str, tolerance: int = 100) -> int:
    """The most pixels of `colour` in one row: a horizontal line, not text."""
    return int(near(image, colour, tolerance).sum(axis=1).max())


CASES = {
    "target": ChartData("Activation", "%", daily(90), target=42),
    "band": ChartData("NPS", "count", daily(90, lambda i: 1200 + 300 * math.sin(i / 9)), band=(1100, 1400)),
    "lower is better": ChartData("Tickets per week", "count", daily(30), target=45, higher_is_better=False),
    "launches": ChartData("Churn", "ratio", daily(60, lambda i: 0.05 + i / 3000), target=0.06, launches=[
        (date(2026, 9, 10), "Onboarding v2"), (date(2026, 10, 1), "A launch with a name far too long for a label"),
        (date(2026, 11, 15), "After the last value")]),
    "many launches": ChartData("Revenue", "currency", daily(90, lambda i: 1.2e6 + i * 1e4),
                               launches=[(date(2026, 9, 1) + timedelta(days=i), f"L{i}") for i in range(60)]),
    "single point": ChartData("One value", "duration", [(START, 3.5)], target=4),
    "5000 points": ChartData("Hourly", "count", [(START + timedelta(hours=i), 100 + (i % 97)) for i in range(5000)]),
    "no values": ChartData("Nothing yet", "%", [], target=50),
    "not finite values dropped": ChartData("Gappy", "%", [(START, 1.0), (START + timedelta(days=1), math.nan),
                                                          (START + timedelta(days=2), math.inf), (START + timedelta(days=3), 2.0)]),
    "user text": ChartData("Cost $per$ seat ⟨50 chars⟩ " + "x" * 300 + " 😀 日本", "currency", daily(10)),
    "any order, any offset": ChartData("Shuffled", "%", [
        (datetime(2026, 9, 3, tzinfo=timezone(timedelta(hours=-5))), 3.0), (START, 1.0),
        (datetime(2026, 9, 2, 12, tzinfo=timezone(timedelta(hours=9))), 2.0)]),
}


@pytest.mark.parametrize("data", CASES.values(), ids=CASES.keys())
async def test_every_series_renders_a_real_png_of_the_fixed_size(data: ChartData) -> None:
    image = decode(await render_png(data))
    assert image.size == SIZE == (800, 350) and image.mode == "RGBA"
    assert image.getextrema()[3] == (255, 255)  # opaque: reads the same on Slack's dark theme
    finite = [v for _, v in data.points if math.isfinite(v)]
    drawn = pixels_near(image, chart.LINE) + pixels_near(image, chart.BAD)  # blue, red when off target
    assert (drawn > 20) == bool(finite)  # the series is drawn (one value: a dot), if any
    assert (pixels_near(image, chart.LAUNCH) > 50) == bool(data.launches)


async def test_the_target_band_and_off_target_values_are_marked() -> None:
    below = ChartData("Activation", "%", daily(30, lambda i: 30 + i), target=45)  # off target until day 15
    image = decode(await render_png(below))
    untargeted = decode(await render_png(ChartData("Activation", "%", below.points)))
    assert pixels_near(image, chart.BAD) > 50 and pixels_near(untargeted, chart.BAD) == 0
    assert longest_row(image, chart.TARGET) > 350 and longest_row(untargeted, chart.TARGET) < 100  # the line
    above = decode(await render_png(ChartData("Activation", "%", daily(30, lambda i: 50 + i), target=45)))
    assert pixels_near(above, chart.BAD) == 0  # all on target: nothing red
    lower = decode(await render_png(ChartData("Tickets", "count", daily(30, lambda i: 50 + i), target=45,
                                              higher_is_better=False)))
    assert pixels_near(lower, chart.BAD) > 50  # above a lower-is-better target is off
    band = decode(await render_png(CASES["band"]))
    shaded = Image.new("RGB", (1, 1), chart.GOOD).point(lambda c: round(255 - (255 - c) * 0.12)).getpixel((0, 0))
    assert pixels_near(band, "#%02x%02x%02x" % shaded, 8) > 20_000  # the band is a shaded area


def test_long_series_are_cut_to_the_bound_keeping_spikes() -> None:
    xs = np.arange(100_000, dtype=float)
    ys = np.full(100_000, 10.0)
    ys[54_321], ys[77_777] = 500.0, -3.0
    rx, ry = chart._reduce(xs, ys, MAX_POINTS, np)
    assert len(rx) <= MAX_POINTS and ry.max() == 500.0 and ry.min() == -3.0
    assert list(rx) == sorted(rx) and rx[0] == 0 and rx[-1] == 99_999  # in time order, the ends kept
    short = np.arange(10, dtype=float)
    assert chart._reduce(short, short, MAX_POINTS, np)[0] is short


def test_at_most_the_latest_launches_are_marked() -> None:
    import matplotlib.dates as mdates
    launches = [(date(2026, 1, 1) + timedelta(days=i), f"L{i}") for i in range(60)][::-1]
    marked = chart._latest_launches(launches, mdates)
    assert [name for _, name in marked] == [f"L{i}" for i in range(60 - MAX_LAUNCHES, 60)]


async def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        await render_png(ChartData("x", "%", [(datetime(2026, 9, 1), 1.0)]))


PROBE = """
import asyncio, os, sys
from datetime import UTC, datetime
from bot.kpis.chart import ChartData, render_png
png = asyncio.run(render_png(ChartData("t", "%", [(datetime(2026, 9, 1, tzinfo=UTC), 1.0)])))
print(os.environ["MPLCONFIGDIR"], len(png), "matplotlib.pyplot" in sys.modules)
"""


def test_matplotlib_needs_no_display_and_writes_nothing_to_home(tmp_path: Path) -> None:
    """As in the Docker image (user 10001, a home it cannot write): no MPLCONFIGDIR, no DISPLAY."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in {"MPLCONFIGDIR", "MPLBACKEND", "DISPLAY", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}}
    env.update(HOME=str(home), TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=Path(__file__).parents[1],
                          capture_output=True, text=True, timeout=60, check=True)
    config, size, pyplot = done.stdout.split()
    assert Path(config).parent == tmp_path and int(size) > 1000 and pyplot == "False"
    assert not list(home.iterdir())  # nothing in the home directory
    assert not Path(config).exists()  # the font cache went with the process
    assert "matplotlib" not in done.stderr.lower(), done.stderr  # no "created a temporary cache directory" warning


class Watch:
    """Wraps chart._render (a render in its worker thread) to see how many threads render, or
    wait to, at once."""

    def __init__(self) -> None:
        self.active = self.most = self.done = 0
        self.lock = threading.Lock()
        self.render = chart._render

    def __call__(self, data: ChartData) -> bytes:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            return self.render(data)
        finally:
            with self.lock:
                self.active -= 1
                self.done += 1


async def test_renders_run_one_at_a_time_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    data = CASES["5000 points"]
    await render_png(data)  # matplotlib loaded, fonts cached
    started = time.perf_counter()
    chart._render(data)  # one render on this thread: what a blocked loop would wait each time
    one = time.perf_counter() - started
    watch = Watch()
    monkeypatch.setattr(chart, "_render", watch)

    stamps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            stamps.append(time.perf_counter())
            await asyncio.sleep(0.005)

    # A full garbage collection stops every thread of the process, the loop's too, whichever
    # thread's allocations set it off (tens of ms in a pytest-sized heap): not the render
    # holding the loop, so it is kept out of this measurement.
    gc.collect()
    gc.disable()
    try:
        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        pngs = await asyncio.gather(*(render_png(data) for _ in range(5)))
        elapsed = time.perf_counter() - started
        stop.set()
        await ticking
    finally:
        gc.enable()

    assert all(decode(png).size == SIZE for png in pngs)
    assert watch.done == 5 and watch.most == 1  # serialized, and the waiting ones hold no thread
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    during = [s for s in stamps if started <= s <= started + elapsed]
    assert max(gaps) < one / 2, (max(gaps), one)  # the loop never waited out a render
    assert len(during) >= 15, (len(during), elapsed)


async def test_a_cancelled_render_finishes_before_the_next_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    watch = Watch()
    monkeypatch.setattr(chart, "_render", watch)
    first = asyncio.create_task(render_png(CASES["5000 points"]))
    async with asyncio.timeout(10):
        while watch.active == 0 and not first.done():
            await asyncio.sleep(0.001)
    assert not first.done()  # under way in its thread
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    png = await render_png(CASES["target"])
    assert decode(png).size == SIZE and watch.done == 2 and watch.most == 1


# -- upload ------------------------------------------------------------------------------------
@pytest.fixture
async def client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    """The bot's own client (bot/slack.py: retries, timeouts) pointed at the fake."""
    fake_slack.reset()
    yield make_client(bot_settings("sqlite+aiosqlite://", fake_slack.api_url))
    fake_slack.reset()


async def test_upload_shares_the_png_with_the_v2_flow(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    png = await render_png(CASES["launches"])
    file_id = await upload_png(client, "CKPI001", png, filename="kpi-churn.png", title="Churn (last 90 days)",
                               comment="Churn since September", thread_ts="1700000000.000005")
    assert decode(fake_slack.uploads[file_id]).size == SIZE and fake_slack.uploads[file_id] == png
    (reserve,) = fake_slack.calls_to("files.getUploadURLExternal")
    assert reserve.args["filename"] == "kpi-churn.png" and reserve.args["length"] == str(len(png))
    assert reserve.args["alt_txt"] == "Churn (last 90 days)"
    (complete,) = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "CKPI001" and complete.args["thread_ts"] == "1700000000.000005"
    assert complete.args["initial_comment"] == "Churn since September"
    assert complete.args["files"] == [{"id": file_id, "title": "Churn (last 90 days)"}]
    shared = fake_slack.files[file_id]
    assert shared.completed and shared.channel == "CKPI001" and shared.title == "Churn (last 90 days)"
    assert not fake_slack.calls_to("files.upload")  # never the retired method


async def test_upload_without_comment_or_thread(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    png = await render_png(CASES["single point"])
    file_id = await upload_png(client, "DUK00001", png, filename="kpi.png", title="One value")
    (complete,) = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "DUK00001" and complete.args["files"][0]["id"] == file_id
    assert "thread_ts" not in complete.args and "initial_comment" not in complete.args
    assert decode(fake_slack.uploads[file_id]).size == SIZE


async def test_upload_failures_reach_the_caller(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    png = await render_png(CASES["single point"])
    fake_slack.not_member.add("CPRIVATE")
    with pytest.raises(SlackApiError) as refused:
        await upload_png(client, "CPRIVATE", png, filename="kpi.png", title="t")
    assert refused.value.response["error"] == "not_in_channel"
    fake_slack.fail("files.getUploadURLExternal", "file_uploads_disabled")
    with pytest.raises(SlackApiError) as disabled:
        await upload_png(client, "CKPI001", png, filename="kpi.png", title="t")
    assert disabled.value.response["error"] == "file_uploads_disabled"
    with pytest.raises(ValueError):
        await upload_png(client, "CKPI001", b"", filename="kpi.png", title="t")


async def test_the_fake_upload_flow_refuses_what_slack_refuses(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    """The fake's side of the flow, as Slack documents it, so upload tests cannot pass on
    behaviour real Slack does not have."""
    async def error(method: str, **args: Any) -> str:
        with pytest.raises(SlackApiError) as failed:
            await client.api_call(method, params=args)
        return str(failed.value.response["error"])

    assert await error("files.getUploadURLExternal", filename="a.png", length=0) == "missing_argument"
    assert await error("files.getUploadURLExternal", length=10) == "invalid_arguments"
    assert await error("files.getUploadURLExternal", filename="a.png", length=1, alt_txt="x" * 1001) == "alt_txt_too_large"
    reserved = await client.files_getUploadURLExternal(filename="a.png", length=3)
    file_id, url = reserved["file_id"], reserved["upload_url"]
    assert await error("files.completeUploadExternal", files=f'[{{"id": "{file_id}"}}]') == "file_not_found"  # no bytes yet
    assert await error("files.completeUploadExternal", files="[]") == "invalid_arguments"
    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData()
        form.add_field("file", b"abc", filename="a.png")
        async with http.post(url, data=form) as answer:  # multipart, the way curl -F sends it
            assert answer.status == 200 and await answer.text() == "OK - 3"
        assert fake_slack.uploads[file_id] == b"abc"
        completed = await client.files_completeUploadExternal(files=[{"id": file_id}])
        assert completed["files"] == [{"id": file_id, "title": "a.png"}]  # private: no channel
        assert fake_slack.files[file_id].channel is None
        assert await error("files.completeUploadExternal", files=f'[{{"id": "{file_id}"}}]') == "file_not_found"  # once
        async with http.post(url, data=b"again") as answer:
            assert answer.status == 404
        async with http.post(url.rsplit("/", 1)[0] + "/F999999", data=b"x") as answer:
            assert answer.status == 404
