"""Bad input during a handover (issue 19), in real browsers on the real servers: each gets a clear refusal, nothing is
stored twice and nothing is lost.

- A staff reply of 100,000 characters on the 有人対応 page: the page says it is too long and does not send it
  (the console's HTTP answer to such a reply, 413 with nothing stored, is tests/unit/test_console_handover.py
  ``test_a_reply_of_100000_characters_is_refused_whole_and_nothing_is_stored``, through the whole app).
- A user message too long for staff (over 1,000 characters, through the REST channel: the web chat's box takes no
  more): a polite refusal, nothing stored (bot/channels/hold.py; its unit test calls the function, not the server).
- Markup both ways, shown as the text it is on both pages: nothing of it becomes an element or runs.
- A forged take-over from another page of the same site (another port of the same host, so the staff member's
  SameSite=Strict session cookie does go along): an HTML form and a script, from a real browser that is logged in.
  A request without a session (401), one with a foreign Origin (403) and an HTML form's body (415) over HTTP are
  ``test_a_forged_take_over_is_refused_and_stores_nothing`` in the unit tests.
"""
from __future__ import annotations

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec

from common.settings import MAX_MESSAGE_CHARS
from handover import contract
from tests.e2e.handover_site import (
    RestUser,
    end_active,
    handover_of,
    open_handover_page,
    reply_on_page,
    staff_lines,
    take_on_page,
    text_of,
    transcript,
    type_reply,
    wait,
)
from tests.e2e.test_webchat import ChatPage

STAFF_MARKUP = '<script>window.__pwned = "script"</script><b>太字</b><img src=x onerror="window.__pwned = \'img\'">'
USER_MARKUP = '<b>ご相談</b><img src=y onerror="window.__pwned = \'user\'"> &amp; <i>です</i>'
FORGED_FORM = """
const form = document.createElement('form');
form.method = 'POST';
form.action = arguments[0];
form.enctype = 'text/plain';
const field = document.createElement('input');
field.name = '{"x":"';
field.value = '"}';
form.append(field);
document.body.append(form);
form.submit();"""
FORGED_FETCH = """
const [url, done] = arguments;
Promise.allSettled([
  fetch(url, {method: 'POST', credentials: 'include', mode: 'no-cors', body: '{}',
              headers: {'Content-Type': 'text/plain'}}).then((r) => r.type),
  fetch(url, {method: 'POST', credentials: 'include', body: '{}', headers: {'Content-Type': 'application/json'}})
    .then((r) => r.status),
]).then((results) => done(results.map((r) => r.status === 'fulfilled' ? String(r.value) : 'refused')));"""
SLOW_REPLIES = """
window.__fetch = window.fetch;
window.fetch = (url, init) => init && init.method === 'POST' && String(url).endsWith('/messages')
  ? new Promise((resolve) => setTimeout(resolve, 1500)).then(() => window.__fetch(url, init))
  : window.__fetch(url, init);"""
ELEMENTS_FROM_MARKUP = "return document.querySelectorAll(arguments[0] + ' b, ' + arguments[0] + ' img, ' + " \
                       "arguments[0] + ' i, ' + arguments[0] + ' script').length"


def texts(site, handover_id):
    return [(m.author, m.text) for m in site.store().messages(handover_id)]


def staff_texts(driver):
    return driver.execute_script("return [...document.querySelectorAll('.ac-log .ac-staff')].map((n) => n.textContent)")


def test_bad_input_is_refused_clearly_and_markup_stays_text_on_both_pages(staffed_site, browser, second_browser):
    site, staff = staffed_site, second_browser
    chat = ChatPage(browser, site.webchat)
    sender = bystander = None
    try:
        open_handover_page(staff, site, "tanaka")

        # ---- a forged take-over, from another page of the same site, in the staff member's own browser ----
        waiting = RestUser(site)
        bystander = waiting.sender
        assert handover_of(waiting.say("担当者と話したい"))["state"] == "queued"
        target = site.store().active(bystander)
        take = f"{site.console}/api/handovers/{target.id}/take"
        staff.get(site.webchat)  # the demo page: http://127.0.0.1:<another port>
        staff.set_script_timeout(30)
        assert staff.execute_async_script(FORGED_FETCH, take) == ["opaque", "refused"]  # no CORS for other pages
        staff.execute_script(FORGED_FORM, take)
        wait(staff, lambda d: d.current_url == take)
        refusal = json.loads(staff.find_element(By.TAG_NAME, "body").text)  # the 403's JSON, as the browser shows it
        assert refusal == {"error": "このページ以外からの送信は受け付けていません。ページを開き直してから、もう一度お試しください。"}
        after = site.store().get(target.id)
        assert after.state == "queued" and after.taken_by is None and site.store().messages(target.id) == []
        end_active(site, bystander)

        # ---- a user in the web chat, taken by staff on the console ----
        staff.get(f"{site.console}/handover")
        wait(staff, ec.text_to_be_present_in_element((By.ID, "duty"), "田中"))
        chat.load()
        chat.open()
        chat.greeted()
        chat.ask("担当者と話したい", lambda d: d.find_element(By.CSS_SELECTOR, ".ac-handover").is_displayed())
        sender = json.loads(chat.saved())["sender"]
        handover = site.store().active(sender)
        take_on_page(staff, handover.id)
        wait(browser, lambda d: "が対応しています" in d.find_element(By.CSS_SELECTOR, ".ac-handover").text)
        stored = texts(site, handover.id)

        # ---- a staff reply of 100,000 characters: the page refuses it, nothing is sent ----
        staff.execute_script(
            "const box = document.getElementById('reply'); box.value = arguments[0];"
            "box.dispatchEvent(new Event('input', {bubbles: true}));", "あ" * 100_000)
        count = staff.find_element(By.ID, "reply-count").text
        assert count == f"100000文字：{MAX_MESSAGE_CHARS}文字を超えています。分けて送ってください。", count
        assert not staff.find_element(By.ID, "reply-send").is_enabled()
        staff.find_element(By.ID, "reply").send_keys(Keys.CONTROL, Keys.ENTER)  # the shortcut does not send either
        staff.execute_script("document.getElementById('reply-form').requestSubmit()")
        assert texts(site, handover.id) == stored and staff_texts(browser) == []
        staff.execute_script("const box = document.getElementById('reply'); box.value = '';"
                             "box.dispatchEvent(new Event('input', {bubbles: true}));")

        # ---- a user message too long for staff: refused politely, not stored ----
        same_user = RestUser(site)
        same_user.sender = sender
        refused = same_user.say("い" * (MAX_MESSAGE_CHARS + 1))
        assert contract.TOO_LONG_TEXT.format(limit=MAX_MESSAGE_CHARS) in text_of(refused)
        assert handover_of(refused)["state"] == "connected"
        assert texts(site, handover.id) == stored

        # ---- markup, staff -> user: text on both pages ----
        reply_on_page(staff, STAFF_MARKUP)
        wait(browser, lambda d: any(STAFF_MARKUP in t for t in staff_texts(d)))
        wait(staff, lambda d: any(STAFF_MARKUP in line["text"] for line in transcript(d)))

        # ---- markup, user -> staff: text on both pages ----
        box = browser.find_element(By.CSS_SELECTOR, ".ac-form textarea")
        box.send_keys(USER_MARKUP)
        box.send_keys(Keys.ENTER)
        chat.settled()
        wait(staff, lambda d: any(line["kind"] == "user" and USER_MARKUP in line["text"] for line in transcript(d)))
        user_bubbles = browser.execute_script(
            "return [...document.querySelectorAll('.ac-log .ac-user')].map((n) => n.textContent)")
        assert any(USER_MARKUP in t for t in user_bubbles), user_bubbles

        for driver, where in ((browser, ".ac-log"), (staff, "#transcript")):
            assert driver.execute_script(ELEMENTS_FROM_MARKUP, where) == 0, where
            assert driver.execute_script("return window.__pwned === undefined"), where

        # ---- nothing stored twice, nothing lost: both still reach the other side, also when staff reply right
        # after the user wrote (before the page's next poll: the reply's answer must not skip the user's line) ----
        crossing = []
        for round_ in range(3):
            said, answered = f"追加で確認です（{round_ + 1}）", f"はい、確認します（{round_ + 1}）。"
            assert handover_of(same_user.say(said))["state"] == "connected"
            reply_on_page(staff, answered)
            crossing += [("user", said), ("staff", answered)]
        wait(staff, lambda d: all(any(said in line["text"] for line in transcript(d)) for _, said in crossing))
        shown = [(line["kind"], line["text"]) for line in transcript(staff) if line["kind"] in ("user", "staff")][-6:]
        assert [kind for kind, _ in shown] == [kind for kind, _ in crossing], shown  # in order, each once
        assert all(said in text for (_, text), (_, said) in zip(shown, crossing)), shown
        assert all(sum(said in line["text"] for line in transcript(staff)) == 1 for _, said in crossing)
        assert texts(site, handover.id) == stored + [("staff", STAFF_MARKUP), ("user", USER_MARKUP), *crossing]
        wait(browser, lambda d: len(staff_texts(d)) == 4)

        # ---- what staff type while a reply is still being sent is kept (a slow network: 1.5 s a reply) ----
        staff.execute_script(SLOW_REPLIES)
        type_reply(staff, "資料は明日お送りします。")
        staff.find_element(By.ID, "reply-send").click()
        type_reply(staff, "それから、")  # typed on at once
        wait(staff, lambda d: staff_lines(d, "資料は明日お送りします。") == 1)
        assert staff.find_element(By.ID, "reply").get_attribute("value") == "それから、"
        staff.execute_script("window.fetch = window.__fetch")
    finally:
        for someone in (sender, bystander):
            if someone is not None:
                end_active(site, someone)
        chat.reset()
