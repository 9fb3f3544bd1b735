"""The embeddable web chat on the demo page, in a real browser."""
from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from knowledge import query
from tests.e2e.conftest import ARTIFACTS


def wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(condition)


def cards(driver):
    return driver.find_elements(By.CSS_SELECTOR, ".ac-card")


def test_chat_answers_with_a_card_keeps_history_and_escapes(browser, webchat_url, kb):
    desk = query.program(kb, 21).main_desk  # the succession centre: its card carries the store's contacts
    browser.set_window_size(1280, 900)
    browser.get(webchat_url)
    browser.execute_script("localStorage.clear()")
    browser.get(webchat_url)
    launcher = wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, ".ac-launcher")))
    launcher.send_keys(Keys.ENTER)  # keyboard works: the launcher is a real button
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-buttons button"))  # greeting with topics

    box = browser.find_element(By.CSS_SELECTOR, ".ac-form textarea")
    box.send_keys("後継者がいなくて困っています")
    box.send_keys(Keys.ENTER)
    wait(browser, lambda d: any(desk.phone in c.text for c in cards(d)))
    succession = next(c for c in cards(browser) if desk.phone in c.text)
    assert succession.find_element(By.CSS_SELECTOR, "a[href^='tel:']").get_attribute("href") == \
        "tel:" + re.sub(r"[^0-9+]", "", desk.phone)  # dialled digits only
    assert succession.find_element(By.CSS_SELECTOR, "a[href^='mailto:']").get_attribute("href") == \
        f"mailto:{desk.email}"
    browser.save_screenshot(str(ARTIFACTS / "webchat-card.png"))

    before = len(cards(browser))
    browser.find_elements(By.CSS_SELECTOR, ".ac-buttons button")[0].click()  # a topic button
    wait(browser, lambda d: len(cards(d)) > before)

    # an Enter that confirms an IME conversion does not send
    sent = len(browser.find_elements(By.CSS_SELECTOR, ".ac-user"))
    box.send_keys("そうぎょう")
    browser.execute_script("""
        const box = document.querySelector('.ac-form textarea');
        box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true}));""")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ac-user")) == sent and box.get_attribute("value") == "そうぎょう"
    box.clear()

    # HTML typed by the user is shown as text, never run or rendered
    box.send_keys("<img src=x onerror=\"document.title='pwned'\">")
    box.send_keys(Keys.ENTER)
    wait(browser, lambda d: "<img src=x" in d.find_elements(By.CSS_SELECTOR, ".ac-user")[-1].text)
    assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, ".ac-log img")

    shown = len(cards(browser))
    browser.refresh()
    wait(browser, lambda d: len(cards(d)) == shown)  # the conversation survives a reload
    assert any(desk.phone in c.text for c in cards(browser))


def test_chat_fits_a_phone_screen(browser, webchat_url):
    browser.set_window_size(375, 740)
    browser.get(webchat_url)
    panel = browser.find_element(By.CSS_SELECTOR, ".ac-panel")
    if not panel.is_displayed():
        browser.find_element(By.CSS_SELECTOR, ".ac-launcher").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".ac-panel").is_displayed())
    width = browser.execute_script("return document.querySelector('.ac-panel').getBoundingClientRect().width")
    viewport = browser.execute_script("return window.innerWidth")
    assert width <= viewport
    browser.save_screenshot(str(ARTIFACTS / "webchat-phone.png"))
    browser.set_window_size(1280, 900)
