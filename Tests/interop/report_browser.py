"""Open `mockidp run --html` pages in a real headless Chromium and read what a person would see.

Usage: report_browser.py RACE_HTML HOSTILE_HTML SCREENSHOT_PATH CHROMIUM CHROMEDRIVER
RACE_HTML is the report of a run with a seeded concurrency bug: this reads its failure cards,
transcripts and race timelines from the DOM, exercises the filters, and saves a screenshot of the
first failed card with its timelines. HOSTILE_HTML is a report whose transcript carries markup
(`<script>`, `</svg>`): this reads whether any of it ran or became elements. Prints a JSON report.
"""
import json
import os
import pathlib
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

READ_CARDS = """
return Array.prototype.map.call(document.querySelectorAll('details.scenario'), function (card) {
  return {
    id: card.getAttribute('data-id'), verdict: card.getAttribute('data-verdict'), open: card.open,
    visible: card.checkVisibility(),
    findings: card.querySelectorAll('.findings li').length,
    findings_shown: Array.prototype.filter.call(card.querySelectorAll('.findings li'), function (li) { return li.checkVisibility(); }).length,
    rule: !!card.querySelector('.rule'),
    reproduce: (card.querySelector('.reproduce code') || {}).textContent || null,
    exchanges: card.querySelectorAll('.transcript .exchange').length,
    tokens: card.querySelectorAll('.transcript .token').length,
    timelines: Array.prototype.map.call(card.querySelectorAll('figure.timeline'), function (figure) {
      return {step: figure.getAttribute('data-step'), racers: Number(figure.getAttribute('data-racers')),
              lanes: figure.querySelectorAll('svg g.lane').length,
              disagreeing: figure.querySelectorAll('svg g.lane.disagrees').length,
              sends: figure.querySelectorAll('svg rect.send').length,
              first_bytes: figure.querySelectorAll('svg circle.first-byte').length,
              rendered_width: figure.querySelector('svg').getBoundingClientRect().width};
    })
  };
});
"""


def chrome(chromium, chromedriver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400",
                 "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    # An explicit driver path keeps Selenium Manager from trying to download one.
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def main():
    race, hostile, screenshot, chromium, chromedriver = sys.argv[1:6]
    driver = chrome(chromium, chromedriver)
    out = {}
    try:
        driver.set_page_load_timeout(30)
        driver.get(pathlib.Path(race).resolve().as_uri())
        out["title"] = driver.title
        out["scripts"] = driver.execute_script("return document.scripts.length")
        out["external_resources"] = driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        out["cards"] = driver.execute_script(READ_CARDS)
        out["summary_cells"] = len(driver.find_elements(By.CSS_SELECTOR, "#summary button.cell"))
        # The filters: only failures, then everything again.
        for box in driver.find_elements(By.CSS_SELECTOR, "input[data-filter-verdict]"):
            if box.get_attribute("data-filter-verdict") != "fail":
                box.click()
        out["shown_failures_only"] = [card["verdict"] for card in driver.execute_script(READ_CARDS) if card["visible"]]
        out["shown_count_failures_only"] = driver.find_element(By.ID, "shown").text
        driver.find_element(By.ID, "reset-filters").click()
        out["shown_after_reset"] = sum(1 for card in driver.execute_script(READ_CARDS) if card["visible"])
        # The screenshot: a failure card with eight racers (else the first), its transcript folded so
        # its timelines are in view.
        cards = (driver.find_elements(By.CSS_SELECTOR, 'details.scenario[data-verdict=fail][data-id="concurrency.first-login-8"]')
                 or driver.find_elements(By.CSS_SELECTOR, "details.scenario[data-verdict=fail]"))
        card = cards[0]
        driver.execute_script("var t = arguments[0].querySelector('details.transcript'); if (t) t.open = false;"
                              "arguments[0].scrollIntoView(true);", card)
        os.makedirs(os.path.dirname(screenshot) or ".", exist_ok=True)
        out["screenshot"] = driver.save_screenshot(screenshot) and screenshot

        driver.get(pathlib.Path(hostile).resolve().as_uri())
        out["hostile"] = driver.execute_script("""
          return {
            pwned: window.__pwned === true,
            scripts: document.scripts.length,
            injected_elements: document.querySelectorAll('.transcript script, .transcript img, .transcript iframe, svg script').length,
            svgs: document.querySelectorAll('svg').length,
            lanes: document.querySelectorAll('svg g.lane').length,
            body_texts: Array.prototype.map.call(document.querySelectorAll('pre.body-text'), function (p) { return p.textContent; }),
            token_text: (document.querySelector('.token pre.json') || {}).textContent || null,
            timeline_step: (document.querySelector('figure.timeline') || {getAttribute: function () { return null; }}).getAttribute('data-step'),
            finding: (document.querySelector('.findings li') || {}).textContent || null
          };
        """)
    finally:
        driver.quit()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
