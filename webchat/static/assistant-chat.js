/*
 * Aomori business-support chat: embed with one script tag and a config object.
 *
 *   <script>window.aomoriChatConfig = {serverUrl: "https://assistant.example.jp", title: "相談アシスタント"};</script>
 *   <script src="https://assistant.example.jp/chat/assistant-chat.js" defer></script>
 *
 * Config keys: serverUrl, title, storageKey (localStorage key) and timeoutMs (how long a reply may take before the
 * request is abandoned and a retry button offered; 20 s by default).
 *
 * Talks to Rasa's REST channel and renders the reply contract: text, buttons (tappable choices) and
 * custom.programs (cards with tel:/mailto: links). When the turn's custom message carries a `turn` id, the answer
 * gets a 「役に立ちましたか？」 row (👍 役に立った / 👎 役に立たなかった, aria-pressed) that posts
 * /feedback{"turn":…,"rating":"up"|"down"} for the same sender, with no user bubble; the choice is saved.
 * Everything is written with textContent or as attributes on created elements: nothing from a reply or from the
 * user is ever parsed as HTML.
 *
 * Accessibility (WCAG 2.2 AA): the conversation is a role="log" live region to which each message is appended as
 * one finished node (the log is never re-rendered); speakers are named for screen readers; every control is a
 * real button with a name; the focus ring has at least 3:1 contrast; the panel reflows down to 320 CSS px.
 *
 * A message refused for coming too fast (HTTP 429) is not lost: the server's notice (its own polite words, from the
 * reply body) is announced in the status region, as other failures are, with the 「再送信」 button for that message.
 *
 * The conversation (sender id, messages, feedback given) is kept in localStorage so it survives page reloads. When
 * storage is blocked or full the chat keeps working in memory and says that the conversation will not be kept.
 *
 * A person (handover): a reply whose custom.handover says "queued" or "connected" means a staff member has, or will
 * take, the conversation. The widget then opens an EventSource on the REST channel's /webhooks/rest/events (server-
 * sent events; bot/channels/events.py) and shows what staff write as it arrives, without the user sending anything:
 * their text (as text, like everything else) under their name, and program cards as the assistant's are drawn. The
 * state is shown in Japanese in a status line above the log (place in line and expected wait; who answers) and, when
 * it changes, in the log (also "ended", and "unavailable" with the next staffed time). The state and the id of the
 * last event shown are kept with the conversation, so a reload reopens the stream where it stopped; the browser
 * reconnects a broken stream by itself from the same id. The stream is closed when the handover ends.
 */
(function () {
  "use strict";
  var DEFAULTS = { serverUrl: "http://127.0.0.1:5005", title: "相談アシスタント", storageKey: "aomori-chat",
    timeoutMs: 20000 };
  var config = Object.assign({}, DEFAULTS, window.aomoriChatConfig || {});
  var timeoutMs = Number(config.timeoutMs) > 0 ? Number(config.timeoutMs) : DEFAULTS.timeoutMs;
  var server = String(config.serverUrl).replace(/\/+$/, "");
  var endpoint = server + "/webhooks/rest/webhook";
  var eventsEndpoint = server + "/webhooks/rest/events";
  var MAX_ENTRIES = 200;

  var TEXT = {
    waiting: "回答を作成しています…",
    busy: "ただいま回答を作成しています。表示されるまで少しお待ちください。",
    timeout: "回答に時間がかかっているため、いったん中断しました。お手数ですが、「再送信」を押してもう一度お試しください。",
    failed: "接続できませんでした。通信状態をご確認のうえ、「再送信」を押してもう一度お試しください。",
    noStorage: "このブラウザーでは会話を保存できないため、ページを閉じたり移動したりすると会話の内容は消えます。",
    cleared: "会話を消去しました。",
    placeholder: "お困りごとを入力（Enterで送信、Shift+Enterで改行）",
    placeholderStaff: "担当者へのメッセージを入力（Enterで送信、Shift+Enterで改行）"
  };

  // custom.handover (handover/contract.py), in the same words as the server's own texts.
  var WEEKDAYS = "日月火水木金土";
  function waitMinutes(seconds) { return Math.max(1, Math.ceil((Number(seconds) || 0) / 60)); }
  function japanTime(iso) {
    var ms = Date.parse(iso);
    if (isNaN(ms)) return "";
    var t = new Date(ms + 9 * 3600 * 1000);  // Japan time (no daylight saving), read with the UTC getters
    var minutes = ("0" + t.getUTCMinutes()).slice(-2);
    return (t.getUTCMonth() + 1) + "月" + t.getUTCDate() + "日（" + WEEKDAYS[t.getUTCDay()] + "）" + t.getUTCHours() +
      "時" + minutes + "分";
  }
  var HANDOVER = {
    queued: function (h) {
      return "担当者におつなぎするまでお待ちください。現在" + h.position + "番目で、待ち時間の目安は約" +
        waitMinutes(h.wait_seconds) + "分です。";
    },
    connected: function (h) { return "担当の" + h.staff + "がお話を伺います。ご用件をお書きください。"; },
    ended: function () { return "担当者との会話を終了しました。ここからは再びアシスタントがお答えします。"; },
    unavailable: function (h) {
      var when = japanTime(h.next_staffed);
      return "ただいま担当者におつなぎできません。" + (when ? "次に担当者が対応できるのは" + when + "からです。" : "") +
        (h.callback ? "折り返しのご連絡をご希望でしたら、お知らせください。" : "");
    }
  };
  var HANDOVER_LINE = {  // the status line above the log, while a person has or will take the conversation
    queued: function (h) {
      return "担当者の順番待ち：" + h.position + "番目（目安 約" + waitMinutes(h.wait_seconds) + "分）";
    },
    connected: function (h) { return "担当者（" + h.staff + "）が対応しています"; }
  };
  function handoverOf(custom) {
    var h = custom && typeof custom === "object" ? custom.handover : null;
    return h && typeof h === "object" && HANDOVER.hasOwnProperty(h.state) ? h : null;
  }
  function isActive(h) { return !!h && (h.state === "queued" || h.state === "connected"); }

  /* ---- storage: every access guarded, the chat works in memory when it fails ---- */

  var storage = (function () {
    try { return window.localStorage || null; } catch (e) { return null; }  // the getter itself throws when blocked
  })();
  var storageWorks = !!storage;

  function newState() {
    return { sender: "web-" + Math.random().toString(36).slice(2) + Date.now().toString(36), entries: [],
      open: false, handover: null, lastEventId: 0 };
  }

  function readSaved() {
    if (!storage) return null;
    var raw;
    try { raw = storage.getItem(config.storageKey); } catch (e) { storageWorks = false; return null; }
    try {
      var saved = JSON.parse(raw);
      if (saved && typeof saved.sender === "string" && Array.isArray(saved.entries)) {
        saved.handover = isActive(saved.handover) ? saved.handover : null;
        saved.lastEventId = Number(saved.lastEventId) > 0 ? Number(saved.lastEventId) : 0;
        return saved;
      }
    } catch (e) { /* a damaged saved conversation is simply not restored */ }
    return null;
  }

  function writeSaved(entries) {
    storage.setItem(config.storageKey, JSON.stringify({ sender: state.sender, open: state.open, entries: entries,
      handover: state.handover, lastEventId: state.lastEventId }));
  }

  function save() {
    state.entries = state.entries.slice(-MAX_ENTRIES);
    var ok = false;
    if (storage) {
      try { writeSaved(state.entries); ok = true; } catch (e) {
        // Full: keep at least the latest part of the conversation; blocked: this throws again.
        try { writeSaved(state.entries.slice(-20)); ok = true; } catch (e2) { ok = false; }
      }
    }
    storageWorks = ok;
    note.hidden = ok;
  }

  function forget() {
    if (!storage) return;
    try { storage.removeItem(config.storageKey); } catch (e) { /* nothing was kept anyway */ }
  }

  /* ---- DOM helpers ---- */

  var ids = 0;
  function uid(name) { ids += 1; return "aomori-chat-" + name + "-" + ids; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(cls, text, label) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    return b;
  }

  /* ---- styles ---- */
  // Focus ring: #b45309 is 5.0:1 on white and 4.6:1 on the log's #f4f6f9; on the dark blue header #ffd75e is
  // 6.9:1. The ring sits 2px outside the control, on the surface around it.

  var style = el("style");
  style.textContent = [
    ".ac-root{font:14px/1.6 sans-serif;color:#1a1a1a}",
    ".ac-root *,.ac-root *::before,.ac-root *::after{box-sizing:border-box}",
    ".ac-sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;",
    "clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}",
    ".ac-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "background:#00467f;color:#fff;padding:14px 20px;font:bold 15px sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3);",
    "cursor:pointer;min-height:44px}",
    ".ac-root button:focus-visible,.ac-root textarea:focus-visible,.ac-root a:focus-visible{",
    "outline:3px solid #b45309;outline-offset:2px}",
    ".ac-root .ac-head button:focus-visible{outline-color:#ffd75e}",
    ".ac-root .ac-log:focus-visible{outline:3px solid #b45309;outline-offset:-3px}",
    ".ac-panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:380px;max-width:calc(100vw - 24px);",
    "height:560px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;",
    "border-radius:12px;box-shadow:0 4px 20px rgba(0,0,0,.3);overflow:hidden}",
    ".ac-panel[hidden],.ac-root [hidden]{display:none!important}",
    ".ac-head{background:#00467f;color:#fff;padding:6px 8px 6px 12px;display:flex;flex-wrap:wrap;",
    "align-items:center;gap:4px 8px}",
    ".ac-head h2{font-size:15px;line-height:1.4;margin:0;flex:1 1 10em;min-width:0;overflow-wrap:anywhere}",
    ".ac-tools{display:flex;gap:6px;align-items:center;margin-left:auto}",
    ".ac-clear{background:none;border:1px solid #fff;color:#fff;border-radius:6px;padding:2px 8px;",
    "font:inherit;font-size:13px;min-height:32px;cursor:pointer}",
    ".ac-close{background:none;border:0;color:#fff;font-size:22px;line-height:1;min-width:36px;min-height:36px;",
    "cursor:pointer}",
    ".ac-note{margin:0;padding:6px 12px;background:#fff8e1;border-bottom:1px solid #e0c36b;font-size:13px}",
    ".ac-confirm{padding:8px 12px;background:#fff8e1;border-bottom:1px solid #e0c36b}",
    ".ac-confirm p{margin:0 0 6px}.ac-confirm-actions{display:flex;flex-wrap:wrap;gap:8px}",
    ".ac-confirm button,.ac-retry{border:1px solid #00467f;background:#fff;color:#00467f;border-radius:6px;",
    "padding:4px 12px;min-height:36px;font:inherit;cursor:pointer}",
    ".ac-confirm .ac-confirm-yes{background:#a4262c;border-color:#a4262c;color:#fff}",
    ".ac-log{flex:1;min-height:0;overflow-y:auto;overflow-x:hidden;padding:10px;background:#f4f6f9;position:relative}",
    ".ac-entry{margin:6px 0}",
    ".ac-msg{max-width:85%;width:fit-content;padding:8px 10px;border-radius:10px;white-space:pre-wrap;",
    "overflow-wrap:anywhere}",
    ".ac-bot{background:#fff;border:1px solid #c5c9d6}.ac-user{background:#00467f;color:#fff;margin-left:auto}",
    ".ac-staff{background:#fff;border:2px solid #1f6f43}.ac-who{display:block;font-size:12px;color:#1f6f43;",
    "font-weight:bold;margin:0 0 2px}",
    ".ac-system{max-width:100%;margin:8px auto;padding:6px 10px;background:#eef1f5;border:1px dashed #767676;",
    "border-radius:8px;font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".ac-handover{margin:0;padding:6px 12px;background:#e8f3ec;border-bottom:1px solid #1f6f43;font-size:13px;",
    "color:#1a1a1a}",
    ".ac-buttons{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 0}",
    ".ac-buttons button{border:1px solid #00467f;background:#fff;color:#00467f;border-radius:18px;padding:4px 12px;",
    "min-height:36px;font:inherit;text-align:left;max-width:100%;overflow-wrap:anywhere;cursor:pointer}",
    ".ac-card{background:#fff;border:1px solid #00467f;border-left:5px solid #00467f;border-radius:8px;",
    "padding:8px 10px;margin:6px 0;overflow-wrap:anywhere}",
    ".ac-card h3{font-size:14px;margin:0 0 4px}.ac-card p{margin:2px 0}.ac-card a{color:#00467f;font-weight:bold}",
    ".ac-feedback{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:4px 0 0}",
    ".ac-rate{display:inline-flex;align-items:center;gap:4px;border:1px solid #00467f;background:#fff;",
    "color:#00467f;border-radius:18px;min-height:44px;font:inherit;padding:4px 12px;cursor:pointer}",
    ".ac-rate-icon{font-size:18px;line-height:1}",
    ".ac-rate[aria-pressed=true]{background:#dbe9f6;border-width:3px}",
    ".ac-statusbar{padding:0 10px;display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px}",
    ".ac-status{font-size:13px;color:#595959}",
    ".ac-retry{margin:4px 0}",
    ".ac-form{display:flex;gap:6px;padding:8px;border-top:1px solid #c5c9d6}",
    ".ac-form textarea{flex:1;min-width:0;resize:none;font:inherit;padding:6px;border:1px solid #767676;",
    "border-radius:6px;color:#1a1a1a;background:#fff}",
    ".ac-form textarea::placeholder{color:#6b6b6b}",
    ".ac-send{background:#00467f;color:#fff;border:0;border-radius:6px;padding:0 14px;min-height:44px;",
    "font:inherit;cursor:pointer}",
    ".ac-send[aria-disabled=true]{cursor:progress}",
    // Phones, and desktops zoomed to 200 % or more (a 1280×900 window becomes 640×450 CSS px): full screen.
    "@media (max-width:480px),(max-height:500px){.ac-panel{right:0;bottom:0;width:100%;max-width:100%;",
    "height:100%;max-height:100%;border-radius:0}.ac-root.ac-is-open .ac-launcher{display:none}.ac-msg{max-width:92%}}"
  ].join("");
  document.head.appendChild(style);

  /* ---- the widget ---- */

  var root = el("aside", "ac-root");
  root.lang = "ja";
  root.setAttribute("aria-label", "相談チャット");

  var launcher = el("button", "ac-launcher", "相談する");
  launcher.type = "button";
  var panelId = uid("panel");
  launcher.setAttribute("aria-controls", panelId);
  launcher.setAttribute("aria-expanded", "false");

  var panel = el("section", "ac-panel");
  panel.id = panelId;
  panel.setAttribute("role", "dialog");
  var titleId = uid("title");
  panel.setAttribute("aria-labelledby", titleId);
  panel.hidden = true;

  var head = el("div", "ac-head");
  var title = el("h2", null, config.title);
  title.id = titleId;
  var clearButton = button("ac-clear", "会話を消去");
  clearButton.setAttribute("aria-expanded", "false");
  var close = button("ac-close", "×", "閉じる");
  var tools = el("div", "ac-tools");
  tools.append(clearButton, close);
  head.append(title, tools);

  var confirmBox = el("div", "ac-confirm");
  var confirmId = uid("confirm");
  confirmBox.id = confirmId;
  confirmBox.setAttribute("role", "group");
  var confirmText = el("p", null, "これまでの会話をすべて消去します。よろしいですか？");
  confirmText.id = uid("confirm-text");
  confirmBox.setAttribute("aria-labelledby", confirmText.id);
  var confirmYes = button("ac-confirm-yes", "消去する");
  var confirmNo = button("ac-confirm-no", "キャンセル");
  var confirmActions = el("div", "ac-confirm-actions");
  confirmActions.append(confirmYes, confirmNo);
  confirmBox.append(confirmText, confirmActions);
  confirmBox.hidden = true;
  clearButton.setAttribute("aria-controls", confirmId);

  var note = el("p", "ac-note", TEXT.noStorage);
  note.hidden = true;

  // While a person has or will take the conversation: who, or the place in line (announced politely).
  var handoverLine = el("p", "ac-handover");
  handoverLine.setAttribute("aria-live", "polite");  // the panel's one role=status stays the status bar
  handoverLine.hidden = true;

  var log = el("div", "ac-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "会話の内容");
  log.tabIndex = 0;  // scrollable with the keyboard even when it holds no buttons

  var statusbar = el("div", "ac-statusbar");
  var status = el("div", "ac-status");
  status.setAttribute("role", "status");
  var retry = button("ac-retry", "再送信");
  retry.hidden = true;
  statusbar.append(status, retry);

  var form = el("form", "ac-form");
  var input = el("textarea");
  input.rows = 2;
  input.maxLength = 1000;
  input.setAttribute("aria-label", "メッセージ");
  input.placeholder = TEXT.placeholder;
  var send = el("button", "ac-send", "送信");
  send.type = "submit";
  form.append(input, send);
  panel.append(head, confirmBox, note, handoverLine, log, statusbar, form);
  root.append(launcher, panel);

  /* ---- rendering: one finished node per entry ---- */

  function digits(phone) { return String(phone).replace(/[^0-9+]/g, ""); }

  function card(program) {
    var box = el("article", "ac-card");
    var name = el("h3", null, program.name);
    name.id = uid("card");
    box.setAttribute("aria-labelledby", name.id);
    box.append(name);
    if (program.desk) box.append(el("p", null, program.desk));
    if (program.phone) {
      var p = el("p", null, "電話 ");
      var a = el("a", null, program.phone);
      a.href = "tel:" + digits(program.phone);
      p.append(a);
      box.append(p);
    }
    if (program.email) {
      var pm = el("p", null, "メール ");
      var m = el("a", null, program.email);
      m.href = "mailto:" + program.email;
      pm.append(m);
      box.append(pm);
    }
    if (program.hours) box.append(el("p", null, "受付 " + program.hours));
    if (program.cost) box.append(el("p", null, "費用 " + program.cost));
    return box;
  }

  var RATINGS = [["up", "👍", "役に立った"], ["down", "👎", "役に立たなかった"]];

  function feedback(entry) {
    var group = el("div", "ac-feedback");
    group.setAttribute("role", "group");
    var question = el("span", null, "役に立ちましたか？");
    question.id = uid("feedback");
    group.setAttribute("aria-labelledby", question.id);
    group.append(question);
    var buttons = RATINGS.map(function (choice) {
      // The words are shown, not only the emoji: they are the button's name, read the same by everyone, and
      // they remain when a device has no emoji font.
      var b = button("ac-rate");
      var icon = el("span", "ac-rate-icon", choice[1]);
      icon.setAttribute("aria-hidden", "true");
      b.append(icon, el("span", null, choice[2]));
      b.setAttribute("data-rating", choice[0]);
      b.setAttribute("aria-pressed", String(entry.rating === choice[0]));
      b.addEventListener("click", function () { rate(entry, choice[0], buttons); });
      group.append(b);
      return b;
    });
    return group;
  }

  function bubble(cls, speaker, text) {
    var node = el("div", "ac-msg " + cls);
    node.append(el("span", "ac-sr", speaker), document.createTextNode(text));
    return node;
  }

  function staffBubble(entry) {
    var name = entry.staff ? String(entry.staff) : "";
    var node = el("div", "ac-msg ac-staff");
    var who = el("span", "ac-who", name ? "担当者（" + name + "）" : "担当者");
    node.append(who, el("span", "ac-sr", "："), document.createTextNode(entry.text));
    return node;
  }

  function entryNode(entry) {
    var node = el("div", "ac-entry");
    if (entry.from === "user") {
      node.append(bubble("ac-user", "あなた：", entry.text));
      return node;
    }
    if (entry.from === "system") {
      var notice = el("p", "ac-system");
      notice.append(el("span", "ac-sr", "お知らせ："), document.createTextNode(entry.text));
      node.append(notice);
    } else if (entry.from === "staff") {
      if (entry.text) node.append(staffBubble(entry));
      else node.append(el("span", "ac-who", entry.staff ? "担当者（" + entry.staff + "）" : "担当者"));
    } else if (entry.text) node.append(bubble("ac-bot", "アシスタント：", entry.text));
    (entry.programs || []).forEach(function (program) { node.append(card(program)); });
    if (entry.buttons && entry.buttons.length) {
      var row = el("div", "ac-buttons");
      entry.buttons.forEach(function (b) {
        var choice = button(null, b.title);
        choice.addEventListener("click", function () { choose(b); });
        row.append(choice);
      });
      node.append(row);
    }
    if (entry.turn) node.append(feedback(entry));
    return node;
  }

  function show(entry) {
    var node = entryNode(entry);  // built completely before it enters the live region
    log.appendChild(node);
    // A long answer is shown from its start; a short one simply brings the log to its end.
    log.scrollTop = node.offsetHeight > log.clientHeight ? node.offsetTop - 8 : log.scrollHeight;
  }

  function add(entry) { state.entries.push(entry); save(); show(entry); }

  /* ---- talking to the server ---- */

  var busy = false;
  var generation = 0;  // bumped when the conversation is cleared: late replies of the old one are dropped
  var failed = null;   // the message whose request failed, for the retry button

  function setStatus(text) { status.textContent = text; }

  function setBusy(value) {
    busy = value;
    if (value) send.setAttribute("aria-disabled", "true"); else send.removeAttribute("aria-disabled");
  }

  // The text of a reply (a list of messages), e.g. the notice that comes with a 429.
  function textOf(messages) {
    if (!Array.isArray(messages)) return "";
    return messages.filter(function (m) { return m && typeof m.text === "string" && m.text; })
      .map(function (m) { return m.text; }).join("\n");
  }

  function showReply(messages) {
    if (!Array.isArray(messages)) messages = [];
    var customs = messages.filter(function (m) { return m && m.custom && typeof m.custom === "object"; })
      .map(function (m) { return m.custom; });
    // The contract: at most one non-empty custom.programs per turn; like LINE, the first one is shown.
    var withPrograms = customs.filter(function (c) { return Array.isArray(c.programs) && c.programs.length; })[0];
    var withTurn = customs.filter(function (c) {
      return (typeof c.turn === "string" && c.turn) || typeof c.turn === "number";
    })[0];
    // Whether the assistant said something in words this turn. Rasa sends an action's text and its custom payload
    // as two messages, so a handover state without text of its own comes after the words that already tell it
    // (「担当者におつなぎします。ただいま1番目で…」): it is kept and shown in the status line, not said twice in the log.
    var worded = messages.some(function (m) { return m && typeof m.text === "string" && m.text; });
    var entries = [];
    messages.forEach(function (m) {
      var h = m ? handoverOf(m.custom) : null;
      if (h) {  // a person has, will take, or no longer has the conversation
        var notice = handoverNotice(h, m.text);
        if (notice && (m.text || !worded || (m.buttons && m.buttons.length))) {
          notice.buttons = m.buttons || [];
          entries.push(notice);
        }
        return;
      }
      if (m && (m.text || (m.buttons && m.buttons.length))) {
        entries.push({ from: "bot", text: m.text || "", buttons: m.buttons || [] });
      }
    });
    if (withPrograms) entries.push({ from: "bot", programs: withPrograms.programs });
    // Feedback goes under the answer: the cards when there are any, otherwise the turn's last message.
    if (withTurn && entries.length) entries[entries.length - 1].turn = String(withTurn.turn);
    entries.forEach(add);
  }

  // quiet: the greeting after clearing, which must not wipe 「会話を消去しました」 before it is read (or announced)
  function request(message, quiet) {
    var mine = generation;
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = null;
    var timedOut = false;
    setBusy(true);
    failed = null;
    retry.hidden = true;
    if (!quiet) setStatus(TEXT.waiting);
    var limit = new Promise(function (resolve, reject) {
      timer = setTimeout(function () {
        timedOut = true;
        if (controller) controller.abort();
        reject(new Error("timeout"));
      }, timeoutMs);
    });
    var notice = null;  // the server's own words when it refuses (429: too many messages in a short time)
    var call = fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: message }),
      signal: controller ? controller.signal : undefined })
      .then(function (r) {
        if (r.status === 429) {
          return r.json().catch(function () { return []; }).then(function (messages) {
            notice = textOf(messages) || null;
            throw new Error("HTTP 429");
          });
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
    function finish() {
      clearTimeout(timer);
      if (mine === generation) setBusy(false);
    }
    return Promise.race([call, limit]).then(function (messages) {
      if (mine !== generation) return;
      if (!quiet) setStatus("");
      showReply(messages);
    }, function () {
      if (mine !== generation) return;
      failed = message;
      setStatus(timedOut ? TEXT.timeout : notice || TEXT.failed);
      retry.hidden = false;
    }).then(finish, finish);
  }

  function refuseWhileBusy() {
    if (!busy) return false;
    setStatus(TEXT.busy);
    return true;
  }

  function choose(b) {
    if (refuseWhileBusy()) return;
    add({ from: "user", text: b.title });
    request(b.payload);
  }

  function rate(entry, rating, buttons) {
    if (entry.rating === rating || refuseWhileBusy()) return;
    entry.rating = rating;
    buttons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-rating") === rating));
    });
    save();
    // No user bubble: the thanks that comes back is shown like any other answer.
    request("/feedback" + JSON.stringify({ turn: entry.turn, rating: rating }));
  }

  function submit() {
    var text = input.value.trim();
    if (!text || refuseWhileBusy()) return;
    input.value = "";
    add({ from: "user", text: text });
    request(text);
  }

  function greetIfEmpty() {
    if (!state.entries.length && !busy && failed === null) request("/greet");
  }

  /* ---- a person: the handover's state and the stream of what staff write ---- */

  var stream = null;       // the EventSource while a person has, or will take, the conversation
  var reopenTimer = null;  // reopens a stream the server refused or closed for good, while it is still needed

  function showHandover() {
    var h = state.handover;
    handoverLine.hidden = !isActive(h);
    handoverLine.textContent = isActive(h) ? HANDOVER_LINE[h.state](h) : "";
    input.placeholder = isActive(h) && h.state === "connected" ? TEXT.placeholderStaff : TEXT.placeholder;
  }

  // The new state h: remembered, shown in the status line, and the entry for the log when it is news (a new state,
  // or a new place in line), else null. text: the server's words for it, when it sent any.
  function handoverNotice(h, text) {
    var before = state.handover;
    var news = !before || before.state !== h.state || (h.state === "queued" && before.position !== h.position);
    state.handover = isActive(h) ? h : null;
    save();
    showHandover();
    if (isActive(h)) openStream(); else closeStream();
    if (!news) return null;
    return { from: "system", text: text || HANDOVER[h.state](h) };
  }

  function onStreamMessage(e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    var id = Number(data && data.id);
    if (!(id > state.lastEventId)) return;  // shown already (a reconnect may repeat the last one)
    state.lastEventId = id;
    var custom = data.custom && typeof data.custom === "object" ? data.custom : {};
    var programs = Array.isArray(custom.programs) ? custom.programs : [];
    var h = handoverOf(custom);
    var entry = null;
    if (data.author === "staff") {
      entry = { from: "staff", staff: typeof data.staff === "string" ? data.staff : "",
        text: typeof data.text === "string" ? data.text : "", programs: programs };
      if (!entry.text && !programs.length) entry = null;
    } else if (h) {
      entry = handoverNotice(h, typeof data.text === "string" ? data.text : "");
      if (entry && programs.length) entry.programs = programs;
    } else if (typeof data.text === "string" && data.text) {
      entry = { from: "system", text: data.text, programs: programs };
    }
    if (entry) add(entry); else save();
  }

  function openStream() {
    if (stream || typeof EventSource !== "function") return;
    clearTimeout(reopenTimer);
    var url = eventsEndpoint + "?sender=" + encodeURIComponent(state.sender) + "&after=" + state.lastEventId;
    var mine = stream = new EventSource(url);
    mine.addEventListener("message", onStreamMessage);
    mine.addEventListener("idle", function () {
      // Nothing more will come: no person has, or will take, the conversation any longer.
      if (isActive(state.handover)) { state.handover = null; save(); showHandover(); }
      closeStream();
    });
    mine.addEventListener("error", function () {
      // A broken connection is retried by the browser itself (with the last id); a refusal closes the source.
      if (mine.readyState !== 2 || stream !== mine) return;
      stream = null;
      if (isActive(state.handover)) reopenTimer = setTimeout(openStream, 10000);
    });
  }

  function closeStream() {
    clearTimeout(reopenTimer);
    if (stream) stream.close();
    stream = null;
  }

  /* ---- opening, closing, clearing ---- */

  function setOpen(open) {
    state.open = open;
    save();
    panel.hidden = !open;
    root.classList.toggle("ac-is-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      input.focus();
      greetIfEmpty();
    } else {
      hideConfirm();
      launcher.focus();
    }
  }

  function hideConfirm() {
    confirmBox.hidden = true;
    clearButton.setAttribute("aria-expanded", "false");
  }

  function clearConversation() {
    generation += 1;
    setBusy(false);
    failed = null;
    retry.hidden = true;
    forget();
    closeStream();
    state = newState();
    state.open = true;
    showHandover();
    while (log.firstChild) log.removeChild(log.firstChild);
    hideConfirm();
    save();
    setStatus(TEXT.cleared);
    input.focus();
    request("/greet", true);
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  input.addEventListener("keydown", function (e) {
    // Enter that confirms a Japanese IME conversion must not send: isComposing (and keyCode 229 on
    // older browsers) says the key belongs to the IME.
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    submit();
  });
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  close.addEventListener("click", function () { setOpen(false); });
  clearButton.addEventListener("click", function () {
    confirmBox.hidden = false;
    clearButton.setAttribute("aria-expanded", "true");
    confirmNo.focus();  // the safe choice has focus
  });
  confirmNo.addEventListener("click", function () { hideConfirm(); clearButton.focus(); });
  confirmYes.addEventListener("click", clearConversation);
  retry.addEventListener("click", function () {
    var message = failed;
    input.focus();  // the retry button disappears while the request runs
    if (message !== null) request(message);
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!confirmBox.hidden) { hideConfirm(); clearButton.focus(); } else setOpen(false);
  });

  /* ---- start ---- */

  var state = readSaved() || newState();
  state.entries.forEach(function (entry) { log.appendChild(entryNode(entry)); });
  note.hidden = storageWorks;
  document.body.append(root);
  showHandover();
  if (isActive(state.handover)) openStream();  // a reload while a person has the conversation
  if (state.open) {
    panel.hidden = false;
    root.classList.add("ac-is-open");
    launcher.setAttribute("aria-expanded", "true");
    log.scrollTop = log.scrollHeight;
    greetIfEmpty();
  }
})();
