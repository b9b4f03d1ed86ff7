"""End to end in real headless Chromium (Debian's package, driven by Playwright; no
browser is ever downloaded): the real server (`trialscope serve` in a subprocess on a free
loopback port), a search, a filter, a trial, its patient page and its markdown page, at
desktop and phone width. Screenshots go to the test's tmp folder, so a run leaves the
working tree clean; ``TRIALSCOPE_SCREENSHOTS=docs/screenshots make test`` writes them
where the README shows them."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, needs_corpus
from tests.webapp import HOSTILE, SEED, build_db

CHROMIUM = Path("/usr/bin/chromium")
#: a folder (relative to the repository root) to write the screenshots to instead of
#: the test's tmp folder: ``TRIALSCOPE_SCREENSHOTS=docs/screenshots``
SHOTS_ENV = "TRIALSCOPE_SCREENSHOTS"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: a rendered page, not a blank or a broken image: the smallest real shot is ~68 kB
MIN_SHOT_BYTES = 20_000
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    needs_corpus,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(db: Path, folder: Path) -> Iterator[str]:
    """``trialscope serve`` on ``db`` in a subprocess on a free loopback port, until the
    block ends; its log goes to ``folder/server.log`` and is shown if it fails to start."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIALSCOPE_")}
    log_path = folder / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "trialscope", "--db", str(db), "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/llms.txt", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text("utf-8", "replace"))
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    with serving(build_db(folder), folder) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def shots_folder(tmp_path: Path) -> Path:
    """Where a test's screenshots go: its tmp folder unless ``TRIALSCOPE_SCREENSHOTS``
    names one."""
    chosen = os.environ.get(SHOTS_ENV)
    folder = ROOT / chosen if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return shots_folder(tmp_path)


def assert_png(path: Path, width: int, min_height: int) -> None:
    """``path`` is a real PNG of the viewport's width and at least ``min_height`` tall."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path} has no PNG header chunk"
    found_width, found_height = struct.unpack(">II", data[16:24])
    assert found_width == width, (path, found_width, width)
    assert found_height >= min_height, (path, found_height, min_height)
    assert len(data) >= MIN_SHOT_BYTES, (path, len(data))


def shot(page: Any, folder: Path, name: str, *, full: bool = False) -> Path:
    """Take a screenshot into ``folder`` and check it was written as a real PNG."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    viewport = page.viewport_size
    assert_png(path, viewport["width"], viewport["height"])
    return path


def result_count(page: Any) -> int:
    return int(page.locator("#summary strong").inner_text().replace(",", ""))


def test_search_filter_open_a_trial_and_its_views(server: str, page: Any, shots: Path) -> None:
    page.goto(f"{server}/")
    assert page.title() == "Find clinical trials · trialscope"
    everything = result_count(page)

    page.get_by_label("Search words").fill("cancer")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?**")
    found = result_count(page)
    assert 0 < found < everything

    # a filter applies at once (the small script submits the form)
    recruiting = page.locator('input[name="status"][value="RECRUITING"]')
    assert page.get_by_label("Recruiting").count() >= 1
    with page.expect_navigation():
        recruiting.check()
    assert "status=RECRUITING" in page.url
    assert result_count(page) <= found
    shot(page, shots, "search-desktop")

    # open the first result
    first = page.locator("article.card h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url("**/trials/NCT*")
    assert page.locator("h1").inner_text() == title
    for heading in ("Basic information", "Study results", "More related trials"):
        assert page.get_by_role("heading", name=heading, exact=False).count() >= 1, heading
    nct = page.url.rsplit("/", 1)[1]

    page.get_by_role("link", name="Plain-language page").click()
    page.wait_for_url(f"**/trials/{nct}/patient")
    assert page.get_by_role("heading", name="Who should consider this trial").is_visible()
    assert page.locator("blockquote.registry").count() >= 1

    page.go_back()
    page.get_by_role("link", name="Markdown (for agents)").click()
    page.wait_for_url(f"**/trials/{nct}.md")
    text = page.locator("body").inner_text()
    assert text.startswith("---\ntitle:")
    assert f"nct_id: {nct}" in text


def test_near_a_place_and_the_seed_trial_pages(server: str, page: Any, shots: Path) -> None:
    page.goto(f"{server}/search")
    page.get_by_label("Near a place").fill("Shanghai")
    page.get_by_label("Within").fill("100")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**near=Shanghai**")
    assert "within 100 km of Shanghai, China" in page.locator("#summary").inner_text()
    assert page.locator("article.card", has_text="Nearest site").count() >= 1

    page.goto(f"{server}/trials/{SEED}")
    assert page.locator("#eligibility ol").first.locator("li").count() == 8
    shot(page, shots, "trial-desktop")
    page.goto(f"{server}/trials/{SEED}/patient")
    shot(page, shots, "patient-desktop", full=True)


def test_registry_markup_never_runs(server: str, page: Any) -> None:
    for suffix in ("", "/patient"):
        page.goto(f"{server}/trials/{HOSTILE}{suffix}")
        assert page.get_by_text('<script>alert("x")</script>', exact=False).count() >= 1
        assert page.locator("img[src=x]").count() == 0
    assert page.dialogs == []


def test_phone_width_has_no_sideways_scrolling(server: str, browser: Any, shots: Path) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        for path, name in (
            ("/search?q=cancer&status=RECRUITING", "search-phone"),
            (f"/trials/{SEED}", "trial-phone"),
            (f"/trials/{SEED}/patient", "patient-phone"),
        ):
            phone.goto(f"{server}{path}")
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (path, overflow)
            shot(phone, shots, name)
    finally:
        context.close()


def test_pages_read_without_javascript(server: str, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    plain = context.new_page()
    try:
        plain.goto(f"{server}/search?q=cancer")
        plain.locator('input[name="status"][value="RECRUITING"]').check()
        plain.get_by_role("button", name="Apply filters").click()
        plain.wait_for_url("**status=RECRUITING**")
        assert result_count(plain) >= 1
        plain.goto(f"{server}/trials/{SEED}")
        assert plain.locator("h1").inner_text().startswith("The Value of Palliative")
    finally:
        context.close()


def test_screenshots_stay_in_the_tmp_folder_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SHOTS_ENV, raising=False)
    default = shots_folder(tmp_path / "test")
    assert default.is_dir() and default.is_relative_to(tmp_path), default
    assert not default.resolve().is_relative_to(ROOT.resolve())
    monkeypatch.setenv(SHOTS_ENV, str(tmp_path / "asked"))
    assert shots_folder(tmp_path / "other") == tmp_path / "asked"
    monkeypatch.setenv(SHOTS_ENV, "docs/screenshots")
    assert shots_folder(tmp_path / "other") == ROOT / "docs" / "screenshots"


def test_a_screenshot_that_is_no_png_is_caught(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(b"GIF89a" + bytes(MIN_SHOT_BYTES))
    with pytest.raises(AssertionError, match="not a PNG"):
        assert_png(blank, 1280, 900)
    tiny = tmp_path / "tiny.png"
    tiny.write_bytes(PNG_SIGNATURE + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 1280, 900))
    with pytest.raises(AssertionError):
        assert_png(tiny, 1280, 900)
