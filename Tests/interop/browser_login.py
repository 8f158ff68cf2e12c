"""Log in through MockIdP's login page in a real headless Chromium, as a browser app would.

Usage: browser_login.py BASE_URL CLIENT_ID CALLBACK_URL SCREENSHOT_PATH CHROMIUM CHROMEDRIVER
Opens the authorize URL (AuthKit + PKCE, no auto-approve, so the page is shown), saves a
screenshot of the login page, clicks Alice, waits for the callback with the code, then exchanges
the code from the callback page with fetch() the way authkit-js does (public client, cross-origin,
so the mock's CORS answers are exercised by a real browser). Prints a JSON report.
"""
import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

EXCHANGE = """
const [url, body, done] = arguments;
fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
  .then(async (response) => done({status: response.status, body: await response.json()}))
  .catch((error) => done({status: 0, error: String(error)}));
"""


def main():
    base, client_id, callback, screenshot, chromium, chromedriver = sys.argv[1:7]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    authorize = base + "/user_management/authorize?" + urllib.parse.urlencode({
        "client_id": client_id, "redirect_uri": callback, "response_type": "code", "provider": "authkit",
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": "alice@acme.test",
    })

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,1200",
                 "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    # An explicit driver path keeps Selenium Manager from trying to download one.
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    out = {}
    try:
        driver.set_page_load_timeout(30)
        wait = WebDriverWait(driver, 30)
        driver.get(authorize)
        button = wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, 'button[data-user="alice"]')))
        out["title"] = driver.title
        out["users_listed"] = len(driver.find_elements(By.CSS_SELECTOR, "li.user"))
        os.makedirs(os.path.dirname(screenshot) or ".", exist_ok=True)
        out["screenshot"] = driver.save_screenshot(screenshot) and screenshot
        button.click()
        wait.until(lambda d: d.current_url.startswith(callback))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(driver.current_url).query)
        out["state_ok"] = query.get("state") == [state]
        out["error"] = query.get("error", [None])[0]
        code = query.get("code", [None])[0]
        out["got_code"] = code is not None
        driver.set_script_timeout(30)
        exchange = driver.execute_async_script(EXCHANGE, base + "/user_management/authenticate",
                                               {"grant_type": "authorization_code", "client_id": client_id,
                                                "code": code, "code_verifier": verifier})
        out["exchange_status"] = exchange.get("status")
        body = exchange.get("body") or {}
        out["exchange_error"] = exchange.get("error") or body.get("error_description")
        out["email"] = (body.get("user") or {}).get("email")
        out["organization_id"] = body.get("organization_id")
        out["authentication_method"] = body.get("authentication_method")
        out["access_token"] = body.get("access_token")
    finally:
        driver.quit()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
