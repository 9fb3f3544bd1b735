"""Out of staffed hours (issue 19), on a fixed clock: a weekday at 20:00 Japan time, with a staff member on the
console's 有人対応 page all the same (so that the hours, not an empty console, are why nobody can answer).

In a real browser, the user asks about a program and then for a person; they are told nobody can take the
conversation now, when staff are next there, the desk's phone and hours, and offered a call back; they leave one
(their need and a phone number). Staff, logged in, see it on the console with the contact and mark it done. The
request is deleted once ``CALLBACK_RETENTION_DAYS`` have passed since it was done, and not a day earlier (the prune
is the store's, called here with a later ``now``: the request itself was made through the real servers). The
contact appears in no server log and not in the review log.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from sqlalchemy import create_engine, text

from common.settings import settings
from knowledge import facts, query
from knowledge.cards import program_card
from knowledge.db import session
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.handover_site import CLOSED, CLOSED_PORTS, NEXT_STAFFED, open_handover_page, site, wait
from tests.e2e.test_webchat import ChatPage, cards

PHONE = "090-1234-5678"
HIRING = "人が採用できない"  # Ⅲ-2's desk has opening hours in the guide (the unavailable answer gives them)
NEED = "採用の進め方について相談したいです。"


@pytest.fixture(scope="module")
def closed_site(tmp_path_factory):
    with site(tmp_path_factory.mktemp("closed-site"), CLOSED, CLOSED_PORTS) as running:
        yield running


def bot_texts(driver):
    return driver.execute_script("return [...document.querySelectorAll('.ac-log .ac-bot')].map((n) => n.textContent)")


def callback_rows(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#callbacks-table tbody tr')].map((r) => r.textContent)")


def test_out_of_hours_a_call_back_request_is_stored_shown_to_staff_and_deleted_after_its_retention(
        closed_site, browser, second_browser):
    site, staff = closed_site, second_browser
    chat = ChatPage(browser, site.webchat)
    try:
        open_handover_page(staff, site, "sato")
        wait(staff, ec.text_to_be_present_in_element((By.ID, "duty"), "（いまは有人対応の受付時間外です）"))

        chat.load()
        chat.open()
        chat.greeted()
        chat.ask(HIRING, lambda d: cards(d))
        saved = json.loads(chat.saved())
        sender = saved["sender"]
        shown = [p["section"] for e in saved["entries"] for p in e.get("programs") or []]
        assert len(shown) == 1, shown  # one program in focus
        section = shown[0]
        with session(site.kb_url) as kb:
            program = query.program(kb, section)
            phone = program_card(program)["phone"]  # the desk's number as dialled (the text may add the guide's note)
            with_hours = query.with_hours(program)
            assert with_hours, f"Ⅲ-{section} has no hours in the guide: choose a program whose desk has them"
            hours = query.open_status(kb, with_hours[0], CLOSED).hours_text

        # ---- the user asks for a person: not now; when, the desk's phone and hours, and a call back offered ----
        before = len(bot_texts(browser))
        chat.ask("担当者と話したい", lambda d: len(bot_texts(d)) > before)
        answer = "\n".join(bot_texts(browser)[before:])
        assert "ただいまチャットで担当者におつなぎできません" in answer, answer
        assert f"次は{facts.moment_text(NEXT_STAFFED)}から" in answer, answer
        assert phone in answer, answer
        assert hours in answer, answer  # the desk's hours, from the store
        assert phone in cards(browser)[-1].text  # and its card
        assert site.store().active(sender) is None  # nobody was queued
        system = browser.execute_script("return [...document.querySelectorAll('.ac-log .ac-system')].length")
        assert system == 0  # the assistant's words tell it; the state is not said a second time
        offer = browser.find_elements(By.XPATH, "//div[@class='ac-buttons']/button[.='折り返しの連絡を依頼する']")
        assert offer, "no call-back button"

        # ---- the user leaves a call-back request: the need and a phone number in one message ----
        before = len(bot_texts(browser))
        offer[-1].click()
        wait(browser, lambda d: len(bot_texts(d)) > before)
        assert "ご用件と、ご連絡先（電話番号またはメールアドレス）を" in bot_texts(browser)[-1]
        chat.settled()
        before = len(bot_texts(browser))
        chat.ask(f"{NEED}電話は{PHONE}です", lambda d: len(bot_texts(d)) > before)
        assert f"折り返しのご依頼を受け付けました（ご連絡先：{PHONE}）" in bot_texts(browser)[-1]
        stored = site.store().callbacks()
        assert len(stored) == 1, stored
        request = stored[0]
        assert (request.sender, request.channel, request.section, request.contact, request.status) == (
            sender, "rest", section, PHONE, "new")
        assert NEED in request.need and PHONE not in request.need

        # ---- staff see it, with the contact, and mark it done ----
        staff.refresh()  # the list is read every 10 s; a reload reads it now
        wait(staff, lambda d: any(PHONE in row for row in callback_rows(d)))
        row = next(row for row in callback_rows(staff) if PHONE in row)
        assert NEED in row and f"Ⅲ-{section}" in row and "Webチャット" in row and "未対応" in row, row
        link = staff.find_element(By.CSS_SELECTOR, "#callbacks-table a[href^='tel:']")
        assert link.get_attribute("href") == "tel:" + PHONE.replace("-", "")
        staff.save_screenshot(str(ARTIFACTS / "handover-console-callbacks.png"))
        staff.execute_script("[...document.querySelectorAll('#callbacks-table button')]"
                             ".find((b) => b.textContent === '完了にする').click()")
        wait(staff, ec.text_to_be_present_in_element((By.ID, "callbacks-status"), "依頼を「完了」にしました"))
        done = site.store().callbacks()[0]
        assert done.status == "done" and done.done_at is not None
        # the servers' clock (20:00 Japan time on the fixed day), not this machine's
        assert abs(done.done_at - CLOSED) < timedelta(hours=1), done.done_at

        # ---- deleted after its retention, and not before ----
        days = settings().callback_retention_days
        assert site.store().prune_callbacks(now=done.done_at + timedelta(days=days)) == 0
        assert [c.id for c in site.store().callbacks()] == [request.id]
        assert site.store().prune_callbacks(now=done.done_at + timedelta(days=days, seconds=1)) == 1
        assert site.store().callbacks() == []
        staff.refresh()
        wait(staff, lambda d: callback_rows(d) == ["該当する依頼はありません。"])

        # ---- the contact is personal data: in no server's log, not in the review log ----
        assert PHONE not in site.logs()
        engine = create_engine(site.review_url)
        try:
            with engine.connect() as connection:
                tables = [name for (name,) in connection.execute(text(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"))]
                for table in tables:
                    for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                        assert PHONE not in " ".join(str(value) for value in row), table
        finally:
            engine.dispose()
    finally:
        chat.reset()
