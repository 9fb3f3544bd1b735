/*
 * Aomori business-support chat: embed with one script tag and a config object.
 *
 *   <script>window.aomoriChatConfig = {serverUrl: "https://assistant.example.jp", title: "相談アシスタント"};</script>
 *   <script src="https://assistant.example.jp/chat/assistant-chat.js" defer></script>
 *
 * Talks to Rasa's REST channel and renders the reply contract: text, buttons (tappable choices) and
 * custom.programs (cards with tel:/mailto: links). Everything is written with textContent or as
 * attributes on created elements: nothing from a reply or from the user is ever parsed as HTML.
 * The conversation (sender id and messages) is kept in localStorage, so it survives page reloads.
 */
(function () {
  "use strict";
  var config = Object.assign({ serverUrl: "http://localhost:5005", title: "相談アシスタント",
    storageKey: "aomori-chat" }, window.aomoriChatConfig || {});
  var endpoint = config.serverUrl.replace(/\/$/, "") + "/webhooks/rest/webhook";

  function load() {
    try { return JSON.parse(localStorage.getItem(config.storageKey)) || null; } catch (e) { return null; }
  }
  var state = load() || { sender: "web-" + Math.random().toString(36).slice(2) + Date.now().toString(36),
    entries: [], open: false };
  function save() {
    state.entries = state.entries.slice(-200);
    localStorage.setItem(config.storageKey, JSON.stringify(state));
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var style = el("style");
  style.textContent = [
    ".ac-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "background:#00467f;color:#fff;padding:14px 20px;font:bold 15px sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3);cursor:pointer}",
    ".ac-launcher:focus-visible,.ac-panel button:focus-visible,.ac-panel textarea:focus-visible{outline:3px solid #f5a623}",
    ".ac-panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:380px;max-width:calc(100vw - 24px);",
    "height:560px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;",
    "border-radius:12px;box-shadow:0 4px 20px rgba(0,0,0,.3);font:14px/1.6 sans-serif;color:#1a1a1a;overflow:hidden}",
    ".ac-panel[hidden]{display:none}",
    "@media (max-width:480px){.ac-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}",
    ".ac-head{background:#00467f;color:#fff;padding:10px 12px;display:flex;justify-content:space-between;align-items:center}",
    ".ac-head h2{font-size:15px;margin:0}.ac-close{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}",
    ".ac-log{flex:1;overflow-y:auto;padding:10px;background:#f4f6f9}",
    ".ac-msg{max-width:85%;margin:6px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-break:break-word}",
    ".ac-bot{background:#fff;border:1px solid #dde}.ac-user{background:#00467f;color:#fff;margin-left:auto}",
    ".ac-buttons{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}",
    ".ac-buttons button{border:1px solid #00467f;background:#fff;color:#00467f;border-radius:16px;padding:4px 10px;cursor:pointer}",
    ".ac-card{background:#fff;border:1px solid #00467f;border-left:5px solid #00467f;border-radius:8px;padding:8px 10px;margin:6px 0}",
    ".ac-card h3{font-size:14px;margin:0 0 4px}.ac-card p{margin:2px 0}.ac-card a{color:#00467f;font-weight:bold}",
    ".ac-form{display:flex;gap:6px;padding:8px;border-top:1px solid #dde}",
    ".ac-form textarea{flex:1;resize:none;font:inherit;padding:6px;border:1px solid #ccd;border-radius:6px}",
    ".ac-form button{background:#00467f;color:#fff;border:0;border-radius:6px;padding:0 14px;cursor:pointer}",
    ".ac-status{font-size:12px;color:#666;padding:0 10px}"
  ].join("");
  document.head.appendChild(style);

  var launcher = el("button", "ac-launcher", "相談する");
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  var panel = el("section", "ac-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", config.title);
  panel.hidden = true;
  var head = el("div", "ac-head");
  var close = el("button", "ac-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "閉じる");
  head.append(el("h2", null, config.title), close);
  var log = el("div", "ac-log");
  log.setAttribute("aria-live", "polite");
  var status = el("div", "ac-status");
  var form = el("form", "ac-form");
  var input = el("textarea");
  input.rows = 2;
  input.maxLength = 1000;
  input.setAttribute("aria-label", "メッセージ");
  input.placeholder = "お困りごとを入力（Enterで送信、Shift+Enterで改行）";
  var send = el("button", null, "送信");
  send.type = "submit";
  form.append(input, send);
  panel.append(head, log, status, form);
  document.body.append(launcher, panel);

  function digits(phone) { return String(phone).replace(/[^0-9+]/g, ""); }

  function card(program) {
    var box = el("article", "ac-card");
    box.append(el("h3", null, program.name));
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

  function render(entry) {
    if (entry.from === "user") {
      log.append(el("div", "ac-msg ac-user", entry.text));
    } else {
      if (entry.text) log.append(el("div", "ac-msg ac-bot", entry.text));
      (entry.programs || []).forEach(function (program) { log.append(card(program)); });
      if (entry.buttons && entry.buttons.length) {
        var row = el("div", "ac-buttons");
        entry.buttons.forEach(function (b) {
          var button = el("button", null, b.title);
          button.type = "button";
          button.addEventListener("click", function () { ask(b.payload, b.title); });
          row.append(button);
        });
        log.append(row);
      }
    }
    log.scrollTop = log.scrollHeight;
  }

  function add(entry) { state.entries.push(entry); save(); render(entry); }

  function ask(message, shown) {
    if (shown) add({ from: "user", text: shown });
    status.textContent = "回答を作成しています…";
    send.disabled = true;
    return fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: message }) })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (messages) {
        // The contract: at most one non-empty custom.programs per turn; like LINE, the first one is shown.
        var carrier = messages.filter(function (m) {
          return m.custom && Array.isArray(m.custom.programs) && m.custom.programs.length;
        })[0];
        var programs = carrier ? carrier.custom.programs : [];
        messages.forEach(function (m, i) {
          if (m.text || (m.buttons && m.buttons.length)) add({ from: "bot", text: m.text, buttons: m.buttons || [] });
        });
        if (programs.length) add({ from: "bot", programs: programs });
        status.textContent = "";
      })
      .catch(function () {
        status.textContent = "接続できませんでした。しばらくしてからもう一度お試しください。";
      })
      .then(function () { send.disabled = false; });
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    ask(text, text);
  }

  function setOpen(open) {
    state.open = open;
    save();
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      input.focus();
      if (!state.entries.length) ask("/greet");
    } else {
      launcher.focus();
    }
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
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });

  state.entries.forEach(render);
  if (state.open) { panel.hidden = false; launcher.setAttribute("aria-expanded", "true"); }
})();
