// Staff console: candidates as the staff member types, full records, search, area filter, copy.
// Everything is written with textContent: no text from the server or the caller becomes HTML.
"use strict";

let current = null;

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

// Cancellable (``signal``), and null after a 401 (the page is leaving for the login form).
async function fetchJSON(path, params, signal) {
  const url = new URL(path, location.origin);
  Object.entries(params || {}).forEach(([k, v]) => { if (v) url.searchParams.set(k, v); });
  const answer = await fetch(url, { credentials: "same-origin", signal });
  if (answer.status === 401) { location.href = "/login"; return null; }
  if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status}`);
  return answer.json();
}

// The candidate list shows the answer to the latest request only: a new request cancels the one in
// flight, and an answer that still arrives for an older request is dropped (null), never shown.
let inFlight = null;
let listRequests = 0;

function cancelList() {
  if (inFlight) inFlight.abort();
  inFlight = null;
}

async function latestOnly(path, params) {
  cancelList();
  const mine = new AbortController();
  inFlight = mine;
  listRequests += 1;
  try {
    const data = await fetchJSON(path, params, mine.signal);
    return inFlight === mine ? data : null;
  } catch (error) {
    if (mine.signal.aborted) return null; // cancelled because a newer request was made: not an error
    throw error;
  } finally {
    if (inFlight === mine) inFlight = null;
  }
}

function failed(error) {
  $("source").textContent = "検索できませんでした。もう一度お試しください。";
  console.error(error);
}


function showList(items, scoreLabel) {
  const list = $("candidates");
  list.replaceChildren();
  items.forEach((item, index) => {
    const li = el("li");
    const button = el("button");
    button.type = "button";
    button.dataset.section = item.section;
    if (item.score !== null && item.score !== undefined) button.append(el("span", `${scoreLabel} ${item.score}`, "score"));
    button.append(el("strong", `Ⅲ-${item.section} ${item.name}`), el("br"));
    const desk = item.chosen || item.desks[0] || {};  // the desk the assistant would answer with
    button.append(el("span", `${desk.name || ""}　${(desk.contact_lines || [])[0] || "電話 ―"}`));
    (item.local_places || []).forEach((p) => button.append(el("br"), el("span", `近くの窓口：${p.name}`, "note")));
    button.addEventListener("click", () => showRecord(item));
    li.append(button);
    list.append(li);
    if (index === 0) showRecord(item);
  });
  if (!items.length) list.append(el("li", "該当する制度が見つかりません。", "note"));
}

function row(dl, label, value) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
  dl.append(el("dt", label), el("dd", Array.isArray(value) ? value.join("\n") : value));
}

function showRecord(item) {
  current = item;
  const box = $("record");
  box.replaceChildren(el("h2", `Ⅲ-${item.section} ${item.name}`), el("p", item.title, "note"), el("p", item.summary));
  const dl = el("dl");
  // Phones, FAX, e-mail and hours come formatted and labelled from the server (contact_lines).
  item.desks.forEach((d) => row(dl, d.role, [d.name, ...(d.contact_lines || []),
    (d.address || d.location) && `所在地：${d.address || d.location}`].filter(Boolean)));
  row(dl, "対象", [item.target, ...item.conditions].filter(Boolean));
  row(dl, "支援内容", item.offers.map((o) => o.name));
  row(dl, "費用", item.cost);
  row(dl, "回数", item.limits);
  row(dl, "利用方法", item.how_to_apply);
  row(dl, "募集時期", item.period);
  row(dl, "備考", item.notes);
  item.places.forEach((p) => row(dl, p.kind, [p.name, p.address, p.hours, ...(p.contact_lines || [])].filter(Boolean)));
  box.append(dl);
  $("summary").value = item.summary_text;
  $("copy").disabled = false;
  $("copied").textContent = "";
}

const area = () => $("area").value;

const fromCaller = debounce(async () => {
  const text = $("caller").value.trim();
  if (!text) { cancelList(); return; }
  try {
    const data = await latestOnly("/api/candidates", { q: text, area: area() });
    if (!data) return;
    $("source").textContent = data.source === "assistant" ? "アシスタントの判定（確信度）" : "キーワード検索（スコア）";
    showList(data.candidates, data.source === "assistant" ? "確信度" : "スコア");
  } catch (error) {
    failed(error);
  }
}, 150);

const fromSearch = debounce(async () => {
  try {
    const items = await latestOnly("/api/search", { q: $("search").value.trim(), area: area() });
    if (!items) return;
    $("source").textContent = "制度の検索結果";
    showList(items, "スコア");
  } catch (error) {
    failed(error);
  }
}, 150);

async function loadAreas() {
  const areas = await fetchJSON("/api/areas");
  (areas || []).forEach((a) => {
    const option = el("option", `${a.name}（${a.municipalities.join("・")}）`);
    option.value = a.name;
    $("area").append(option);
  });
}

// The select may be narrower than its longest option: the chosen area's towns are also shown in full below it.
function showTowns() {
  const chosen = $("area").selectedOptions[0];
  $("area-towns").textContent = chosen && chosen.value ? chosen.textContent : "";
}

// At start: the areas, and every program (the list before anything is typed, and the header's count).
async function start() {
  const before = listRequests;
  try {
    const [programs] = await Promise.all([fetchJSON("/api/search"), loadAreas()]);
    if (!programs) return;
    $("program-count").textContent = `（${programs.length}制度）`;
    if (listRequests !== before) return; // the staff member has already typed or filtered
    $("source").textContent = "制度の一覧";
    showList(programs, "スコア");
  } catch (error) {
    failed(error);
  }
}

async function copySummary() {
  const text = $("summary").value;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    $("summary").select();
    document.execCommand("copy");
  }
  $("copied").textContent = "コピーしました";
}

// The area filter re-runs whichever box the staff member used last.
let lastUsed = fromSearch;
$("caller").addEventListener("input", () => { lastUsed = fromCaller; fromCaller(); });
$("search").addEventListener("input", () => { lastUsed = fromSearch; fromSearch(); });
$("area").addEventListener("change", () => { showTowns(); lastUsed(); });
$("copy").addEventListener("click", copySummary);
start();
