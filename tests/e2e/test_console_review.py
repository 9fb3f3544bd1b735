"""The staff console's review page in a real browser, on a review log seeded for this module.

The console runs as its own subprocess (``python -m console``) on its own port with ``REVIEW_DB_URL`` pointing
at a SQLite file filled here with ``Turn`` rows, so the test needs neither the assistant nor the masking.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime, timedelta, timezone

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from console import review_csv, review_days, review_filters, review_training
from eval import servers
from knowledge import query
from review import db as review_db
from review.models import Turn
from tests.e2e.conftest import ARTIFACTS, CONSOLE_LOGIN, CONSOLE_PASSWORD, PORT_OFFSET

PORT = 5911 + PORT_OFFSET
AXE = servers.ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
# What the users said (already masked, as the log stores it); the first is not in the training data yet.
SUCCESSION = "親父の代から続く鉄工所、畳むか譲るか決めかねています"
INJECTION = '<img src=x onerror="window.__injected=1">宇宙ビジネスの相談はできますか'


def seed(url: str) -> dict:
    """Five conversations of the last days; returns the queue's entry ids by name."""
    rows = {
        "unsure": Turn(conversation="conv-a", turn="a1", at=NOW - timedelta(days=3), channel="line", kind="unsure",
                       text=SUCCESSION, candidates=[{"section": 21, "score": 0.52}, {"section": 16, "score": 0.3}]),
        "a_answer": Turn(conversation="conv-a", turn="a2", at=NOW - timedelta(days=3) + timedelta(minutes=1),
                         channel="line", kind="answer", text="事業承継センターについて教えてください",
                         candidates=[{"section": 21, "score": 0.97}], program=21, feedback="up"),
        "fallback": Turn(conversation="conv-b", turn="b1", at=NOW - timedelta(days=2), channel="line",
                         kind="fallback", text=INJECTION, candidates=[]),
        "which": Turn(conversation="conv-c", turn="c1", at=NOW - timedelta(days=1), channel="rest", kind="which",
                      text="販路を広げたいです", candidates=[{"section": 17, "score": 0.41}, {"section": 11, "score": 0.39}]),
        "down": Turn(conversation="conv-d", turn="d1", at=NOW - timedelta(hours=20), channel="line", kind="answer",
                     text="特許を取りたいのですが", candidates=[{"section": 9, "score": 0.88}], program=9,
                     feedback="down"),
        "e_answer": Turn(conversation="conv-e", turn="e1", at=NOW - timedelta(days=5), channel="rest", kind="answer",
                         text="創業の相談をしたい", candidates=[{"section": 6, "score": 0.95}], program=6),
    }
    with review_db.session(url) as db:
        db.add_all(rows.values())
        db.commit()
        return {name: row.id for name, row in rows.items()}


def seed_handovers(url: str) -> None:
    """Three requests for a person in the last days: taken after 90 s, timed out, and taken after 150 s."""
    from handover.store import HandoverStore

    store = HandoverStore(url)
    for sender, asked, wait in (("web-a", NOW - timedelta(days=2), 90), ("web-b", NOW - timedelta(days=1), None),
                                ("line-c", NOW - timedelta(hours=20), 150)):
        handover = store.request(sender, "rest", now=asked)
        if wait is None:
            assert store.expire_queued(now=asked + timedelta(seconds=600), timeout_seconds=600)
        else:
            assert store.take(handover.id, "sato", "佐藤", now=asked + timedelta(seconds=wait))
            assert store.end(handover.id, "returned", now=asked + timedelta(seconds=wait + 60))


@pytest.fixture(scope="module")
def review_log(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('review-log') / 'review.db'}"
    seed_handovers(url)
    return url, seed(url)


@pytest.fixture(scope="module")
def review_console(review_log, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("review-console")
    command = [sys.executable, "-m", "console", "--port", str(PORT)]
    env = {"KNOWLEDGE_DB_URL": servers.loaded_knowledge(workdir), "CONSOLE_PASSWORD": CONSOLE_PASSWORD,
           "RASA_URL": "", "REVIEW_DB_URL": review_log[0], "PYTHONPATH": str(servers.ROOT)}
    url = f"http://127.0.0.1:{PORT}"
    with servers.running([command], [f"{url}/login"], workdir, servers.ROOT, env):
        yield url


@pytest.fixture(scope="module")
def page(browser, review_console):
    """The review page, logged in through the console's own page and its link; the session is dropped afterwards
    (cookies are per host, not per port: the other console's tests log in for themselves)."""
    browser.set_window_size(1280, 900)
    browser.get(f"{review_console}/review")
    assert "/login" in browser.current_url  # nothing without logging in
    browser.find_element(By.ID, "login").send_keys(CONSOLE_LOGIN)
    browser.find_element(By.ID, "password").send_keys(CONSOLE_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "caller")))
    browser.find_element(By.LINK_TEXT, "対話ログの確認").click()
    wait_ready(browser)
    assert len(entries(browser)) == 4
    yield browser
    browser.get(f"{review_console}/login")
    browser.delete_all_cookies()
    browser.set_window_size(1280, 900)


def entries(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#queue article.entry")


def entry_ids(driver):
    """Read in one script: the list may be re-rendered between two WebDriver calls."""
    return driver.execute_script("return [...document.querySelectorAll('#queue article.entry')].map(a => +a.dataset.id)")


def wait_ready(driver, timeout: float = 15):
    """Until the page shows the filters last applied: list and figures both rendered."""
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("const m = document.querySelector('main.review'); return m && m.dataset.state")
        == "ready")


def article(driver, turn_id):
    return driver.find_element(By.CSS_SELECTOR, f'#queue article[data-id="{turn_id}"]')


def session_of(driver) -> requests.Session:
    http = requests.Session()
    http.cookies.update({c["name"]: c["value"] for c in driver.get_cookies()})
    return http


def apply_filters(driver, **values):
    for name, value in values.items():
        Select(driver.find_element(By.ID, name)).select_by_value(value)
    driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait_ready(driver)


def test_the_queue_shows_the_seeded_entries_newest_first(page, review_log, kb):
    ids = review_log[1]
    assert entry_ids(page) == [ids["down"], ids["which"], ids["fallback"], ids["unsure"]]
    unsure = article(page, ids["unsure"]).text
    assert SUCCESSION in unsure and review_filters.KIND_LABELS["unsure"] in unsure and "LINE" in unsure
    assert f"Ⅲ-21 {query.program(kb, 21).name}（確信度 0.52）" in unsure
    assert review_days.jst_text(NOW - timedelta(days=3)) in unsure and "日本時間" in unsure
    down = article(page, ids["down"]).text
    assert f"Ⅲ-9 {query.program(kb, 9).name}" in down and "低評価（👎 役に立たなかった）" in down and "未判定" in down
    assert "Webチャット" in article(page, ids["which"]).text
    # the user's words are text, never markup
    fallback = article(page, ids["fallback"])
    assert INJECTION in fallback.text and not page.find_elements(By.CSS_SELECTOR, "#queue img")
    assert page.execute_script("return window.__injected") is None
    assert "条件に合う発言は4件です" in page.find_element(By.ID, "queue-count").text


def test_mark_an_entry_as_a_training_example_with_the_keyboard(page, review_log, kb):
    url, ids = review_log
    entry = article(page, ids["unsure"])
    mark = entry.find_element(By.CSS_SELECTOR, "select[name=mark]")
    program = entry.find_element(By.CSS_SELECTOR, "select[name=program]")
    assert not program.is_enabled()  # only a training example names a program
    Select(mark).select_by_value("training")
    assert program.is_enabled()
    entry.find_element(By.CSS_SELECTOR, "button[type=submit]").send_keys(Keys.ENTER)
    WebDriverWait(page, 5).until(lambda d: "正しい制度を選んでください" in entry.find_element(By.CSS_SELECTOR, ".saved").text)
    Select(program).select_by_value("21")
    entry.find_element(By.CSS_SELECTOR, "button[type=submit]").send_keys(Keys.ENTER)
    WebDriverWait(page, 10).until(lambda d: entry.find_element(By.CSS_SELECTOR, ".saved").text == "判定を保存しました。")
    assert f"学習例：Ⅲ-21 {query.program(kb, 21).name}" in entry.find_element(By.CSS_SELECTOR, ".current-mark").text
    with review_db.session(url) as db:
        stored = db.get(Turn, ids["unsure"])
        assert (stored.mark, stored.mark_program) == ("training", 21) and stored.marked_at is not None
    page.save_screenshot(str(ARTIFACTS / "review-marked.png"))

    # changeable: another entry is marked, changed, and its program dropped with the training mark
    other = article(page, ids["fallback"])
    Select(other.find_element(By.CSS_SELECTOR, "select[name=mark]")).select_by_value("out_of_scope")
    other.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(page, 10).until(lambda d: "対象外の相談" in other.find_element(By.CSS_SELECTOR, ".current-mark").text)
    Select(other.find_element(By.CSS_SELECTOR, "select[name=mark]")).select_by_value("gap")
    other.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(page, 10).until(lambda d: "ガイドに情報がない" in other.find_element(By.CSS_SELECTOR, ".current-mark").text)
    with review_db.session(url) as db:
        assert (db.get(Turn, ids["fallback"]).mark, db.get(Turn, ids["fallback"]).mark_program) == ("gap", None)


@pytest.fixture
def unsure_marked_for_training(review_log):
    """The unsure entry marked as a training example for §21 (as the marking test leaves it, whether or not it ran
    before), its previous mark restored afterwards."""
    url, ids = review_log
    with review_db.session(url) as db:
        turn = db.get(Turn, ids["unsure"])
        before = (turn.mark, turn.mark_program, turn.marked_at)
        turn.mark, turn.mark_program, turn.marked_at = "training", 21, before[2] or NOW
        db.commit()
    yield
    with review_db.session(url) as db:
        turn = db.get(Turn, ids["unsure"])
        turn.mark, turn.mark_program, turn.marked_at = before
        db.commit()


def test_export_training_examples_as_yaml_rasa_loads(page, review_console, kb, tmp_path, unsure_marked_for_training):
    from rasa.shared.nlu.training_data.loading import load_data

    assert review_training.example_key(SUCCESSION) not in review_training.known_examples()  # else the export would rightly leave it out
    answer = session_of(page).get(f"{review_console}/api/review/export/training.yml")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/yaml")
    assert "attachment" in answer.headers["Content-Disposition"]
    assert page.find_element(By.ID, "export-yaml").get_attribute("href").endswith("/api/review/export/training.yml")
    path = tmp_path / "review-training.yml"
    path.write_bytes(answer.content)
    data = load_data(str(path))
    intent = f"program_{query.program(kb, 21).slug.replace('-', '_')}"
    assert [(m.get("intent"), m.get("text")) for m in data.training_examples] == [(intent, SUCCESSION)]


def test_export_the_filtered_queue_as_csv(page, review_console, review_log):
    ids = review_log[1]
    http = session_of(page)
    answer = http.get(f"{review_console}/api/review/export/queue.csv", params={"channel": "line"})
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == review_csv.CSV_COLUMNS
    assert [int(r[0]) for r in rows[1:]] == [ids["down"], ids["fallback"], ids["unsure"]]
    # the page's CSV link carries the filters shown
    apply_filters(page, kind="fallback")
    assert entry_ids(page) == [ids["fallback"]]
    href = page.find_element(By.ID, "export-csv").get_attribute("href")
    assert "kind=fallback" in href
    rows = list(csv.reader(io.StringIO(http.get(href).content.decode("utf-8-sig"))))
    assert [int(r[0]) for r in rows[1:]] == [ids["fallback"]]
    apply_filters(page, kind="")
    assert len(entry_ids(page)) == 4


def test_the_figures_render(page):
    days = page.find_elements(By.CSS_SELECTOR, "#daily-chart svg rect.bar")
    assert len(days) == 30  # the default range: the last 30 days
    chart = page.find_element(By.CSS_SELECTOR, "#daily-chart svg")
    assert chart.get_attribute("role") == "img"
    description = page.find_element(By.ID, "daily-desc").get_attribute("textContent")
    assert "会話は合計5件" in description
    counts = page.execute_script(
        "return [...document.querySelectorAll('#daily-table tbody tr td')].map(td => parseInt(td.textContent, 10))")
    assert len(counts) == 30 and sum(counts) == 5  # five conversations, each on one day
    # the resolved: conv-a (answered, 👍), conv-d (ends with a recommendation), conv-e (likewise); of five
    assert page.find_element(By.ID, "resolution-rate").text == "60.0%"
    assert "会話5件のうち、3件が自己解決しました" in page.find_element(By.ID, "resolution-detail").text
    down = page.find_element(By.CSS_SELECTOR, '#down-table tbody tr[data-section="9"]').text
    assert "100.0%" in down
    topics = page.find_elements(By.CSS_SELECTOR, "#topics-table tbody tr")
    total = sum(int(row.find_elements(By.CSS_SELECTOR, "td")[0].text.rstrip("件")) for row in topics)
    assert total == 2  # the unsure and the fallback entry
    assert INJECTION in page.find_element(By.ID, "topics-table").text
    # the handovers: three asked, waits of 90 and 150 s (median 2 min), one of three timed out
    assert page.find_element(By.ID, "handover-requests").text == "3件"
    assert page.find_element(By.ID, "handover-wait").text == "2分"
    assert page.find_element(By.ID, "handover-timed-out").text == "33.3%"
    handovers = page.execute_script(
        "return [...document.querySelectorAll('#handover-table tbody tr td')].map(td => parseInt(td.textContent, 10))")
    assert len(handovers) == 30 and sum(handovers) == 3


@pytest.mark.parametrize("width,height", [(1280, 900), (1024, 800)])
def test_layout_holds_at_common_widths(page, width, height):
    page.set_window_size(width, height)
    WebDriverWait(page, 5).until(lambda d: d.execute_script("return window.innerWidth") == width)
    layout = page.execute_script("""
      const box = (node) => { const r = node.getBoundingClientRect(); return {left: r.left, right: r.right}; };
      return {scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
              parts: [...document.querySelectorAll('.filter-bar, .panel, .entry, .entry > *, .mark-form select')]
                .map(box)};
    """)
    page.save_screenshot(str(ARTIFACTS / f"review-{width}.png"))
    assert layout["scroll"] <= layout["client"], layout  # no horizontal scrollbar
    assert all(0 <= p["left"] and p["right"] <= layout["client"] for p in layout["parts"]), layout
    page.set_window_size(1280, 900)


def test_the_page_passes_axe(page):
    assert AXE.exists(), "axe-core is not installed: bash scripts/install-axe.sh (make test runs it)"
    page.execute_script(AXE.read_text(encoding="utf-8"))
    result = page.execute_async_script("""
      const done = arguments[arguments.length - 1];
      axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']}).then((r) => done(r.violations.map(
        (v) => ({id: v.id, nodes: v.nodes.map((n) => n.target.join(' '))})))).catch((e) => done(String(e)));
    """)
    assert result == [], json.dumps(result, ensure_ascii=False)


def test_the_review_api_needs_a_session_and_sane_requests(page, review_console, review_log):
    ids = review_log[1]
    assert requests.get(f"{review_console}/api/review/queue").status_code == 401
    assert requests.get(f"{review_console}/api/review/export/training.yml").status_code == 401
    assert requests.post(f"{review_console}/api/review/turns/{ids['which']}/mark",
                         json={"mark": "fine"}).status_code == 401
    http = session_of(page)
    refused = http.get(f"{review_console}/api/review/queue", params={"from": "2024-05-02", "to": "2024-05-01"})
    assert refused.status_code == 400 and "開始日" in refused.json()["error"]
    # a form post (what another site could send) is not accepted: JSON only
    form = http.post(f"{review_console}/api/review/turns/{ids['which']}/mark", data={"mark": "fine"})
    assert form.status_code == 415
    unknown = http.post(f"{review_console}/api/review/turns/{ids['which']}/mark", json={"mark": "training",
                                                                                       "program": 999})
    assert unknown.status_code == 400 and "正しい制度" in unknown.json()["error"]
    assert http.post(f"{review_console}/api/review/turns/{ids['which']}/mark", json={}).status_code == 400
    assert http.post(f"{review_console}/api/review/turns/987654/mark", json={"mark": "fine"}).status_code == 404
