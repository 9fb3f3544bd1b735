"""The embeddable web chat on the demo page, in a real browser.

Besides the conversation itself: clearing it, a browser whose storage is blocked or full, a server that never
answers (timeout and retry) and feedback on an answer. A stand-in server (`FakeAssistant`) plays Rasa's REST
channel where the real one cannot show the case (hanging, or answering with a fixed turn id).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import ARTIFACTS

STORAGE_KEY = "aomori-chat"
SUCCESSION = "後継者がいなくて困っています"
# The page's config object is assigned by an inline script; this runs first and lets test settings win.
CONFIG_OVERRIDE = """(() => {
  const extra = %s;
  let value;
  Object.defineProperty(window, 'aomoriChatConfig', {configurable: true, get: () => value,
    set: (given) => { value = Object.assign({}, given, extra); }});
})();"""
# Records every request the chat sends and the JSON it got back.
RECORD_FETCH = """
window.__posts = [];
const original = window.fetch;
window.fetch = function (url, init) {
  const record = {url: String(url), body: init && init.body ? JSON.parse(init.body) : null, reply: null};
  window.__posts.push(record);
  return original.apply(this, arguments).then((response) => {
    response.clone().json().then((json) => { record.reply = json; }, () => {});
    return response;
  });
};"""


def wait(driver, condition, timeout: float = 20):
    return WebDriverWait(driver, timeout).until(condition)


def cards(driver):
    return driver.find_elements(By.CSS_SELECTOR, ".ac-card")


class ChatPage:
    """The demo page in the session's browser; `reset` undoes what a test changed (scripts run before the page,
    emulated screens, the saved conversation)."""

    def __init__(self, driver, url: str):
        self.driver = driver
        self.url = url
        self.scripts: list[str] = []

    def before_load(self, source: str) -> None:
        """Run `source` in every page this browser loads from now on, before the page's own scripts."""
        answer = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
        self.scripts.append(answer["identifier"])

    def configure(self, **settings) -> None:
        self.before_load(CONFIG_OVERRIDE % json.dumps(settings))

    def forget(self) -> None:
        origin = self.url.rstrip("/")
        self.driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "local_storage"})

    def load(self, fresh: bool = True) -> None:
        if fresh:
            self.forget()
        self.driver.get(self.url)
        wait(self.driver, ec.presence_of_element_located((By.CSS_SELECTOR, ".ac-launcher")))

    def open(self) -> None:
        launcher = wait(self.driver, ec.element_to_be_clickable((By.CSS_SELECTOR, ".ac-launcher")))
        if launcher.get_attribute("aria-expanded") != "true":
            launcher.click()
        wait(self.driver, lambda d: d.find_element(By.CSS_SELECTOR, ".ac-panel").is_displayed())

    def greeted(self) -> None:
        wait(self.driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-bot"))
        self.settled()

    def settled(self) -> None:
        """No request under way."""
        wait(self.driver, lambda d: d.find_element(By.CSS_SELECTOR, ".ac-send").get_attribute("aria-disabled") is None)

    def entries(self) -> int:
        return len(self.driver.find_elements(By.CSS_SELECTOR, ".ac-log > .ac-entry"))

    def ask(self, text: str, answers=lambda d: True) -> None:
        """Type `text`, press Enter and wait for the answer (and for `answers(driver)`, when given)."""
        before = self.entries()
        box = self.driver.find_element(By.CSS_SELECTOR, ".ac-form textarea")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        wait(self.driver, lambda d: self.entries() >= before + 2 and answers(d))
        self.settled()

    def saved(self):
        return self.driver.execute_script(f"return localStorage.getItem('{STORAGE_KEY}')")

    def record_fetch(self) -> None:
        self.driver.execute_script(RECORD_FETCH)

    def posts(self):
        return self.driver.execute_script("return window.__posts")

    def reset(self) -> None:
        for identifier in self.scripts:
            self.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": identifier})
        self.scripts.clear()
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        self.driver.set_window_size(1280, 900)
        self.driver.get("about:blank")
        self.forget()


class FakeAssistant:
    """Rasa's REST channel played on a free loopback port: each message is answered by `reply(message)`, or, while
    `hang` is set, accepted and never answered. CORS preflights are answered, as Rasa's --cors does."""

    def __init__(self, reply):
        self.reply = reply
        self.hang = False
        self.received: list[dict] = []
        release = self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def allow(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")

            def do_OPTIONS(self) -> None:  # noqa: N802
                self.send_response(204)
                self.allow()
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.received.append(body)
                if owner.hang:
                    release.wait()  # the request stays open, unanswered, until the test ends
                    return
                data = json.dumps(owner.reply(body["message"]), ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.allow()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def messages(self):
        return [body["message"] for body in self.received]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


FAKE_CARD = {"section": 9, "slug": "succession", "name": "事業承継の相談", "desk": "事業承継・引継ぎ支援センター",
             "phone": "017-723-1040", "email": "hikitsugi@21aomori.or.jp", "hours": "平日 9:00〜17:00", "cost": "無料"}


def fake_reply(message: str):
    if message.startswith("/feedback"):
        return [{"recipient_id": "x", "text": "ご意見ありがとうございます。"}]
    if message == "/greet":
        return [{"recipient_id": "x", "text": "こんにちは。お困りごとをお聞かせください。",
                 "buttons": [{"title": "事業承継", "payload": "/ask_succession"}]}]
    return [{"recipient_id": "x", "text": "事業承継の窓口をご案内します。"},
            {"recipient_id": "x", "custom": {"programs": [FAKE_CARD], "turn": "turn-42"}}]


@pytest.fixture
def fake():
    server = FakeAssistant(fake_reply)
    yield server
    server.close()


def test_chat_answers_with_a_card_keeps_history_and_escapes(browser, webchat_url):
    browser.set_window_size(1280, 900)
    browser.get(webchat_url)
    browser.execute_script("localStorage.clear()")
    browser.get(webchat_url)
    launcher = wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, ".ac-launcher")))
    launcher.send_keys(Keys.ENTER)  # keyboard works: the launcher is a real button
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-buttons button"))  # greeting with topics

    box = browser.find_element(By.CSS_SELECTOR, ".ac-form textarea")
    box.send_keys(SUCCESSION)
    box.send_keys(Keys.ENTER)
    wait(browser, lambda d: any("017-723-1040" in c.text for c in cards(d)))
    succession = next(c for c in cards(browser) if "017-723-1040" in c.text)
    assert succession.find_element(By.CSS_SELECTOR, "a[href^='tel:']").get_attribute("href") == "tel:0177231040"
    assert succession.find_element(By.CSS_SELECTOR, "a[href^='mailto:']").get_attribute("href") == \
        "mailto:hikitsugi@21aomori.or.jp"
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
    assert any("017-723-1040" in c.text for c in cards(browser))


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


def test_clearing_the_conversation_asks_first_and_forgets_it(page):
    page.load()
    page.open()
    page.greeted()
    page.ask(SUCCESSION, lambda d: cards(d))
    sender = json.loads(page.saved())["sender"]
    assert SUCCESSION in page.saved()

    clear = page.driver.find_element(By.XPATH, "//button[normalize-space()='会話を消去']")
    clear.click()
    confirm = page.driver.find_element(By.CSS_SELECTOR, ".ac-confirm")
    assert confirm.is_displayed() and "よろしいですか" in confirm.text
    assert page.driver.switch_to.active_element.text == "キャンセル"  # focus on the safe choice
    page.driver.switch_to.active_element.click()
    assert not confirm.is_displayed() and cards(page.driver) and SUCCESSION in page.saved()
    assert page.driver.switch_to.active_element == clear

    clear.click()
    page.driver.find_element(By.XPATH, "//button[normalize-space()='消去する']").click()
    assert not cards(page.driver) and not page.driver.find_elements(By.CSS_SELECTOR, ".ac-user")
    assert "会話を消去しました" in page.driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    page.greeted()  # a new conversation starts with a greeting
    saved = json.loads(page.saved())
    assert SUCCESSION not in page.saved() and saved["sender"] != sender
    page.load(fresh=False)
    page.greeted()
    assert not page.driver.find_elements(By.CSS_SELECTOR, ".ac-user") and not cards(page.driver)


BLOCKERS = {
    # Storage switched off for the site: every call throws.
    "blocked": """for (const name of ['getItem', 'setItem', 'removeItem']) {
        Storage.prototype[name] = function () { throw new DOMException('blocked', 'SecurityError'); };
      }""",
    # Storage full: reading works, writing throws.
    "full": """Storage.prototype.setItem = function () {
        throw new DOMException('full', 'QuotaExceededError'); };""",
    # Even touching window.localStorage throws (cookies blocked in some browsers).
    "unreachable": """Object.defineProperty(window, 'localStorage', {configurable: true,
        get() { throw new DOMException('denied', 'SecurityError'); }});""",
}


@pytest.mark.parametrize("case", sorted(BLOCKERS))
def test_chat_works_when_storage_is_blocked_or_full(page, case):
    page.before_load(BLOCKERS[case])
    page.load()
    page.open()
    page.greeted()
    page.ask(SUCCESSION, lambda d: any("017-723-1040" in c.text for c in cards(d)))
    note = page.driver.find_element(By.CSS_SELECTOR, ".ac-note")
    assert note.is_displayed() and "会話を保存できない" in note.text

    # clearing works too
    page.driver.find_element(By.XPATH, "//button[normalize-space()='会話を消去']").click()
    page.driver.find_element(By.XPATH, "//button[normalize-space()='消去する']").click()
    page.greeted()
    assert not cards(page.driver) and not page.driver.find_elements(By.CSS_SELECTOR, ".ac-user")


def test_a_request_that_hangs_times_out_politely_and_can_be_sent_again(page, fake):
    fake.hang = True
    page.configure(serverUrl=fake.url, timeoutMs=1500)
    page.load()
    page.open()  # the greeting request hangs
    retry = wait(page.driver, lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, ".ac-retry")
                                              if b.is_displayed()), None), timeout=10)
    status = page.driver.find_element(By.CSS_SELECTOR, "[role=status]")
    assert "時間がかかっている" in status.text and "再送信" in status.text
    assert retry.text == "再送信"

    fake.hang = False
    retry.click()
    wait(page.driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-bot"))
    assert fake.messages() == ["/greet", "/greet"] and not retry.is_displayed() and status.text == ""

    fake.hang = True
    box = page.driver.find_element(By.CSS_SELECTOR, ".ac-form textarea")
    box.send_keys("事業を引き継ぎたい")
    box.send_keys(Keys.ENTER)
    wait(page.driver, lambda d: retry.is_displayed(), timeout=10)
    assert page.driver.find_element(By.CSS_SELECTOR, ".ac-send").get_attribute("aria-disabled") is None
    fake.hang = False
    retry.send_keys(Keys.ENTER)  # the keyboard works too
    wait(page.driver, lambda d: cards(d))
    # the same message, from the same sender, sent twice; shown once
    assert fake.messages()[-2:] == ["事業を引き継ぎたい", "事業を引き継ぎたい"]
    assert len({body["sender"] for body in fake.received}) == 1
    # (each bubble names its speaker for screen readers)
    assert [u.get_attribute("textContent") for u in page.driver.find_elements(By.CSS_SELECTOR, ".ac-user")] == \
        ["あなた：事業を引き継ぎたい"]


def rating_buttons(driver):
    group = driver.find_elements(By.CSS_SELECTOR, ".ac-feedback")[-1]
    up, down = group.find_elements(By.TAG_NAME, "button")
    return group, up, down


def test_feedback_buttons_send_the_rating_without_a_user_bubble(page, fake):
    page.configure(serverUrl=fake.url)
    page.load()
    page.open()
    page.greeted()
    assert not page.driver.find_elements(By.CSS_SELECTOR, ".ac-feedback")  # a greeting is not rated
    page.ask("事業を引き継ぎたい", lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-feedback"))
    group, up, down = rating_buttons(page.driver)
    assert "役に立ちましたか？" in group.text
    assert group.get_attribute("role") == "group" and group.accessible_name == "役に立ちましたか？"
    assert (up.accessible_name, down.accessible_name) == ("役に立った", "役に立たなかった")
    assert "役に立った" in up.text and "役に立たなかった" in down.text  # the name is shown, not only an emoji
    assert (up.get_attribute("aria-pressed"), down.get_attribute("aria-pressed")) == ("false", "false")
    # the row belongs to the answer: it is in the same log entry as the card
    assert group.find_element(By.XPATH, "..").find_elements(By.CSS_SELECTOR, ".ac-card")

    users = len(page.driver.find_elements(By.CSS_SELECTOR, ".ac-user"))
    up.click()
    wait(page.driver, lambda d: "ご意見ありがとうございます。" in d.find_elements(By.CSS_SELECTOR, ".ac-bot")[-1].text)
    page.settled()
    assert fake.messages()[-1] == '/feedback{"turn":"turn-42","rating":"up"}'
    assert (up.get_attribute("aria-pressed"), down.get_attribute("aria-pressed")) == ("true", "false")
    assert len(page.driver.find_elements(By.CSS_SELECTOR, ".ac-user")) == users

    sent = len(fake.received)
    up.click()  # the choice already made: nothing is sent again
    assert len(fake.received) == sent
    down.click()  # changing one's mind sends again
    wait(page.driver, lambda d: len(fake.received) == sent + 1)
    page.settled()
    assert fake.messages()[-1] == '/feedback{"turn":"turn-42","rating":"down"}'
    assert (up.get_attribute("aria-pressed"), down.get_attribute("aria-pressed")) == ("false", "true")
    assert len({body["sender"] for body in fake.received}) == 1

    page.load(fresh=False)  # the choice is kept with the conversation
    page.open()
    _, up, down = rating_buttons(page.driver)
    assert (up.get_attribute("aria-pressed"), down.get_attribute("aria-pressed")) == ("false", "true")


def test_feedback_round_trip_with_the_assistant(page):
    """The real assistant marks an answer with a turn id; 👍 posts it back and is thanked."""
    page.load()
    page.record_fetch()
    page.open()
    page.greeted()
    page.ask(SUCCESSION, lambda d: cards(d))
    wait(page.driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-feedback"), timeout=5)
    answer = page.posts()[-1]
    assert answer["body"]["message"] == SUCCESSION
    turn = next(m["custom"]["turn"] for m in answer["reply"] if "custom" in m)

    bots = len(page.driver.find_elements(By.CSS_SELECTOR, ".ac-bot"))
    users = len(page.driver.find_elements(By.CSS_SELECTOR, ".ac-user"))
    _, up, down = rating_buttons(page.driver)
    up.click()
    wait(page.driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".ac-bot")) > bots)
    page.settled()
    rated = page.posts()[-1]
    assert rated["body"] == {"sender": answer["body"]["sender"],
                             "message": "/feedback" + json.dumps({"turn": turn, "rating": "up"}, separators=(",", ":"))}
    assert up.get_attribute("aria-pressed") == "true" and down.get_attribute("aria-pressed") == "false"
    assert len(page.driver.find_elements(By.CSS_SELECTOR, ".ac-user")) == users
    thanks = page.driver.find_elements(By.CSS_SELECTOR, ".ac-bot")[-1].text
    assert "ありがとう" in thanks, thanks
