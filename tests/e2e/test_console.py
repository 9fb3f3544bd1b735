"""The staff console in a real browser, and its login rules over HTTP."""
from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.conftest import ARTIFACTS, CONSOLE_PASSWORD


def wait_text(driver, element_id: str, text: str, timeout: float = 15):
    WebDriverWait(driver, timeout).until(ec.text_to_be_present_in_element((By.ID, element_id), text))


def test_staff_find_copy_search_and_filter(browser, console_url):
    browser.get(f"{console_url}/")
    assert "/login" in browser.current_url  # nothing without logging in
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "パスワードが違います" in d.page_source)
    browser.get(f"{console_url}/login")
    browser.find_element(By.ID, "password").send_keys(CONSOLE_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "caller")))

    browser.find_element(By.ID, "caller").send_keys("後継者がいなくて困っています")
    wait_text(browser, "record", "017-723-1040")
    wait_text(browser, "source", "アシスタント")
    first = browser.find_element(By.CSS_SELECTOR, "#candidates li button")
    assert first.get_attribute("data-section") == "21" and "確信度" in first.text
    browser.save_screenshot(str(ARTIFACTS / "console-candidates.png"))

    browser.find_element(By.ID, "copy").click()
    wait_text(browser, "copied", "コピーしました")
    summary = browser.find_element(By.ID, "summary").get_attribute("value")
    assert "電話：017-723-1040" in summary and "FAX：017-735-5777" in summary

    browser.find_element(By.ID, "search").send_keys("特許")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "#candidates li button").get_attribute("data-section") == "9")
    browser.find_element(By.ID, "search").clear()
    browser.find_element(By.ID, "search").send_keys("創業")
    Select(browser.find_element(By.ID, "area")).select_by_value("三八")
    wait_text(browser, "candidates", "はちのへ創業・事業承継サポートセンター")
    browser.save_screenshot(str(ARTIFACTS / "console-area.png"))


def test_wrong_passwords_are_rate_limited(console_url):
    with requests.Session() as http:
        statuses = [http.post(f"{console_url}/login", data={"password": f"guess{i}"}, allow_redirects=False).status_code
                    for i in range(7)]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
        # even the right password waits while the client is locked out
        assert http.post(f"{console_url}/login", data={"password": CONSOLE_PASSWORD},
                         allow_redirects=False).status_code == 429


def test_api_needs_a_session(console_url):
    assert requests.get(f"{console_url}/api/search", params={"q": "特許"}).status_code == 401
