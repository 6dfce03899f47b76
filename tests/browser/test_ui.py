"""The web page and the offline API docs in headless Chromium, against the real service (run.py, embedded,
its sandbox slowed down so an extraction lasts a few seconds): what a person sees, read from the page.

The tests run in order on one service and one browser (module fixtures): start an extraction with the form
and watch its progress move, the list with its badges, the account's coverage and its sync button, then
/docs and /redoc with nothing requested from any host but this one.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import pytest

from tests.browser.conftest import ROOT, Service, requested_urls

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sandbox]
T = TypeVar("T")
SCREENSHOT = ROOT / "docs" / "ui.png"


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float = 30, every_s: float = 0.1) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(every_s)


def texts(browser: Any, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, css)]


def first_text(browser: Any, css: str) -> str:
    """The text of the first element matching `css`, '' when none (the live part may be being replaced)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = texts(browser, css)
    except StaleElementReferenceException:
        return ""
    return found[0] if found else ""


def execution_arn_of(browser: Any) -> str:
    path = unquote(urlparse(browser.current_url).path)
    assert path.startswith("/ui/executions/arn:"), browser.current_url
    return path.removeprefix("/ui/executions/")


def test_the_start_form_starts_an_execution_whose_progress_moves(service: Service, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(service.base_url + "/ui")
    assert "No execution yet" in first_text(browser, "#executions")
    browser.find_element(By.ID, "symbols").send_keys("btcusdt, ETHUSDT SOLUSDT")
    browser.find_element(By.CSS_SELECTOR, "#start-form button[type=submit]").click()

    wait_for("the execution's page", lambda: "/ui/executions/arn:" in unquote(browser.current_url))
    arn = execution_arn_of(browser)
    seen_running: set[str] = set()
    deadline = time.monotonic() + 60
    while (badge := first_text(browser, "#status-badge")) != "complete":
        assert badge in ("running", ""), f"unexpected badge {badge!r}"
        summary = first_text(browser, "#progress-summary")
        if badge == "running" and summary:
            seen_running.add(summary)
        assert time.monotonic() < deadline, "the execution did not end within 60 s"
        time.sleep(0.1)
    # What moved while it ran: streams done, orders so far, requests (the page refreshes itself every second).
    assert len(seen_running) >= 2, f"progress never changed while running: {seen_running}"
    print("progress seen while running:", *sorted(seen_running), sep="\n  ")

    answer = service.wait_saved(arn)
    summary = answer["result"]["summary"]
    wait_for("the saved state", lambda: first_text(browser, "#database-state").startswith("saved:"))
    counts = dict(row.split(" ", 1) for row in texts(browser, "#counts tbody tr"))
    assert {k: int(v.replace(",", "")) for k, v in counts.items()} == summary["orders_by_stream"]
    timings = texts(browser, "#timings tr.timing")
    assert [row.split()[0] for row in timings] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert all(re.search(r"\b\d+\.\d s\b", row) for row in timings), timings  # each symbol's fetch time
    links = {e.text: e.get_attribute("href") for e in browser.find_elements(By.CSS_SELECTOR, "#links a")}
    assert links["Export CSV"].endswith(f"/orders/{arn}/export?format=csv")
    assert "Complete: every stream" in first_text(browser, ".message")
    _screenshot(browser)


def _screenshot(browser: Any) -> None:
    """docs/ui.png (UPDATE_UI_SCREENSHOT=1, `make screenshot`), else a temp file: a run leaves the tree clean."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 120, 2400))
    target = SCREENSHOT if os.environ.get("UPDATE_UI_SCREENSHOT") == "1" else Path(os.devnull)
    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    if target != Path(os.devnull):
        target.write_bytes(png)
    browser.set_window_size(1280, 1000)


def test_the_list_shows_executions_newest_first_with_badges(service: Service, browser: Any) -> None:
    arn = service.post("/orders", {})["executionArn"]  # the whole account, for the account page below
    saved = service.wait_saved(arn)
    browser.get(service.base_url + "/ui")
    rows = texts(browser, "#executions tr.execution")
    assert len(rows) == 2
    assert rows[0].split(" UTC ", 1)[1].startswith("complete whole account")
    assert "complete BTCUSDT, ETHUSDT, SOLUSDT" in rows[1]
    assert f"{saved['result']['summary']['total_orders']:,}" in rows[0]
    assert texts(browser, "#executions .badge") == ["complete", "complete"]


def test_the_account_page_shows_coverage_and_its_button_syncs(service: Service, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    account = service.get("/accounts")["accounts"][0]["account_id"]
    browser.get(f"{service.base_url}/ui/accounts/{account}")
    lanes = browser.find_elements(By.CSS_SELECTOR, ".lane.stream")
    assert {lane.get_attribute("data-stream") for lane in lanes} >= {"spot_normal", "USDT-FUTURES"}
    covered = browser.find_elements(By.CSS_SELECTOR, ".lane.stream .seg.covered")
    assert covered and all(float(c.value_of_css_property("width").removesuffix("px")) > 100 for c in covered)
    assert "never" not in first_text(browser, "#last-sync")
    browser.find_element(By.ID, "sync-button").click()
    wait_for("the sync's execution page", lambda: "/ui/executions/arn:" in unquote(browser.current_url))
    sync_arn = execution_arn_of(browser)
    wait_for("the sync to end", lambda: first_text(browser, "#status-badge") == "complete", timeout_s=45)
    assert service.get(f"/orders/{sync_arn}")["status"] == "SUCCEEDED"


def test_docs_and_redoc_render_with_no_request_beyond_this_service(service: Service, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(service.base_url + "/docs")
    operations = wait_for(
        "Swagger UI's operations", lambda: browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    paths = {element.text.replace("\u200b", "") for element in operations}
    assert {"/orders", "/orders/list", "/accounts/{account_id}"} <= paths
    browser.get(service.base_url + "/redoc")
    wait_for("ReDoc's operations", lambda: "/orders/list" in first_text(browser, "body"), timeout_s=30)
    assert browser.find_elements(By.CSS_SELECTOR, "[data-section-id]")

    urls = requested_urls(browser)  # since the browser started: the page tests' requests too
    assert any(url.endswith("/ui/static/vendor/swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("/ui/vendor/redoc.standalone.js") for url in urls)
    foreign = [url for url in urls if not _local(url, service)]
    assert foreign == []
    entries = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [url for url in entries if not _local(url, service)] == []


def _local(url: str, service: Service) -> bool:
    """A request this service answers, or one that never leaves the browser (data:, blob:, its own chrome://)."""
    return url.startswith(
        (service.base_url + "/", "data:", "blob:", "about:", "chrome://", "chrome-untrusted://")
    )
