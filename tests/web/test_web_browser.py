"""The web app in a real browser: headless Chromium driven by Selenium against uvicorn.

Skipped (with the reason) when /usr/bin/chromium or /usr/bin/chromedriver is missing:
``apt-get install chromium chromium-driver``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
WAIT_S = 90  # generous: a busy 2-core machine can take many seconds to classify and render a page


def wait_for(driver, css: str, *, timeout: float = WAIT_S):
    """The elements matching ``css`` once the page has loaded and at least one is on it.

    Waiting for ``document.readyState`` first matters on a busy machine: the browser shows a
    page while it still parses it, and a list read then (the ladder's five definitions) can be short.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete",
                                         message=f"{driver.current_url} did not finish loading within {timeout} s")
    return WebDriverWait(driver, timeout).until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, css)),
                                                message=f"nothing matched {css!r} within {timeout} s on {driver.current_url}")


def click_and_wait(driver, element, css: str, *, timeout: float = WAIT_S):
    """Click ``element`` (a link or submit button), wait until the old page is gone, then for ``css`` on the new one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, timeout).until(ec.staleness_of(old), message=f"the page did not change within {timeout} s")
    return wait_for(driver, css, timeout=timeout)


def assert_not_blank(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20, f"{path} looks blank ({len(colours or [])} colours)"
    top = max(count for count, _ in colours)
    assert top < 0.97 * sum(count for count, _ in colours), f"{path} is almost one colour"


def test_upload_txt_shows_highlighted_evidence(browser, server_url, tmp_path):
    from selenium.webdriver.common.by import By

    upload = tmp_path / "referat.txt"
    upload.write_text("Referat fra Børne- og Ungeudvalget\n\n"
                      "Borgerne blev inviteret til et dialogmøde og en workshop om den nye skolestruktur.\n\n"
                      "Frivillige fra Røde Kors driver lektiecaféen på biblioteket.", encoding="utf-8")
    browser.get(server_url + "/")
    wait_for(browser, "form.check")
    assert "Tjek en tekst" in browser.title
    browser.find_element(By.NAME, "file").send_keys(str(upload))
    marks = click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.check button[type=submit]"), "p.text mark")
    assert any("dialogmøde" in m.text for m in marks)
    assert wait_for(browser, "table.bars .bar")
    shot = tmp_path / "result.png"
    assert browser.save_screenshot(str(shot))
    assert_not_blank(shot)


def test_municipality_page_renders_chart(browser, server_url, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(server_url + "/municipalities")
    wait_for(browser, "main a")
    images = click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Aarhus"), "figure img")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Aarhus Kommune"
    assert all(browser.execute_script("return arguments[0].naturalWidth", img) > 100 for img in images)
    shot = tmp_path / "municipality.png"
    assert browser.save_screenshot(str(shot))
    assert_not_blank(shot)


def test_error_page_in_browser(browser, server_url):
    browser.get(server_url + "/municipality/Arhus")
    assert "Mente du Aarhus?" in wait_for(browser, "p.message")[0].text


def test_check_page_in_danish(browser, server_url, tmp_path):
    """The check page: the ladder with the codebook's Danish definitions; the result defines its rung in Danish."""
    from selenium.webdriver.common.by import By

    from pipeline.codebook import load_codebook

    codebook = load_codebook()
    browser.get(server_url + "/")
    definitions = [d.text for d in wait_for(browser, "section.ladder dd")]
    assert definitions == [r.definition_da for r in codebook.rungs]
    browser.find_element(By.NAME, "text").send_keys("Byrådet nedsætter et § 17, stk. 4-udvalg med borgere og foreninger, "
                                                    "der sammen designer løsningen.")
    definition = click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.check button[type=submit]"),
                                "p.definition")[0].text
    rung = int(definition.split(":")[0].removeprefix("Trin "))
    assert definition == f"Trin {rung}: {codebook.rungs[rung].definition_da}"
    shot = tmp_path / "check.png"
    assert browser.save_screenshot(str(shot))
    assert_not_blank(shot)


def test_municipality_page_in_danish(browser, server_url, tmp_path):
    """A municipality page: charts load, the estimate is told in plain Danish, notes are Danish, no estimator jargon."""
    import re

    browser.get(server_url + "/municipality/%C3%86r%C3%B8?period=term")
    about = wait_for(browser, "p.about-estimate")[0].text
    assert "Intervallet (95 %)" in about
    assert browser.find_element(By_TAG(), "h1").text == "Ærø Kommune"
    main = browser.find_element(By_TAG(), "main").text
    assert not re.search(r"\b(cc|pcc|acc|pacc|estimator|held-out|vocab)\b", main)
    for note in browser.find_elements(By_CSS(), "div.note li"):
        assert not re.search(r"\b(the|and|of|no)\b", note.text), note.text
    images = wait_for(browser, "figure img")
    assert all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 100 for img in images)
    shot = tmp_path / "municipality-da.png"
    assert browser.save_screenshot(str(shot))
    assert_not_blank(shot)


def test_docs_render_offline(browser, server_url):
    """/docs: Swagger UI runs from the app's own assets under the page's CSP and lists the API's operations."""
    browser.get(server_url + "/docs")
    operations = wait_for(browser, "#swagger-ui .opblock-summary-path")
    paths = {op.text.strip() for op in operations}
    assert {"/api/classify", "/api/trends", "/api/segments"} <= paths


def By_TAG():  # noqa: N802 - short names for the selenium locator strategies
    from selenium.webdriver.common.by import By

    return By.TAG_NAME


def By_CSS():  # noqa: N802
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR
