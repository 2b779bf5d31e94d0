"""The web view in a real browser: headless Chromium driven by Selenium through chromedriver.

The dashboard, a case page and the procedure page must load with no console message of level
SEVERE (a CSP violation is one), draw Thai with a Thai font (asked of Chromium itself through
the DevTools protocol, and checked in the layout: a combining vowel adds no width), and pass
axe-core's WCAG 2.1 A and AA rules with no serious or critical violation.

Needs Debian's ``chromium`` and ``chromium-driver`` and the npm package ``axe-core`` (found
through ``AXE_CORE_JS``, or in ``node_modules`` at the repository root, where ``.ci/run``
installs it). Skipped on a machine without them, except in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from store import init_database, make_engine
from tests.web.web_support import Site, build_site

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SISTERCITY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SERIOUS = ("serious", "critical")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_path() -> Path | None:
    for candidate in (
        os.environ.get("AXE_CORE_JS"),
        ROOT / "node_modules" / "axe-core" / "axe.min.js",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if not Path(CHROMEDRIVER).exists():
        return "no chromedriver (apt-get install chromium-driver)"
    if _axe_path() is None:
        return "axe-core not found (npm install axe-core, or set AXE_CORE_JS)"
    return None


def _thai_families() -> set[str]:
    listing = subprocess.run(
        ["fc-list", ":lang=th", "family"], capture_output=True, text=True, check=False
    )
    return {name.strip() for line in listing.stdout.splitlines() for name in line.split(",")}


@pytest.fixture(scope="module")
def browser_ready() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(browser_ready: None, sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Site]]:
    """The view served by uvicorn on a free loopback port, as the training auditor."""
    import uvicorn

    from web import WebConfig, create_app

    engine = make_engine(sqlite_url)
    init_database(engine, training=True)
    site = build_site(engine, sqlite_url, tmp_path)
    app = create_app(WebConfig(db=sqlite_url, as_officer="auditor", verify_every=0))
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web view did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", site
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture
def driver(browser_ready: None) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--lang=th-TH",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    chrome.set_page_load_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()


def _console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _fonts_of(driver: Any, selector: str) -> list[dict[str, Any]]:
    """The platform fonts Chromium used for the text of the first *selector* element."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})
    fonts: list[dict[str, Any]] = driver.execute_cdp_cmd(
        "CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]}
    )["fonts"]
    return fonts


_LAYOUT = """
const box = (text) => {
  const span = document.createElement('span');
  span.textContent = text;
  document.querySelector('h1').appendChild(span);
  const width = span.getBoundingClientRect().width;
  span.remove();
  return width;
};
return {ko: box('ก'), ko_i: box('กิ'), word: box('เมืองพี่เมืองน้อง')};
"""

_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), targets: []}]));
"""


def _check_page(driver: Any, url: str, heading: str, thai: bool = True) -> None:
    driver.get(url)
    h1 = driver.find_element("css selector", "h1")
    assert heading in h1.text, (url, h1.text)
    assert _console_errors(driver) == [], url
    # Thai drawn with a Thai font, according to Chromium itself ...
    if thai:
        families = _thai_families()
        fonts = _fonts_of(driver, "h1")
        assert any(f["familyName"] in families and f["glyphCount"] > 0 for f in fonts), fonts
    # ... and in the layout: a combining vowel adds no advance (a missing glyph would be a box).
    widths = driver.execute_script(_LAYOUT)
    assert widths["ko"] > 0, widths
    assert widths["ko_i"] - widths["ko"] < 0.25 * widths["ko"], widths
    assert widths["word"] > 5 * widths["ko"], widths
    axe = _axe_path()
    assert axe is not None
    driver.execute_script(axe.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    violations = driver.execute_async_script(_AXE_RUN, WCAG_TAGS)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert serious == [], (url, serious)
    assert _console_errors(driver) == [], url


def test_pages_in_a_real_browser(server: tuple[str, Site], driver: Any) -> None:
    base, site = server
    _check_page(driver, f"{base}/", "ตัวชี้วัดปีงบประมาณ")
    _check_page(driver, f"{base}/cases/{site.chiang_mai}", site.chiang_mai)
    _check_page(driver, f"{base}/cases/{site.bangkok}", site.bangkok)  # markup in a name
    _check_page(driver, f"{base}/procedures", "การจัดทำความสัมพันธ์เมืองพี่เมืองน้อง")
    _check_page(driver, f"{base}/cases?lang=en", "Cases", thai=False)
    _check_page(driver, f"{base}/audit", "บันทึกตรวจสอบ")
