"""The staff console in a real browser, and its login rules over HTTP."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from eval import servers
from knowledge import facts, query
from knowledge.locations import Location
from tests.e2e.conftest import ARTIFACTS, CONSOLE_LOGIN, CONSOLE_PASSWORD, PORT_OFFSET
from tests.loopback import FromAddress


def form(password: str, login: str = CONSOLE_LOGIN) -> dict:
    """The login form's fields."""
    return {"login": login, "password": password}


def wait_text(driver, element_id: str, text: str, timeout: float = 15):
    WebDriverWait(driver, timeout).until(ec.text_to_be_present_in_element((By.ID, element_id), text))


def test_staff_find_copy_search_and_filter(browser, console_url, kb):
    desk = query.program(kb, 21).main_desk  # the succession centre, the record the caller's words find
    # the startup program's places in 三八: what the area filter names beside the program
    local = query.places_near(query.program(kb, 6), Location("三八"))
    assert local, "the store has no startup place in 三八"
    browser.get(f"{console_url}/login")
    browser.delete_all_cookies()  # logged out, whichever console test ran before (cookies are per host, not port)
    browser.get(f"{console_url}/")
    assert "/login" in browser.current_url  # nothing without logging in
    browser.find_element(By.ID, "login").send_keys(CONSOLE_LOGIN)
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "ログイン名またはパスワードが違います" in d.page_source)
    browser.get(f"{console_url}/login")
    browser.find_element(By.ID, "login").send_keys(CONSOLE_LOGIN)
    browser.find_element(By.ID, "password").send_keys(CONSOLE_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "caller")))

    browser.find_element(By.ID, "caller").send_keys("後継者がいなくて困っています")
    wait_text(browser, "record", facts.desk_phone(desk))
    wait_text(browser, "source", "アシスタント")
    first = browser.find_element(By.CSS_SELECTOR, "#candidates li button")
    assert first.get_attribute("data-section") == "21" and "確信度" in first.text
    browser.save_screenshot(str(ARTIFACTS / "console-candidates.png"))

    browser.find_element(By.ID, "copy").click()
    wait_text(browser, "copied", "コピーしました")
    summary = browser.find_element(By.ID, "summary").get_attribute("value")
    assert f"電話：{facts.desk_phone(desk)}" in summary and f"FAX：{desk.fax}" in summary

    browser.find_element(By.ID, "search").send_keys("特許")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "#candidates li button").get_attribute("data-section") == "9")
    browser.find_element(By.ID, "search").clear()
    browser.find_element(By.ID, "search").send_keys("創業")
    Select(browser.find_element(By.ID, "area")).select_by_value("三八")
    for place in local:
        wait_text(browser, "candidates", f"近くの窓口：{place.name}")
    browser.save_screenshot(str(ARTIFACTS / "console-area.png"))


def test_a_town_in_the_callers_words_puts_its_room_in_the_row(browser, console_url, kb):
    """The row shows the desk the assistant would answer with (knowledge/answers.py), not always the main one."""
    program = query.program(kb, 6)
    room = next(p for p in program.places if p.city == "十和田市" and p.contacts)
    open_console(browser, console_url)
    caller = browser.find_element(By.ID, "caller")
    caller.clear()
    caller.send_keys("十和田で起業したいという方からの電話です")
    wait_text(browser, "candidates", room.name)
    row = browser.execute_script("return document.querySelector('#candidates li button').textContent")
    assert room.name in row and room.contacts[0].phone in row and program.main_desk.phone not in row


def open_console(driver, console_url):
    """The console page, logging in first when the browser has no session yet; returns once the first list is in."""
    driver.get(f"{console_url}/")
    if "/login" in driver.current_url:
        driver.find_element(By.ID, "login").send_keys(CONSOLE_LOGIN)
        driver.find_element(By.ID, "password").send_keys(CONSOLE_PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "caller")))
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#candidates li button"))


def listed_sections(driver):
    """The sections listed, read in one script: the list may be re-rendered between finding a button and reading
    it (a StaleElementReferenceException a fresh CI run could hit), never inside one script."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#candidates li button'), b => b.getAttribute('data-section'))")


@pytest.fixture
def window(browser):
    """The browser, put back to its usual window size afterwards."""
    yield browser
    browser.set_window_size(1280, 900)


RECTS = """
const rect = (selector) => { const r = document.querySelector(selector).getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
return {area: rect("#area"), search: rect("#search"), candidates: rect("#candidates"), input: rect("section.input"),
        record: rect("section.detail"), scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth, innerWidth: window.innerWidth};
"""


def overlap(a, b) -> bool:
    return min(a["right"], b["right"]) > max(a["left"], b["left"]) and min(a["bottom"], b["bottom"]) > max(a["top"], b["top"])


@pytest.mark.parametrize("width,height", [(1280, 900), (1024, 800), (768, 1000)])
def test_layout_holds_at_common_widths(window, console_url, width, height):
    window.set_window_size(width, height)
    open_console(window, console_url)
    assert window.execute_script("return window.innerWidth") == width
    window.find_element(By.ID, "caller").send_keys("後継者がいなくて困っています。上北の会社です")
    Select(window.find_element(By.ID, "area")).select_by_value("上北")  # the longest option
    WebDriverWait(window, 15).until(lambda d: "上北" in d.find_element(By.ID, "area-towns").text
                                    and re.search("判定|キーワード検索", d.find_element(By.ID, "source").text)
                                    and d.find_elements(By.CSS_SELECTOR, "#record h2"))
    time.sleep(0.5)  # the area's re-run of the candidates
    layout = window.execute_script(RECTS)
    window.save_screenshot(str(ARTIFACTS / f"console-{width}.png"))

    for name in ("area", "search", "candidates"):
        box = layout[name]
        assert not overlap(box, layout["record"]), (width, name, box, layout["record"])
        # nothing cut off: each control stays inside its column and the window
        assert layout["input"]["left"] <= box["left"] and box["right"] <= layout["input"]["right"], (width, name, layout)
        assert 0 <= box["left"] and box["right"] <= layout["clientWidth"], (width, name, layout)
    assert 0 <= layout["record"]["left"] and layout["record"]["right"] <= layout["clientWidth"], (width, layout)
    # no horizontal scrollbar
    assert layout["scrollWidth"] <= layout["innerWidth"] and layout["scrollWidth"] <= layout["clientWidth"], layout


def test_header_counts_the_programs_in_the_store(browser, console_url, kb):
    open_console(browser, console_url)
    programs = len(query.all_programs(kb))
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "program-count").text)
    assert f"（{programs}制度）" in browser.find_element(By.TAG_NAME, "header").text
    assert len(listed_sections(browser)) == programs  # the first list: every program
    page = requests.get(f"{console_url}/static/console.html").text
    assert not re.search(r"\d+\s*制度", page), "the count must come from the store, not be typed in the page"


# The first /api/search after installation answers 1.5 s late (or fails as aborted when its signal is
# aborted, as a real slow request would), and everything unexpected on the page is recorded.
SLOW_FIRST_SEARCH = """
window.__slow = "waiting";
window.__errors = [];
window.addEventListener("unhandledrejection", (e) => window.__errors.push(String(e.reason)));
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
const realFetch = window.fetch;
window.fetch = function (input, init) {
  const url = String(input instanceof Request ? input.url : input);
  if (window.__slow !== "waiting" || !url.includes("/api/search")) return realFetch.apply(this, arguments);
  window.__slow = "started:" + new URL(url).searchParams.get("q");
  const signal = init && init.signal;
  return realFetch.apply(this, arguments).then((answer) => new Promise((resolve, reject) => {
    const aborted = () => { window.__slow = "aborted"; reject(new DOMException("The user aborted a request.", "AbortError")); };
    if (signal && signal.aborted) return aborted();
    const timer = setTimeout(() => { window.__slow = "answered"; resolve(answer); }, 1500);
    if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); aborted(); });
  }), (error) => { window.__slow = "aborted"; throw error; });
};
"""


def test_a_slow_older_search_never_replaces_a_newer_one(browser, console_url):
    open_console(browser, console_url)
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    expected = [str(item["section"]) for item in requests.get(
        f"{console_url}/api/search", params={"q": "創業"}, cookies=cookies).json()]
    older = [str(item["section"]) for item in requests.get(
        f"{console_url}/api/search", params={"q": "特許"}, cookies=cookies).json()]
    assert expected and older and expected != older

    browser.execute_script(SLOW_FIRST_SEARCH)
    search = browser.find_element(By.ID, "search")
    search.send_keys("特許")
    WebDriverWait(browser, 5).until(lambda d: d.execute_script("return window.__slow") == "started:特許")
    search.clear()
    search.send_keys("創業")
    WebDriverWait(browser, 10).until(lambda d: listed_sections(d) == expected)
    # the older request ends (cancelled, or answered late); its answer must not replace the newer one's
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.__slow") in ("answered", "aborted"))
    time.sleep(0.5)
    assert listed_sections(browser) == expected
    assert browser.find_element(By.ID, "source").text == "制度の検索結果"  # no error for a cancelled request
    assert browser.execute_script("return window.__errors") == []


def cookies_of(driver):
    return {c["name"]: c["value"] for c in driver.get_cookies()}


def log_out_with_the_keyboard(driver):
    """From the page's title, Tab to the header's 「ログアウト」 button (it must be reachable so) and press Enter."""
    button = driver.find_element(By.CSS_SELECTOR, "header form.logout button")
    assert button.text == "ログアウト"
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    driver.find_element(By.CSS_SELECTOR, "header h1").click()  # the keyboard's starting point: the page's title
    for _ in range(10):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element == button:
            break
    assert driver.switch_to.active_element == button, "the logout button is not in the tab order near the top"
    button.send_keys(Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: "ログアウトしました" in d.page_source)
    assert "/login" in driver.current_url


def test_logout_ends_the_session_on_the_server(browser, console_url):
    open_console(browser, console_url)
    before = cookies_of(browser)
    assert requests.get(f"{console_url}/api/programs/21", cookies=before).status_code == 200
    me = requests.get(f"{console_url}/api/me", cookies=before)  # who is logged in (for a handover)
    assert me.status_code == 200 and me.json() == {"login": CONSOLE_LOGIN, "name": "スタッフ"}
    log_out_with_the_keyboard(browser)
    assert "console_session" not in cookies_of(browser)  # the cookie is cleared...
    # ...and the session ended on the server: the old token opens nothing any more
    refused = requests.get(f"{console_url}/api/programs/21", cookies=before)
    assert refused.status_code == 401 and "ログイン" in refused.json()["error"]
    browser.get(f"{console_url}/")
    assert "/login" in browser.current_url
    assert requests.post(f"{console_url}/logout", allow_redirects=False).status_code == 303  # harmless without one




def client_at(address: str) -> requests.Session:
    """A client whose failed logins lock out its own address only: the browser's tests on the shared console still
    log in, whichever order the tests run in (a browser without a device cookie is judged by its address)."""
    http = requests.Session()
    http.mount("http://", FromAddress(address))
    return http


def test_wrong_passwords_are_rate_limited(console_url):
    with client_at("127.0.0.2") as http:
        statuses = [http.post(f"{console_url}/login", data=form(f"guess{i}"), allow_redirects=False).status_code
                    for i in range(7)]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
        # even the right password waits while the client is locked out
        assert http.post(f"{console_url}/login", data=form(CONSOLE_PASSWORD),
                         allow_redirects=False).status_code == 429


def test_api_needs_a_session(console_url):
    assert requests.get(f"{console_url}/api/search", params={"q": "特許"}).status_code == 401


def test_forwarded_headers_are_not_believed_without_a_trusted_proxy(console_url):
    """The shared console trusts no proxy: a forged X-Forwarded-For per request is still one client."""
    with client_at("127.0.0.3") as http:
        statuses = [http.post(f"{console_url}/login", data=form(f"guess{i}"), allow_redirects=False,
                              headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(7)]
    assert statuses[-2:] == [429, 429], statuses


def test_posts_from_another_site_are_refused(console_url):
    for path in ("/login", "/logout"):
        answer = requests.post(f"{console_url}{path}", data=form(CONSOLE_PASSWORD), allow_redirects=False,
                               headers={"Origin": "https://evil.example"})
        assert answer.status_code == 403 and "受け付けていません" in answer.text
    answer = requests.post(f"{console_url}/api/review/turns/1/mark", json={"mark": "fine"},
                           headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403


# ---- a console of this module's own behind a "proxy" (127.0.0.1 is trusted), sessions idle out after 6 s ----

GUARDED_PORT = 5912 + PORT_OFFSET
IDLE_SECONDS = 6


@pytest.fixture
def guarded_workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("guarded-console")


@pytest.fixture
def guarded_review_url(guarded_workdir):
    """The guarded console's review log, which holds its accounts and sessions."""
    return f"sqlite:///{guarded_workdir / 'review.db'}"


@pytest.fixture
def guarded_console(browser, guarded_workdir, guarded_review_url):
    """A console of each test's own: its lockouts and sessions (a test locks the browser's own address out on
    purpose) never reach another test, in whatever order they run."""
    workdir = guarded_workdir
    command = [sys.executable, "-m", "console", "--port", str(GUARDED_PORT)]
    env = {"KNOWLEDGE_DB_URL": servers.loaded_knowledge(workdir), "CONSOLE_PASSWORD": CONSOLE_PASSWORD,
           "RASA_URL": "", "REVIEW_DB_URL": guarded_review_url, "PYTHONPATH": str(servers.ROOT),
           "CONSOLE_TRUSTED_PROXIES": "127.0.0.1", "CONSOLE_SESSION_IDLE_MINUTES": str(IDLE_SECONDS / 60)}
    url = f"http://127.0.0.1:{GUARDED_PORT}"
    with servers.running([command], [f"{url}/login"], workdir, servers.ROOT, env):
        yield url
        # cookies are per host, not per port: leave none for the other consoles' tests
        browser.get(f"{url}/login")
        browser.delete_all_cookies()


def log_in(driver, url, login: str = CONSOLE_LOGIN, password: str = CONSOLE_PASSWORD):
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "caller")))


def test_a_login_after_five_wrong_passwords_from_another_client_still_works(browser, guarded_console):
    url = guarded_console
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    with requests.Session() as http:
        statuses = [http.post(f"{url}/login", data=form(f"guess{i}"), headers=attacker,
                              allow_redirects=False).status_code for i in range(5)]
        assert statuses == [401] * 5
        locked = http.post(f"{url}/login", data=form(CONSOLE_PASSWORD), headers=attacker,
                           allow_redirects=False)
        assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 30
        assert "秒ほどたってから" in locked.text
    # another client behind the same proxy logs in, over TLS at the proxy: the cookie is Secure
    with requests.Session() as http:
        staff = http.post(f"{url}/login", data=form(CONSOLE_PASSWORD), allow_redirects=False,
                          headers={"X-Forwarded-For": "198.51.100.20", "X-Forwarded-Proto": "https"})
        assert staff.status_code == 303 and staff.headers["Location"] == "/"
        cookie = [c for c in staff.raw.headers.getlist("Set-Cookie") if c.startswith("console_session=")][0]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        token = staff.cookies.get("console_session")
        assert requests.get(f"{url}/api/programs/21", cookies={"console_session": token}).status_code == 200
    # and so does the browser (the proxy's own address, plain HTTP: no Secure flag, or it could not send it back)
    log_in(browser, url)
    session = [c for c in browser.get_cookies() if c["name"] == "console_session"][0]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and not session["secure"]
    # an attacker at the browser's own address locks that address out, not a browser that has logged in before
    with requests.Session() as http:
        statuses = [http.post(f"{url}/login", data=form(f"guess{i}"), allow_redirects=False).status_code
                    for i in range(6)]
        assert statuses == [401] * 5 + [429]
    log_out_with_the_keyboard(browser)
    log_in(browser, url)  # its device cookie: judged on its own failures only


def test_the_review_page_logs_out_and_an_idle_session_ends(browser, guarded_console):
    url = guarded_console
    log_in(browser, url)
    browser.find_element(By.LINK_TEXT, "対話ログの確認").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "queue-title")))
    cookies = cookies_of(browser)
    log_out_with_the_keyboard(browser)
    assert requests.get(f"{url}/api/review/queue", cookies=cookies).status_code == 401
    assert requests.get(f"{url}/api/me", cookies=cookies).status_code == 401
    browser.get(f"{url}/review")
    assert "/login" in browser.current_url

    log_in(browser, url)
    cookies = cookies_of(browser)
    assert requests.get(f"{url}/api/programs/21", cookies=cookies).status_code == 200
    time.sleep(IDLE_SECONDS + 1.5)
    expired = requests.get(f"{url}/api/programs/21", cookies=cookies)
    assert expired.status_code == 401 and "有効期限" in expired.json()["error"]
    log_in(browser, url)
    time.sleep(IDLE_SECONDS + 1.5)
    browser.get(f"{url}/")
    assert "/login" in browser.current_url
    assert "一定時間操作がなかった" in browser.find_element(By.CSS_SELECTOR, ".notice").text


def accounts_cli(review_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.accounts", *args], capture_output=True, text=True,
                          cwd=servers.ROOT, timeout=120, check=True,
                          env={**os.environ, "REVIEW_DB_URL": review_url, "PYTHONIOENCODING": "utf-8"})


def test_a_named_account_logs_in_and_disabling_it_ends_its_session(browser, guarded_console, guarded_review_url):
    """An account added with `python -m console.accounts` logs in at the form; disabled, its open page is sent
    to the login page at its next request, and it cannot log in again."""
    url, review_url = guarded_console, guarded_review_url
    added = accounts_cli(review_url, "add", "tanaka", "--name", "田中", "--generate")
    password = re.search(r"^password \(shown only now\): (\S+)$", added.stdout, re.M).group(1)
    browser.get(f"{url}/login")
    browser.delete_all_cookies()
    log_in(browser, url, "Tanaka", password)  # any case
    cookies = cookies_of(browser)
    assert requests.get(f"{url}/api/me", cookies=cookies).json() == {"login": "tanaka", "name": "田中"}
    assert accounts_cli(review_url, "disable", "tanaka").stdout == "disabled 'tanaka'; 1 session ended\n"
    assert requests.get(f"{url}/api/me", cookies=cookies).status_code == 401
    browser.get(f"{url}/")
    assert "/login" in browser.current_url
    refused = requests.post(f"{url}/login", data=form(password, "tanaka"), allow_redirects=False)
    assert refused.status_code == 401 and "ログイン名またはパスワードが違います" in refused.text
