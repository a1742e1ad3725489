"""The HTML report in a real browser: headless Chromium driven by Selenium, opening the file.

Skipped (with the reason) when /usr/bin/chromium or /usr/bin/chromedriver is missing:
``apt-get install chromium chromium-driver``.
"""

from __future__ import annotations

import pytest

from pipeline.codebook import load_codebook
from pipeline.report import build_report

pytestmark = pytest.mark.browser


def test_report_in_browser_danish_headings_definition_and_charts(browser, records, model_dir, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    report = build_report(records, out=tmp_path / "rapport.html", model_dir=model_dir, bootstrap=20)
    browser.get(report.resolve().as_uri())
    assert browser.title == "Samskabelse i kommunerne"
    headings = [h.text for h in browser.find_elements(By.TAG_NAME, "h2")]
    assert headings[:3] == ["Sådan læser du tallene", "Samskabelsesstigen", "Hele landet"] and "Metode" in headings
    rung4 = load_codebook().rungs[4]
    terms = [dt.text for dt in browser.find_elements(By.CSS_SELECTOR, "dl.rungs dt")]
    assert f"Trin 4: {rung4.name_da}" in terms
    definitions = [dd.text for dd in browser.find_elements(By.CSS_SELECTOR, "dl.rungs dd")]
    assert " ".join(rung4.definition_da.split()) in definitions
    quotes = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.group h4")]
    assert any(q.startswith("Trin 3: " + load_codebook().rungs[3].name_da) for q in quotes)
    # every chart is decoded by the browser: the heat map, the stacked bars and one small-multiples chart per group
    images = browser.find_elements(By.TAG_NAME, "img")
    assert len(images) >= 4
    assert all(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 300 for img in images)
    group_chart = browser.find_element(By.CSS_SELECTOR, "section.group img")
    browser.execute_script("arguments[0].scrollIntoView()", group_chart)
    shot = tmp_path / "chart.png"
    assert group_chart.screenshot(str(shot))
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "the group chart looks blank"
