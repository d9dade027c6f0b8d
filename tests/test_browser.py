"""The search page and the dashboard in a real browser: the app served by uvicorn on
127.0.0.1 over the seed archive, driven through headless Debian Chromium by selenium.

Chromium and its driver come from Debian (`make browser`, which `make test` runs). Without
them these tests fail and say so; NEWSARCHIVE_SKIP_BROWSER=1 turns that into a skip.
Screenshots go to test-artifacts/ (removed by `make clean`)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import httpx
import pytest

from appserver import serving
from conftest import LAIST, NBC, REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SKIP_VARIABLE = "NEWSARCHIVE_SKIP_BROWSER"
ARTIFACTS = REPO / "test-artifacts"

QUERY = "security guarantees"
# The index stems plurals (schemas/macros/10_terms.sql), and the page marks a term with the
# rest of its word: every <mark> starts with one of these.
QUERY_STEMS = ("security", "guarantee")
HOSTILE_QUERIES = ["<script>alert(1)</script>", "'; DROP TABLE articles; --"]
DASHBOARD_FEEDS = ["daily_volume", "top_entities", "largest_stories", "wire_share",
                   "language_mix", "run_health", "rejects_by_reason"]
DRAWN = "rect, path, circle, line, polyline"
WAIT_S = 15


def launch_environment(name: str) -> str | None:
    """A variable as the test process was started with it: conftest removes every
    NEWSARCHIVE_* variable from os.environ before the tests import, so that a developer's
    shell cannot change the archive's settings; the process's initial environment keeps it."""
    if name in os.environ:
        return os.environ[name]
    try:
        entries = Path("/proc/self/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    prefix = name.encode() + b"="
    return next((e[len(prefix):].decode() for e in entries if e.startswith(prefix)), None)


def require_browser(chromium: Path = CHROMIUM, chromedriver: Path = CHROMEDRIVER,
                    skip: str | None = None) -> None:
    """Fail, with what to do, when Debian's chromium or chromedriver is missing; skip
    instead when NEWSARCHIVE_SKIP_BROWSER=1."""
    missing = [str(p) for p in (chromium, chromedriver) if not (p.exists() and os.access(p, os.X_OK))]
    if not missing:
        return
    if skip == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: browser tests skipped ({', '.join(missing)} missing)")
    pytest.fail(f"{', '.join(missing)} missing: run `make browser` (as root: Debian's chromium and "
                f"chromium-driver), or set {SKIP_VARIABLE}=1 to skip the browser tests", pytrace=False)


# -- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_installed() -> None:
    # Session-scoped so that it runs before the seed archive (a Prefect run) is built.
    require_browser(skip=launch_environment(SKIP_VARIABLE))


@pytest.fixture(scope="module")
def site(seed_archive) -> Iterator[str]:
    """The app, served for real on 127.0.0.1."""
    from pipeline.web.app import create_app

    with serving(create_app(seed_archive[0])) as url:
        yield url


@pytest.fixture(scope="module")
def driver(browser_installed, tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--no-first-run",
                     # The machine's network is closed: no background calls to Google's hosts.
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-quic",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(argument)
    # An alert must stay open for the test to see it, not be dismissed by the driver.
    options.unhandled_prompt_behavior = "ignore"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# -- page helpers -----------------------------------------------------------------------

def css(root, selector):
    from selenium.webdriver.common.by import By
    return root.find_elements(By.CSS_SELECTOR, selector)


def one(root, selector):
    found = css(root, selector)
    assert len(found) == 1, f"expected one {selector!r}, found {len(found)}"
    return found[0]


def wait_for(driver, selector: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, WAIT_S).until(ec.presence_of_element_located((By.CSS_SELECTOR, selector)))


def assert_no_alert(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    pytest.fail(f"the page opened an alert: {text!r}")


def submit(driver) -> None:
    """Submit form#search by its button and wait for the results page that replaces it."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    form = one(driver, "form#search")
    one(form, "button[type=submit]").click()

    def replaced(_) -> bool:
        # Selenium's staleness_of catches only StaleElementReferenceException; Chromium
        # may instead answer "Node with given id does not belong to the document".
        try:
            form.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(driver, WAIT_S).until(replaced)
    wait_for(driver, "form#search")


def search(driver, site: str, q: str) -> None:
    """Type `q` into the search page's box and submit it."""
    driver.get(site + "/")
    field = one(wait_for(driver, "form#search"), "input[name=q]")
    field.clear()
    field.send_keys(q)
    submit(driver)


def results(driver) -> list:
    return css(driver, "ol#results > li.result[data-article-id]")


def result_titles(driver) -> list[str]:
    return [one(item, "a.title").text for item in results(driver)]


def save_full_page(driver, path: Path) -> None:
    """The whole page, beyond the window (Chrome's own full-page capture, through CDP)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })
    path.write_bytes(base64.b64decode(shot["data"]))


def assert_png(path: Path) -> None:
    assert path.exists(), f"no screenshot at {path}"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes: a blank page?"


def page_errors(driver) -> list[str]:
    """The console's errors, but for the favicon the app need not have."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


# -- the tests --------------------------------------------------------------------------

def test_missing_browser_fails_and_says_how_to_install(tmp_path):
    missing = tmp_path / "chromium"
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        require_browser(missing, CHROMEDRIVER)
    with pytest.raises(pytest.skip.Exception, match=SKIP_VARIABLE):
        require_browser(CHROMIUM, missing, skip="1")


def test_search_filter_and_open_an_article(driver, site, artifacts):
    search(driver, site, QUERY)
    assert_no_alert(driver)
    titles = result_titles(driver)
    assert len(titles) == 2, titles
    assert any(LAIST in t for t in titles) and any(NBC in t for t in titles), titles
    one(driver, "p#result-count")
    assert not css(driver, "p#no-results")
    assert one(driver, "input[name=q]").get_attribute("value") == QUERY

    for item in results(driver):
        article_id = item.get_attribute("data-article-id")
        assert urlparse(one(item, "a.title").get_attribute("href")).path == f"/articles/{article_id}"
        for part in ("span.outlet", "span.date", "span.story-size"):
            one(item, part)
        marks = [m.text.lower() for m in css(one(item, "p.snippet"), "mark")]
        assert marks, f"no <mark> in the snippet of {article_id}"
        assert all(m.startswith(QUERY_STEMS) for m in marks), marks

    save_full_page(driver, artifacts / "search.png")
    assert_png(artifacts / "search.png")

    from selenium.webdriver.support.ui import Select
    outlet = Select(one(driver, "select[name=outlet]"))
    choices = [(o.text.strip(), o.get_attribute("value")) for o in outlet.options]
    laist = [value for text, value in choices if "LAist" in (text, value)]
    assert laist, f"no LAist among the outlets {choices}"
    outlet.select_by_value(laist[0])
    submit(driver)
    assert_no_alert(driver)
    titles = result_titles(driver)
    assert len(titles) == 1 and LAIST in titles[0], titles

    one(results(driver)[0], "a.title").click()
    title = wait_for(driver, "h1#title")
    assert LAIST in title.text
    assert one(driver, "div#text").text.strip()
    entities = [li.text for li in css(driver, "ul#entities > li.entity")]
    for full_name, surname in (("Vladimir Putin", "Putin"), ("Joe Biden", "Biden")):
        named = [e for e in entities if surname in e]
        # Once, under the full name: a lone "Putin" counts under "Vladimir Putin".
        assert len(named) == 1 and full_name in named[0], entities


@pytest.mark.parametrize("hostile", HOSTILE_QUERIES)
def test_hostile_queries_are_shown_as_text(driver, site, hostile):
    search(driver, site, hostile)
    assert_no_alert(driver)
    assert one(driver, "input[name=q]").get_attribute("value") == hostile
    assert css(driver, "p#result-count") or css(driver, "p#no-results"), "neither a count nor 'no results'"
    # What the browser was sent, read directly: a page, not an error, with the query escaped.
    response = httpx.get(site + "/", params={"q": hostile}, timeout=30)
    assert response.status_code == 200, response.text[:500]
    assert "<script>alert(1)</script>" not in response.text

    # The archive is untouched and searchable.
    search(driver, site, QUERY)
    assert len(results(driver)) == 2, result_titles(driver)


def feeds_with_data(archive: Path) -> set[str]:
    """Every chart has data in the seed archive but the rejects: the seed run rejects nothing."""
    from pipeline.store import connect
    con = connect(archive)
    try:
        rejects = con.execute("SELECT count(*) FROM rejects").fetchone()[0]
    finally:
        con.close()
    return set(DASHBOARD_FEEDS) - (set() if rejects else {"rejects_by_reason"})


def test_dashboard_draws_every_chart(driver, site, seed_archive, artifacts):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # only this page's messages below
    driver.get(site + "/dashboard")
    wait_for(driver, "h1")
    assert [h.text.strip() for h in css(driver, "h1")] == ["Dashboard"]
    charts = css(driver, "figure.chart[data-feed]")
    feeds = {c.get_attribute("data-feed") for c in charts}
    assert set(DASHBOARD_FEEDS) <= feeds, f"missing charts: {set(DASHBOARD_FEEDS) - feeds}"

    def drawn(chart) -> list[dict]:
        return driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('svg')).flatMap(s => Array.from(s.querySelectorAll(arguments[1])))"
            ".map(e => { const r = e.getBoundingClientRect();"
            " return {tag: e.tagName, width: r.width, height: r.height}; });", chart, DRAWN)

    with_data = feeds_with_data(seed_archive[0])
    # A feed may have more than one chart (say, counts and shares): each must be drawn.
    for chart in (c for c in charts if c.get_attribute("data-feed") in with_data):
        feed = chart.get_attribute("data-feed")
        # Charts drawn by a script after the page loads are waited for.
        try:
            marks = WebDriverWait(driver, WAIT_S).until(lambda d: drawn(chart))
        except TimeoutException:
            pytest.fail(f"chart {feed!r} drew nothing: {chart.get_attribute('innerHTML')[:500]}")
        for svg in css(chart, "svg"):
            assert svg.size["width"] > 0 and svg.size["height"] > 0, (feed, svg.size)
        # Every mark is on the page (an axis line is one-dimensional), and some have an area.
        assert all(m["width"] > 0 or m["height"] > 0 for m in marks), (feed, marks)
        assert any(m["width"] > 0 and m["height"] > 0 for m in marks), (feed, marks)

    errors = page_errors(driver)
    assert not errors, errors
    save_full_page(driver, artifacts / "dashboard.png")
    assert_png(artifacts / "dashboard.png")
