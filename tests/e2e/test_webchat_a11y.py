"""The web chat against WCAG 2.2 AA, in a real browser: axe-core finds nothing, messages reach screen readers
through a log region one at a time, the focus ring can be seen, the panel reflows at 320 CSS px and at 200 % zoom,
and the whole path works with Tab, Enter and Space alone.

axe-core comes from npm (`scripts/install-axe.sh` puts it in .cache/axe); the tests inject it into the page.
"""
from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from eval.servers import ROOT
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_webchat import BLOCKERS, SUCCESSION, FakeAssistant, cards, fake_reply, wait

AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """
const [tags, done] = arguments;
// target-size (WCAG 2.2, 2.5.8) is off by default in axe 4.10: switched on here.
axe.run(document, {runOnly: {type: 'tag', values: tags}, rules: {'target-size': {enabled: true}},
                   resultTypes: ['violations', 'incomplete']})
  .then((result) => done({
    violations: result.violations.map((v) => ({id: v.id, help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary)})),
    passes: result.passes.map((p) => p.id),
    // what axe could not decide (e.g. text under the open panel, or scrolled out of the log): kept for review
    incomplete: result.incomplete.map((i) => ({id: i.id,
      nodes: i.nodes.map((n) => ({target: n.target.join(' '), why: n.any.map((c) => c.message).join(' ')}))}))}))
  .catch((error) => done({error: String(error)}));"""


@pytest.fixture
def fake():
    server = FakeAssistant(fake_reply)
    yield server
    server.close()


def axe(driver, label: str) -> dict:
    """axe-core's verdict on the page as it is now; the rules that ran are written to artifacts/."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `bash scripts/install-axe.sh`")
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(RUN_AXE, AXE_TAGS)
    assert "error" not in result, result
    (ARTIFACTS / f"axe-{label}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


TEXT_COLORS = """
const el = document.querySelector(arguments[0]);
let node = el, background = null;
for (; node; node = node.parentElement) {
  const color = getComputedStyle(node).backgroundColor;
  if (!/^rgba\\(.*, 0\\)$/.test(color) && color !== 'transparent') { background = color; break; }
}
return {color: getComputedStyle(el).color, background: background || 'rgb(255, 255, 255)'};"""


def assert_no_violations(driver, label: str) -> dict:
    result = axe(driver, label)
    assert result["violations"] == [], json.dumps(result["violations"], ensure_ascii=False, indent=1)
    assert {"color-contrast", "aria-allowed-attr", "button-name", "region", "target-size"} <= set(result["passes"])
    # axe leaves text undecided when the open panel lies over the page's own text (each line of the title has other
    # page elements beneath it): its colours are checked here instead, against its own opaque background.
    for undecided in result["incomplete"]:
        assert undecided["id"] == "color-contrast", undecided
        for node in undecided["nodes"]:
            colors = driver.execute_script(TEXT_COLORS, node["target"])
            assert contrast(colors["color"], colors["background"]) >= 4.5, (node, colors)
    return result


def press(driver, *keys) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def press_back(driver) -> None:
    """Shift+Tab."""
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def focused(driver):
    return driver.switch_to.active_element


def test_axe_finds_nothing_with_the_chat_open_and_with_a_card(page):
    page.load()
    page.open()
    page.greeted()
    assert_no_violations(page.driver, "chat-open")
    page.ask(SUCCESSION, lambda d: cards(d))
    result = assert_no_violations(page.driver, "card")
    assert "landmark-one-main" in result["passes"]


def test_axe_finds_nothing_on_feedback_the_storage_note_the_confirmation_and_a_timeout(page, fake):
    page.before_load(BLOCKERS["full"])  # shows the note that the conversation cannot be kept
    page.configure(serverUrl=fake.url, timeoutMs=1500)
    page.load()
    page.open()
    page.greeted()
    page.ask("事業を引き継ぎたい", lambda d: d.find_elements(By.CSS_SELECTOR, ".ac-feedback"))
    page.driver.find_element(By.CSS_SELECTOR, ".ac-rate[data-rating=up]").click()
    wait(page.driver, lambda d: "ありがとう" in d.find_elements(By.CSS_SELECTOR, ".ac-bot")[-1].text)
    page.settled()
    assert page.driver.find_element(By.CSS_SELECTOR, ".ac-note").is_displayed()
    assert_no_violations(page.driver, "feedback")

    page.driver.find_element(By.CSS_SELECTOR, ".ac-clear").click()
    assert_no_violations(page.driver, "confirm")
    page.driver.find_element(By.CSS_SELECTOR, ".ac-confirm-no").click()

    fake.hang = True
    page.driver.find_element(By.CSS_SELECTOR, ".ac-form textarea").send_keys("もう一度", Keys.ENTER)
    wait(page.driver, lambda d: d.find_element(By.CSS_SELECTOR, ".ac-retry").is_displayed(), timeout=10)
    assert_no_violations(page.driver, "timeout")
    press_back(page.driver)  # from the box, Shift+Tab reaches 再送信 at once
    found = ring(page.driver)
    assert found["name"] == "再送信"
    assert_visible_ring(found)


def test_messages_are_appended_to_a_log_one_node_at_a_time(page):
    page.load()
    page.open()
    page.greeted()
    log = page.driver.find_element(By.CSS_SELECTOR, ".ac-panel [role=log]")
    assert log.get_attribute("aria-live") == "polite" and log.accessible_name == "会話の内容"
    assert page.driver.find_element(By.CSS_SELECTOR, ".ac-panel [role=status]")  # progress and errors, apart
    page.driver.execute_script("""
        const log = document.querySelector('[role=log]');
        window.__before = Array.from(log.children);
        window.__changes = [];
        new MutationObserver((records) => records.forEach((r) => window.__changes.push(
            {onLog: r.target === log, type: r.type, added: r.addedNodes.length, removed: r.removedNodes.length})))
          .observe(log, {childList: true, subtree: true, characterData: true});""")
    before = page.entries()
    page.ask(SUCCESSION, lambda d: cards(d))
    changes = page.driver.execute_script("return window.__changes")
    added = page.entries() - before
    assert added >= 2  # the user's message and at least one answer
    # each message went in as one finished node; nothing was removed or rewritten
    assert changes == [{"onLog": True, "type": "childList", "added": 1, "removed": 0}] * added
    assert page.driver.execute_script(
        "const log = document.querySelector('[role=log]');"
        "return window.__before.every((node, i) => log.children[i] === node)")
    # speakers are named for screen readers; the card is named by its program
    assert page.driver.find_elements(By.CSS_SELECTOR, ".ac-user")[-1].get_attribute("textContent") == \
        "あなた：" + SUCCESSION
    assert page.driver.find_elements(By.CSS_SELECTOR, ".ac-bot")[-1].get_attribute("textContent").startswith(
        "アシスタント：")
    for card in cards(page.driver):
        assert card.accessible_name and card.accessible_name == card.find_element(By.TAG_NAME, "h3").text


FOCUS_STYLE = """
const el = document.activeElement;
const style = getComputedStyle(el);
const offset = parseFloat(style.outlineOffset) || 0;
// What the ring is drawn on: outside the control (offset >= 0) that is the surface around it.
let node = offset < 0 ? el : el.parentElement, background = null;
for (; node; node = node.parentElement) {
  const color = getComputedStyle(node).backgroundColor;
  if (!/^rgba\\(.*, 0\\)$/.test(color) && color !== 'transparent') { background = color; break; }
}
return {name: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 24), inWidget: !!el.closest('.ac-root'),
        style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor,
        background: background || 'rgb(255, 255, 255)'};"""


def luminance(css: str) -> float:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    assert len(numbers) == 3 or numbers[3] == 1, f"not opaque: {css}"

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(n) for n in numbers[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ring(driver) -> dict:
    found = driver.execute_script(FOCUS_STYLE)
    found["contrast"] = round(contrast(found["color"], found["background"]), 2)
    return found


def assert_visible_ring(found: dict) -> None:
    assert found["style"] != "none" and found["width"] >= 2, found
    assert found["contrast"] >= 3, found


def test_the_focus_ring_has_at_least_3_to_1_contrast(page):
    page.load()
    page.open()
    page.greeted()
    page.ask(SUCCESSION, lambda d: cards(d))
    page.driver.execute_script("document.querySelector('nav a:last-of-type').focus()")
    rings = []
    for _ in range(80):  # Tab through the whole widget: every stop shows a ring that can be seen
        press(page.driver, Keys.TAB)
        found = ring(page.driver)
        if not found["inWidget"]:
            if rings:
                break
            continue
        rings.append(found)
    names = {r["name"] for r in rings}
    assert {"相談する", "会話を消去", "閉じる", "会話の内容", "メッセージ", "送信"} <= names, names
    assert any(n.startswith("017-") for n in names) and any("@" in n for n in names), names  # tel: and mailto:

    # the confirmation's buttons (opened from the keyboard, so focus stays visible)
    clear = page.driver.find_element(By.CSS_SELECTOR, ".ac-clear")
    while focused(page.driver) != clear:
        press_back(page.driver)
    press(page.driver, Keys.ENTER)
    rings.append(ring(page.driver))
    press_back(page.driver)
    rings.append(ring(page.driver))
    assert [r["name"] for r in rings[-2:]] == ["キャンセル", "消去する"]
    press(page.driver, Keys.ESCAPE)

    (ARTIFACTS / "focus-rings.json").write_text(json.dumps(rings, ensure_ascii=False, indent=1), encoding="utf-8")
    for found in rings:
        assert_visible_ring(found)


REFLOW = """
// the viewport less a scrollbar, if the page shows one
const vw = document.documentElement.clientWidth, vh = window.innerHeight, problems = [];
const describe = (el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
  + ' "' + (el.getAttribute('aria-label') || el.textContent.trim().slice(0, 20)) + '"';
if (document.documentElement.scrollWidth > vw) problems.push('the page scrolls sideways');
const panel = document.querySelector('.ac-panel');
const visible = (el) => !el.closest('.ac-sr') && !el.closest('[hidden]') && el.getClientRects().length;
if (visible(panel)) {
  for (const el of [panel, ...panel.querySelectorAll('*')]) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.right > vw + 0.5) problems.push(describe(el) + ' sticks out: ' + r.left + '..' + r.right);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
      problems.push(describe(el) + ' is cut off or scrolls sideways');
  }
  // what must always be there: the title, the controls, the box and the send button, whole and on screen
  for (const el of panel.querySelectorAll('.ac-head h2, .ac-head button, .ac-form textarea, .ac-send')) {
    const r = el.getBoundingClientRect();
    if (r.top < -0.5 || r.bottom > vh + 0.5 || r.left < -0.5 || r.right > vw + 0.5)
      problems.push(describe(el) + ' is not fully on screen');
  }
  const log = panel.querySelector('[role=log]');
  if (log.clientHeight < 100) problems.push('the log is only ' + log.clientHeight + 'px high');
} else {
  const r = document.querySelector('.ac-launcher').getBoundingClientRect();
  if (r.left < 0 || r.right > vw || r.bottom > vh) problems.push('the launcher is not fully on screen');
}
return {problems, width: window.innerWidth, height: vh, scale: window.devicePixelRatio};"""


def reflow(driver) -> dict:
    return driver.execute_script(REFLOW)


def set_screen(page, screen: str) -> None:
    """320 px: a phone-sized window (WCAG's reflow width). 200 %: what a 1280×900 window shows at 200 % browser
    zoom, emulated exactly as the browser does it: a 640×450 CSS px viewport drawn at 2 device pixels per CSS px,
    so media queries, vw/vh and position:fixed all see what they would see zoomed. (`body.style.zoom` would not:
    it scales the page inside an unchanged 1280 px viewport.)"""
    if screen == "320px":
        page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": False})
    else:
        page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 640, "height": 450, "deviceScaleFactor": 2, "mobile": False})


@pytest.mark.parametrize("screen", ["320px", "200%"])
def test_the_chat_reflows_at_320px_and_at_200_percent_zoom(page, screen):
    page.load()
    set_screen(page, screen)
    page.load(fresh=False)
    shown = reflow(page.driver)
    expected = {"320px": (320, 640, 1), "200%": (640, 450, 2)}[screen]
    assert (shown["width"], shown["height"], shown["scale"]) == expected
    assert shown["problems"] == [], shown  # the launcher, with the chat closed
    page.open()
    page.greeted()
    page.ask(SUCCESSION, lambda d: any("hikitsugi@21aomori.or.jp" in c.text for c in cards(d)))
    page.driver.find_element(By.CSS_SELECTOR, ".ac-clear").click()  # the longest header
    shown = reflow(page.driver)
    page.driver.save_screenshot(str(ARTIFACTS / f"webchat-reflow-{screen.replace('%', 'pct')}.png"))
    assert shown["problems"] == [], shown
    # the newest card can be scrolled to and read whole
    page.driver.execute_script("document.querySelector('.ac-card:last-of-type').scrollIntoView()")
    assert reflow(page.driver)["problems"] == []


def test_keyboard_only_launcher_greeting_question_answer_and_feedback(page):
    """Tab, Shift+Tab, Enter, Space and typed text only: from the launcher to a rated answer and its thanks."""
    page.load()
    page.record_fetch()
    driver = page.driver
    for _ in range(10):
        press(driver, Keys.TAB)
        if "ac-launcher" in focused(driver).get_attribute("class"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    press(driver, Keys.ENTER)
    assert focused(driver).get_attribute("aria-label") == "メッセージ"  # the box has focus at once
    page.greeted()
    press(driver, SUCCESSION)
    press(driver, Keys.ENTER)
    wait(driver, lambda d: cards(d) and d.find_elements(By.CSS_SELECTOR, ".ac-feedback"))
    page.settled()

    for _ in range(30):  # back from the box: the newest answer's rating buttons come first
        press_back(driver)
        if focused(driver).accessible_name == "役に立った":
            break
    else:
        pytest.fail("the 👍 button cannot be reached with Tab")
    bots = len(driver.find_elements(By.CSS_SELECTOR, ".ac-bot"))
    press(driver, Keys.SPACE)
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".ac-bot")) > bots)
    page.settled()
    assert focused(driver).get_attribute("aria-pressed") == "true"  # focus stays on the button
    assert json.loads(page.posts()[-1]["body"]["message"][len("/feedback"):])["rating"] == "up"
    assert "ありがとう" in driver.find_elements(By.CSS_SELECTOR, ".ac-bot")[-1].text

    press(driver, Keys.TAB)  # 👎, with Enter: the choice changes
    assert focused(driver).accessible_name == "役に立たなかった"
    bots = len(driver.find_elements(By.CSS_SELECTOR, ".ac-bot"))
    press(driver, Keys.ENTER)
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".ac-bot")) > bots)
    page.settled()
    assert json.loads(page.posts()[-1]["body"]["message"][len("/feedback"):])["rating"] == "down"
    assert [b.get_attribute("aria-pressed") for b in driver.find_elements(By.CSS_SELECTOR, ".ac-feedback button")] \
        [-2:] == ["false", "true"]
