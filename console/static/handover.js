// Handover page: the live list of conversations waiting for a person (polled every 2 s, which also tells the
// server this staff member is on duty), one conversation's transcript, take / reply / program card / hand back,
// and the call-back requests. Everything from the server (above all what users wrote) is written with textContent:
// nothing becomes HTML, so markup in a message shows as the text it is.
"use strict";

const POLL_MS = 2000;
const CALLBACKS_MS = 10000;
const MAX_CHARS = 1000; // common/settings.py MAX_MESSAGE_CHARS: the server refuses longer replies whole
const AUTHORS = { user: "利用者", assistant: "アシスタント", staff: "担当者", system: "お知らせ" };

let me = null;
let known = new Map();   // handover id -> the list's latest item
let seenQueued = null;   // ids of queued handovers at the last poll (null before the first)
let open = null;         // { id, cursor, item } of the conversation shown
let replyKey = null;     // the idempotency key of the reply being sent (kept for a retry of the same text)
let pollFailed = false;




function say(id, text, isError) {
  $(id).textContent = text;
  $(id).classList.toggle("error", Boolean(isError));
}

const shownError = (error) => error.shown || "接続できませんでした。通信状態を確認して、もう一度お試しください。";

function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// ---- time ----

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}分${s % 60}秒`;
  return `${Math.floor(m / 60)}時間${m % 60}分`;
}

function clock(iso, withDate) {
  if (!iso) return "";
  const options = { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" };
  if (withDate) Object.assign(options, { month: "numeric", day: "numeric" });
  return new Date(iso).toLocaleString("ja-JP", options);
}

const programLabel = (p) => (p ? `Ⅲ-${p.section} ${p.name}` : "なし");

// ---- the list ----

function factList(pairs) {
  const dl = el("dl");
  pairs.forEach(([term, value]) => { dl.append(el("dt", term), el("dd", value)); });
  return dl;
}

function itemFacts(item) {
  const waited = item.state === "queued" ? `${duration(item.waited_seconds)}（待機中）` : duration(item.waited_seconds);
  return [
    ["待ち時間", waited],
    ["チャネル", item.channel_label],
    ["話題の制度", programLabel(item.focus)],
    ["候補", item.candidates.length ? item.candidates.map(programLabel).join("、") : "なし"],
    ["担当", item.holder ? `${item.holder.name}${item.mine ? "（あなた）" : ""}` : "未対応"],
  ];
}

function listItem(item) {
  const li = el("li", null, `handover-item ${item.state}${open && open.id === item.id ? " open" : ""}`);
  li.dataset.id = item.id;
  const title = el("h3");
  title.append(el("span", item.state_label, "badge state"));
  title.append(item.position ? `${item.position}番目に受付` : `受付 ${clock(item.requested_at)}`);
  li.append(title, factList(itemFacts(item)));
  const actions = el("div", null, "item-actions");
  const openButton = el("button", "会話を開く");
  openButton.type = "button";
  openButton.className = "secondary";
  openButton.setAttribute("aria-label", `会話を開く（${item.state_label}、${item.channel_label}、待ち時間${duration(item.waited_seconds)}）`);
  openButton.addEventListener("click", () => openConversation(item.id));
  actions.append(openButton);
  if (item.state === "queued") {
    const take = el("button", "対応する");
    take.type = "button";
    take.addEventListener("click", () => takeOver(item.id));
    actions.append(take);
  }
  li.append(actions);
  return li;
}

function renderList(items) {
  const list = $("queue");
  // Replace each entry in place (same order, same ids): the button that has focus keeps it when its entry is
  // unchanged; a changed entry is rebuilt, and focus then returns to the same button of the new one.
  const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement : null;
  const focusedId = focused ? focused.closest("li").dataset.id : null;
  const focusedText = focused ? focused.textContent : null;
  const fresh = items.map(listItem);
  const old = new Map([...list.children].map((li) => [li.dataset.id, li]));
  list.replaceChildren(...fresh.map((li) => {
    const before = old.get(li.dataset.id);
    return before && before.isEqualNode(li) ? before : li;
  }));
  if (focusedId && !list.contains(focused)) {
    const again = [...list.querySelectorAll(`li[data-id="${focusedId}"] button`)].find((b) => b.textContent === focusedText);
    if (again) again.focus();
  }
  $("queue-empty").hidden = items.length > 0;
}

function announceArrivals(items) {
  const queuedIds = new Set(items.filter((i) => i.state === "queued").map((i) => i.id));
  if (seenQueued !== null) {
    const arrived = [...queuedIds].filter((id) => !seenQueued.has(id)).length;
    if (arrived) say("status", `新しく${arrived}件の会話が担当者を待っています（待機中は全部で${queuedIds.size}件）。`);
  }
  seenQueued = queuedIds;
}

async function pollList() {
  try {
    const body = await getJSON("/api/handovers");
    me = body.me;
    known = new Map(body.handovers.map((item) => [item.id, item]));
    renderList(body.handovers);
    announceArrivals(body.handovers);
    $("duty").textContent = `対応できる担当者：${body.on_duty.join("、") || "なし"}` +
      (body.staffed ? "" : "（いまは有人対応の受付時間外です）");
    if (pollFailed) { pollFailed = false; say("status", "接続が回復しました。"); }
    if (open && known.has(open.id)) { open.item = known.get(open.id); showState(); }
  } catch (error) {
    if (!pollFailed) { pollFailed = true; say("status", "一覧を更新できません。自動で再試行しています。", true); }
    console.error(error);
  }
}

// ---- one conversation ----

function cards(programs) {
  const box = el("div");
  (programs || []).forEach((card) => {
    const div = el("div", null, "card");
    div.append(el("strong", `Ⅲ-${card.section} ${card.name}`));
    [card.desk, card.phone && `電話 ${card.phone}`, card.email && `メール ${card.email}`, card.hours, card.cost]
      .filter(Boolean).forEach((line) => div.append(el("div", line)));
    box.append(div);
  });
  return box;
}

function line(author, text, time, extras) {
  const li = el("li", null, author);
  const who = el("p", author === "staff" && open && open.item && open.item.holder
    ? `${AUTHORS.staff}（${open.item.holder.name}）` : AUTHORS[author] || author, "who");
  if (time) {
    const stamp = el("time", clock(time));
    stamp.dateTime = time;
    who.append(stamp);
  }
  li.append(who);
  if (text) li.append(el("p", text, "said"));
  if (extras) li.append(extras);
  return li;
}

function assistantTurn(turn) {
  const extras = el("div");
  if (turn.buttons && turn.buttons.length) {
    const ul = el("ul", null, "extras");
    turn.buttons.forEach((title) => ul.append(el("li", `選択肢：${title}`)));
    extras.append(ul);
  }
  if (turn.programs && turn.programs.length) extras.append(cards(turn.programs.map((p) => ({ section: p.section, name: p.name }))));
  return line(turn.author, turn.text, turn.time, extras);
}

function messageLine(message) {
  const programs = message.custom && Array.isArray(message.custom.programs) ? message.custom.programs : null;
  return line(message.author, message.text, message.created_at, programs ? cards(programs) : null);
}

function appendMessages(messages) {
  const log = $("transcript");
  const nearEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  messages.forEach((message) => {
    if (open.cursor >= message.id) return; // already shown (a send's answer and a poll may bring the same one)
    log.append(messageLine(message));
    open.cursor = message.id;
  });
  if (nearEnd) log.scrollTop = log.scrollHeight;
}

function showState() {
  const item = open.item;
  $("conversation-title").textContent = `会話（${item.channel_label}、${item.state_label}）`;
  const facts = $("facts");
  facts.replaceChildren();
  [["状態", item.state_label], ...itemFacts(item)].forEach(([term, value]) => facts.append(el("dt", term), el("dd", value)));
  const mine = item.state === "connected" && item.mine;
  $("take").hidden = item.state !== "queued";
  $("end").disabled = !mine;
  $("reply").disabled = !mine;
  $("reply-send").disabled = !mine || $("reply").value.length > MAX_CHARS;
  $("card-program").disabled = !mine;
  $("card-send").disabled = !mine;
  let note = "";
  if (item.state === "queued") note = "「対応する」を押すと、この会話を担当できます（ほかの担当者は操作できなくなります）。";
  else if (item.state === "connected" && !mine) note = `${item.holder.name}さんが対応中です。返信と「アシスタントに戻す」は、対応中の担当者だけが行えます。`;
  else if (item.state !== "connected") note = "この会話は終了しています。";
  $("holder-note").textContent = note;
  document.querySelectorAll("#queue li").forEach((li) => li.classList.toggle("open", Number(li.dataset.id) === open.id));
}

async function openConversation(id) {
  say("conversation-status", "会話を読み込んでいます…");
  try {
    const body = await getJSON(`/api/handovers/${id}`);
    open = { id, cursor: 0, item: body.handover };
    replyKey = null;
    const log = $("transcript");
    log.replaceChildren();
    const assistant = body.assistant;
    $("assistant-notice").hidden = assistant.available;
    $("assistant-notice").textContent = assistant.notice || "";
    if (assistant.cut) log.append(el("li", "（これより前のやり取りは省略しています）", "divider"));
    assistant.turns.forEach((turn) => log.append(assistantTurn(turn)));
    log.append(el("li", `ここから担当者への引き継ぎ（${clock(body.handover.requested_at, true)} 受付）`, "divider"));
    appendMessages(body.messages);
    $("conversation").hidden = false;
    $("conversation-empty").hidden = true;
    log.scrollTop = log.scrollHeight; // once shown: a hidden log has no height, and the first one opened stayed at its top
    selectFocus(body.handover.focus);
    showState();
    say("conversation-status", "");
    $("conversation-title").focus();
  } catch (error) {
    say("conversation-status", shownError(error), true);
  }
}

async function pollConversation(force) {
  // An ended conversation changes no more: the answer that said so brought its last messages too.
  if (!open || (force !== true && !["queued", "connected"].includes(open.item.state))) return;
  try {
    const body = await getJSON(`/api/handovers/${open.id}?after=${open.cursor}`);
    open.item = body.handover;
    appendMessages(body.messages);
    showState();
  } catch (error) {
    console.error(error);
  }
}

async function takeOver(id) {
  try {
    await postJSON(`/api/handovers/${id}/take`);
    await openConversation(id);
    say("conversation-status", "この会話の担当になりました。利用者には担当者につながったことをお知らせしています。");
    $("reply").focus();
  } catch (error) {
    say(open && open.id === id ? "conversation-status" : "status", shownError(error), true);
  }
  pollList();
}

async function send(data, button) {
  button.disabled = true;
  try {
    await postJSON(`/api/handovers/${open.id}/messages`, data);
    // Everything after the cursor, not only this message: a user's message stored just before it and not polled yet
    // would be skipped for good once the cursor had passed it (the next polls ask only for later ids).
    await pollConversation(true);
    return true;
  } catch (error) {
    say("conversation-status", shownError(error), true);
    return false;
  } finally {
    showState();
  }
}

function countChars() {
  const length = $("reply").value.length;
  const over = length > MAX_CHARS;
  $("reply-count").textContent = over ? `${length}文字：${MAX_CHARS}文字を超えています。分けて送ってください。`
    : `${length} / ${MAX_CHARS}文字`;
  $("reply-count").classList.toggle("over", over);
  if (open) showState();
}

$("reply").addEventListener("input", () => { replyKey = null; countChars(); });
$("reply").addEventListener("keydown", (event) => {
  // Ctrl+Enter (or ⌘+Enter) sends; Enter alone breaks the line, and never sends while an IME is converting.
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
    event.preventDefault();
    $("reply-form").requestSubmit();
  }
});

$("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("reply").value;
  if (!open || !text.trim() || $("reply-send").disabled) return;
  replyKey = replyKey || newKey(); // the same key for a retry of the same text: stored once
  if (await send({ text, key: replyKey }, $("reply-send"))) {
    if ($("reply").value === text) $("reply").value = ""; // what staff typed while it was sent is kept
    replyKey = null;
    countChars();
    say("conversation-status", "送信しました。");
  }
});

$("card-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const section = Number($("card-program").value);
  if (!open || !section || $("card-send").disabled) return;
  const label = $("card-program").selectedOptions[0].textContent;
  if (await send({ section, key: newKey() }, $("card-send"))) say("conversation-status", `「${label}」のカードを送信しました。`);
});

$("take").addEventListener("click", () => { if (open) takeOver(open.id); });

$("end").addEventListener("click", async () => {
  if (!open || !confirm("この会話をアシスタントに戻しますか？\n利用者には、ここからはアシスタントが答えることをお知らせします。")) return;
  $("end").disabled = true;
  try {
    const body = await postJSON(`/api/handovers/${open.id}/end`);
    open.item = body.handover;
    await pollConversation(true); // the message telling the user
    say("conversation-status", "アシスタントに戻しました。");
  } catch (error) {
    say("conversation-status", shownError(error), true);
  }
  showState();
  pollList();
});

// ---- programs for the card ----

async function loadPrograms() {
  try {
    const programs = await getJSON("/api/search");
    const select = $("card-program");
    select.replaceChildren();
    programs.forEach((p) => {
      const option = el("option", `Ⅲ-${p.section} ${p.name}`);
      option.value = p.section;
      select.append(option);
    });
  } catch (error) {
    console.error(error);
  }
}

function selectFocus(focus) {
  if (focus) $("card-program").value = String(focus.section);
}

// ---- call-back requests ----

function contactLink(contact) {
  const trimmed = contact.trim();
  let href = null;
  if (/^[0-9０-９+\-‐－() （）]+$/.test(trimmed)) href = `tel:${trimmed.replace(/[^0-9+]/g, "")}`;
  else if (/^[^\s@]+@[^\s@]+$/.test(trimmed)) href = `mailto:${trimmed}`;
  if (!href) return el("span", contact);
  const a = el("a", contact);
  a.href = href;
  return a;
}

function callbackRow(item) {
  const tr = el("tr");
  tr.append(el("td", clock(item.created_at, true)), el("td", item.channel_label), el("td", programLabel(item.program)));
  const need = el("td");
  need.append(el("span", item.need, "said"));
  const contact = el("td");
  contact.append(contactLink(item.contact));
  tr.append(need, contact, el("td", item.status_label));
  const actions = el("td");
  const box = el("div", null, "item-actions");
  const move = (status, label) => {
    const button = el("button", label);
    button.type = "button";
    button.setAttribute("aria-label", `${label}（${clock(item.created_at, true)}受付の依頼）`);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await postJSON(`/api/callbacks/${item.id}/status`, { status });
        say("callbacks-status", `依頼を「${status === "done" ? "完了" : "対応中"}」にしました。`);
      } catch (error) {
        say("callbacks-status", shownError(error), true);
      }
      await loadCallbacks(true);
      $("callbacks-title").focus(); // the row's buttons were redrawn: focus stays in the section
    });
    box.append(button);
  };
  if (item.status === "new") move("in_progress", "対応中にする");
  if (item.status !== "done") move("done", "完了にする");
  actions.append(box);
  tr.append(actions);
  return tr;
}

async function loadCallbacks(force) {
  const status = $("callback-filter").value;
  try {
    const body = await getJSON(`/api/callbacks${status ? `?status=${encodeURIComponent(status)}` : ""}`);
    const tbody = $("callbacks-table").tBodies[0];
    // The 10-second refresh never redraws the rows under the staff member's keyboard focus.
    if (force !== true && document.activeElement && tbody.contains(document.activeElement)) return;
    tbody.replaceChildren(...body.callbacks.map(callbackRow));
    if (!body.callbacks.length) {
      const td = el("td", "該当する依頼はありません。", "note");
      td.colSpan = 7;
      const tr = el("tr");
      tr.append(td);
      tbody.append(tr);
    }
  } catch (error) {
    say("callbacks-status", shownError(error), true);
  }
}

$("callback-filter").addEventListener("change", () => loadCallbacks(true));

// ---- polling: one request at a time, every 2 s ----

async function tick() {
  await pollList();
  await pollConversation();
  setTimeout(tick, POLL_MS);
}

countChars();
loadPrograms();
loadCallbacks();
setInterval(loadCallbacks, CALLBACKS_MS);
tick();
