"""Handover to a person (issue 19) with two real browsers at once: a user in the web chat, a staff member on the
console's 有人対応 page, the servers on a fixed clock within staffed hours (tests/e2e/handover_site.py).

The user asks about a program, then for a person; staff take the conversation; messages go both ways (staff's reach
the open page by server-sent events, the user sending nothing; the user's reach the console and are not answered by
the assistant, which never even sees them); the page is reloaded mid-handover and a later staff message still
arrives; staff send the program's card; staff hand back; the assistant answers the next question about the same
program.
"""
from __future__ import annotations

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from handover import contract
from knowledge import facts, query
from knowledge.cards import program_card
from knowledge.db import session
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.handover_site import (
    STAFF,
    end_active,
    item,
    open_handover_page,
    reply_on_page,
    take_on_page,
    transcript,
    wait,
)
from tests.e2e.test_webchat import ChatPage, cards

EXPORT = "台湾にりんごを輸出したい"
ASK_PERSON = "担当者と話したい"
USER_TO_STAFF = "来月の商談会に出たいのですが、間に合いますか"
STAFF_FIRST = "田中です。台湾への輸出のご相談ですね。商談会の日程をお調べします。"
STAFF_AFTER_RELOAD = "お待たせしました。来月の商談会はまだ申し込めます。"

TRANSCRIPT_AT_END = "const l = document.getElementById('transcript'); " \
                    "return l.scrollHeight > l.clientHeight && l.scrollHeight - l.scrollTop - l.clientHeight < 40"


def staff_texts(driver):
    """What staff said, as the web chat shows it (the name line, then the text)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.ac-log .ac-staff')].map((n) => n.textContent)")


def system_texts(driver):
    return driver.execute_script("return [...document.querySelectorAll('.ac-log .ac-system')].map((n) => n.textContent)")


def bot_bubbles(driver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, ".ac-log .ac-bot"))


def status_line(driver) -> str:
    return driver.execute_script("const l = document.querySelector('.ac-handover'); return l.hidden ? '' : l.textContent")


def type_in_chat(driver, text: str) -> None:
    box = driver.find_element(By.CSS_SELECTOR, ".ac-form textarea")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def test_a_user_and_a_staff_member_talk_through_a_handover_and_the_assistant_takes_over_again(
        staffed_site, browser, second_browser):
    site, staff = staffed_site, second_browser
    chat = ChatPage(browser, site.webchat)
    sender = None
    try:
        open_handover_page(staff, site, "tanaka")  # on duty: the assistant may offer a person

        chat.load()
        chat.open()
        chat.greeted()
        chat.ask(EXPORT, lambda d: cards(d))
        saved = json.loads(chat.saved())
        sender = saved["sender"]
        section = next(p["section"] for e in saved["entries"] for p in e.get("programs") or [])
        with session(site.kb_url) as kb:
            program = query.program(kb, section)
            name, phone, card_phone = program.name, facts.desk_phone(program.main_desk), program_card(program)["phone"]
        assert "台湾" in name, name  # the program the user asked about

        # ---- the user asks for a person: queued, told the place in line ----
        chat.ask(ASK_PERSON, lambda d: "1番目" in status_line(d))
        told = browser.find_elements(By.CSS_SELECTOR, ".ac-log .ac-bot")[-1].text
        assert "担当者におつなぎします。ただいま1番目で" in told, told
        assert not any("1番目" in t for t in system_texts(browser)), system_texts(browser)  # said once, not twice
        assert "担当者の順番待ち：1番目" in status_line(browser)
        handover = site.store().active(sender)
        assert handover is not None and handover.state == "queued" and handover.channel == "rest"
        assert handover.focus == section  # the program in focus goes with the conversation

        # ---- staff see it in the live list (no reload) and take it ----
        entry = item(staff, handover.id)
        wait(staff, lambda d: f"Ⅲ-{section} {name}" in entry.text and "Webチャット" in entry.text)
        take_on_page(staff, handover.id)
        lines = transcript(staff)
        assert any(EXPORT in line["text"] for line in lines), lines  # the conversation before the request
        # the user is told who answers, without sending anything
        connected = contract.CONNECTED_TEXT.format(staff=STAFF["tanaka"])
        wait(browser, lambda d: any(connected in t for t in system_texts(d)))
        assert status_line(browser) == f"担当者（{STAFF['tanaka']}）が対応しています"

        # ---- staff -> user: reaches the open page by itself ----
        chat.record_fetch()  # every request the page sends from now on
        reply_on_page(staff, STAFF_FIRST)
        wait(browser, lambda d: any(STAFF_FIRST in t for t in staff_texts(d)))
        assert staff_texts(browser)[-1] == f"担当者（{STAFF['tanaka']}）：{STAFF_FIRST}"
        assert chat.posts() == []  # the page sent nothing: the message came by the stream alone

        # ---- user -> staff: shown in the console, not answered by the assistant (which never sees it) ----
        bots = bot_bubbles(browser)
        rasa_turns = site.bot_turns(sender)
        type_in_chat(browser, USER_TO_STAFF)
        chat.settled()
        wait(staff, lambda d: any(line["kind"] == "user" and USER_TO_STAFF in line["text"] for line in transcript(d)))
        assert staff.execute_script(TRANSCRIPT_AT_END)  # the newest line in view, not the start of the conversation
        assert bot_bubbles(browser) == bots
        assert USER_TO_STAFF not in site.said_to_rasa(sender) and site.bot_turns(sender) == rasa_turns

        # ---- the user's page is reloaded mid-handover: a later staff message still arrives, nothing twice ----
        browser.refresh()
        wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".ac-panel").is_displayed())
        assert status_line(browser) == f"担当者（{STAFF['tanaka']}）が対応しています"
        reply_on_page(staff, STAFF_AFTER_RELOAD)
        wait(browser, lambda d: any(STAFF_AFTER_RELOAD in t for t in staff_texts(d)))
        shown = staff_texts(browser)
        assert [STAFF_FIRST in t for t in shown].count(True) == 1 and len(shown) == 2, shown

        # ---- staff send the program's card: drawn as a card in the web chat ----
        before_cards = len(cards(browser))
        assert Select(staff.find_element(By.ID, "card-program")).first_selected_option.get_attribute(
            "value") == str(section)  # the program in focus is preselected
        staff.find_element(By.ID, "card-send").click()
        wait(staff, ec.text_to_be_present_in_element((By.ID, "conversation-status"), "のカードを送信しました"))
        wait(browser, lambda d: len(cards(d)) == before_cards + 1)
        card = cards(browser)[-1]
        assert name in card.text and card_phone in card.text
        assert card.find_element(By.XPATH, "..").find_elements(By.CSS_SELECTOR, ".ac-who")  # under the staff's name
        browser.save_screenshot(str(ARTIFACTS / "handover-webchat-connected.png"))
        staff.save_screenshot(str(ARTIFACTS / "handover-console-connected.png"))

        # ---- staff hand back: the user is told, the assistant answers again about the same program ----
        staff.find_element(By.ID, "end").click()
        wait(staff, ec.alert_is_present()).accept()
        wait(staff, ec.text_to_be_present_in_element((By.ID, "conversation-status"), "アシスタントに戻しました"))
        wait(browser, lambda d: any(contract.ENDED_TEXT in t for t in system_texts(d)))
        wait(browser, lambda d: status_line(d) == "")
        ended = site.store().get(handover.id)
        assert ended.state == "ended" and ended.outcome == "returned" and ended.taken_by == "tanaka"

        bots = bot_bubbles(browser)
        chat.ask("電話番号は？", lambda d: bot_bubbles(d) > bots)
        answer = browser.find_elements(By.CSS_SELECTOR, ".ac-log .ac-bot")[-1].text
        assert phone in answer, answer
        assert site.said_to_rasa(sender)[-1] == "電話番号は？"
    finally:
        if sender is not None:
            end_active(site, sender)
        chat.reset()
