"""The console's 有人対応 page against WCAG 2.2 AA in a real browser: axe-core (the same rules and checks as the web
chat's, tests/e2e/test_webchat_a11y.py) finds no violation with the list holding a waiting and a taken conversation,
an open conversation with messages and a program card, and a call-back request in the table.
"""
from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.e2e.handover_site import (
    STAFFED,
    StaffClient,
    end_active,
    item,
    open_handover_page,
    queued_by_rest,
    reply_on_page,
    take_on_page,
    transcript,
    wait,
)
from tests.e2e.test_webchat_a11y import assert_no_violations


def test_axe_finds_nothing_on_the_handover_page_in_use(staffed_site, second_browser):
    site, staff = staffed_site, second_browser
    senders = []
    callback = None
    try:
        open_handover_page(staff, site, "tanaka")
        assert_no_violations(staff, "handover-empty")

        on_duty = StaffClient(site, "sato")
        try:
            talking = queued_by_rest(site, on_duty)
            waiting = queued_by_rest(site, on_duty, first="後継者がいなくて困っています")
        finally:
            on_duty.close()
        senders += [talking.sender, waiting.sender]
        store = site.store()
        callback = store.add_callback(None, "rest", 11, "輸出の相談をしたいです", "017-000-0000",
                                      now=STAFFED + timedelta(minutes=1))
        taken, queued = store.active(talking.sender), store.active(waiting.sender)
        item(staff, queued.id)
        take_on_page(staff, taken.id)
        talking.say("よろしくお願いします")
        reply_on_page(staff, "担当の田中です。ご用件を伺います。")
        staff.find_element(By.ID, "card-send").click()
        wait(staff, ec.text_to_be_present_in_element((By.ID, "conversation-status"), "のカードを送信しました"))
        wait(staff, lambda d: any(line["kind"] == "user" and "よろしくお願いします" in line["text"]
                                  for line in transcript(d)))
        staff.refresh()  # the call-back table is read at load (and every 10 s)
        wait(staff, lambda d: "017-000-0000" in d.find_element(By.ID, "callbacks-table").text)
        item(staff, queued.id)
        staff.execute_script(
            f"[...document.querySelectorAll('#queue li[data-id=\"{taken.id}\"] button')][0].click()")  # 会話を開く
        wait(staff, lambda d: not d.find_element(By.ID, "conversation").get_attribute("hidden"))
        wait(staff, lambda d: d.find_elements(By.CSS_SELECTOR, "#transcript .card"))
        assert_no_violations(staff, "handover-in-use")
    finally:
        for sender in senders:
            end_active(site, sender)
        if callback is not None:
            site.store().set_callback_status(callback.id, "done", now=STAFFED + timedelta(minutes=2))
            site.store().prune_callbacks(now=STAFFED + timedelta(days=400))
