"""End to end in a real browser: Debian's chromium, driven by Selenium through chromedriver,
on the demo landscape — search, an element, its impact explorer (expand a level, highlight
the path to a reached element), a view whose nodes link to element pages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not os.path.exists(CHROMEDRIVER),
    reason="the browser tests need Debian's chromium and chromium-driver (`make setup` installs them)",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")  # a fresh profile each run
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait(driver: Any, test: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(test)


def test_search_element_impact_path_and_view(browser: Any, server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    assert "Sources" in browser.find_element(By.TAG_NAME, "main").text

    # search
    box = browser.find_element(By.CSS_SELECTOR, "form.quick input[name=q]")
    box.send_keys("VCL-PAR-PROD01\n")
    link = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#results a.element"))
    assert link.text == "VCL-PAR-PROD01"
    link.click()

    # the element page
    _wait(browser, lambda d: d.find_element(By.ID, "element-name").text == "VCL-PAR-PROD01")
    assert browser.find_elements(By.CSS_SELECTOR, "#provenance tbody tr")
    browser.find_element(By.ID, "explore-impact").click()

    # the explorer: the first level, loaded from the API
    explorer = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#explorer[data-ready=yes]"))
    level1 = browser.find_elements(By.CSS_SELECTOR, "#tree > li > ul.kids > li.node")
    assert len(level1) >= 10
    assert browser.find_elements(By.CSS_SELECTOR, "#tree li.node .state.down")

    # expand a level-1 node by clicking: its dependents appear one level down
    first = level1[0]
    first.find_element(By.CSS_SELECTOR, ".line > button.toggle").click()
    _wait(browser, lambda d: "expanded" in first.get_attribute("class"))
    assert first.find_elements(By.CSS_SELECTOR, ":scope > ul.kids > li.node[data-level='2']")

    # filter the reached list to the business layer and highlight the path to one
    browser.find_element(By.CSS_SELECTOR, "#filters input[value=business]").click()
    _wait(browser, lambda d: explorer.get_attribute("data-reached-shown") == "3:business")
    layers = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "#reached .layer")}
    assert layers == {"business"}
    target = browser.find_elements(By.CSS_SELECTOR, "#reached button.reach")[0]
    target_id = target.get_attribute("data-id")
    target.click()
    _wait(browser, lambda d: explorer.get_attribute("data-highlighted") == target_id)
    on_path = browser.find_elements(By.CSS_SELECTOR, "#tree li.on-path")
    assert len(on_path) == 4  # the start and three steps: a business process is 3 away
    reached = browser.find_element(By.CSS_SELECTOR, "#tree li.on-path.target")
    assert reached.get_attribute("data-id") == target_id
    assert reached.get_attribute("data-layer") == "business"

    shot = tmp_path / "explorer.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("EA_WEB_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)

    # a view: an SVG whose element nodes link to their pages
    browser.get(server + "/views")
    browser.find_element(By.LINK_TEXT, "Application landscape").click()
    node = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#diagram svg g.node a"))
    node.click()
    _wait(browser, lambda d: d.find_elements(By.ID, "element-name"))
    assert "/element?id=" in browser.current_url
    logs = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not logs, logs  # no script error, nothing the Content-Security-Policy refused
