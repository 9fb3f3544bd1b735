// Review page: the queue of turns to look at, the staff's marks, the supervisor's figures, the exports.
// Everything from the server (the users' words above all) is written with textContent or as SVG text nodes:
// nothing becomes HTML. Labels for kinds, marks, channels and programs come from /api/review/options.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const WEEKDAYS = "日月火水木金土";
const PAGE = 100;
let options = null;
let applied = {};   // the filters of the list shown (the "more" button continues it)
let shown = 0;


function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, String(v)));
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}





function say(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", Boolean(isError));
}

function failed(error) {
  say(error.shown || "読み込めませんでした。時間をおいて、もう一度お試しください。", true);
  console.error(error);
}

// ---- dates (YYYY-MM-DD, Japanese days) ----

function shiftDay(day, days) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function dayLabel(day, withYear) {
  const [y, m, d] = day.split("-").map(Number);
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  return `${withYear ? `${y}年` : ""}${m}月${d}日（${weekday}）`;
}

const programLabel = (p) => (p ? `Ⅲ-${p.section} ${p.name}` : "");
const percent = (rate) => (rate === null || rate === undefined ? "―" : `${(rate * 100).toFixed(1)}%`);

// ---- filters ----

function fill(select, items, value, label) {
  items.forEach((item) => {
    const option = el("option", label(item));
    option.value = value(item);
    select.append(option);
  });
}

function currentFilters() {
  const form = $("filters");
  const filters = {};
  ["from", "to", "kind", "channel", "program", "mark"].forEach((name) => { filters[name] = form.elements[name].value; });
  return filters;
}

// ---- figures ----

function niceMax(max) {
  if (max <= 5) return Math.max(1, max);
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].map((s) => s * magnitude).find((s) => max / s <= 5);
  return Math.ceil(max / step) * step;
}

function drawChart(days, total) {
  const box = $("daily-chart");
  box.replaceChildren();
  if (!days.length) {
    box.append(el("p", "この期間の会話はありません。", "note"));
    return;
  }
  const width = 960, height = 240, left = 40, right = 8, top = 12, bottom = 30;
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const max = niceMax(Math.max(...days.map((d) => d.conversations)));
  const busiest = days.reduce((a, b) => (b.conversations > a.conversations ? b : a));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "daily-title daily-desc" });
  chart.append(svg("desc", { id: "daily-desc" },
    `${dayLabel(days[0].date, true)}から${dayLabel(days[days.length - 1].date, true)}までの${days.length}日間で、` +
    `会話は合計${total}件、最も多かったのは${dayLabel(busiest.date)}の${busiest.conversations}件です。` +
    "日ごとの数は、下の「日別の会話数を表で見る」でご覧いただけます。"));
  const y = (value) => top + plotHeight - (value / max) * plotHeight;
  const ticks = max <= 5 ? Array.from({ length: max + 1 }, (_, i) => i) : [0, max / 4, max / 2, (3 * max) / 4, max];
  ticks.forEach((value) => {
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid" }));
    chart.append(svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" }, value));
  });
  const slot = plotWidth / days.length;
  const every = Math.ceil(days.length / 12);
  days.forEach((day, i) => {
    const x = left + i * slot;
    const bar = svg("rect", { x: x + slot * 0.15, y: y(day.conversations), width: Math.max(1, slot * 0.7),
      height: plotHeight * (day.conversations / max), class: "bar", "data-date": day.date });
    bar.append(svg("title", {}, `${dayLabel(day.date)}：${day.conversations}件`));
    chart.append(bar);
    if (i % every === 0) {
      const [, m, d] = day.date.split("-").map(Number);
      chart.append(svg("text", { x: x + slot / 2, y: height - bottom + 16, "text-anchor": "middle" }, `${m}/${d}`));
    }
  });
  chart.append(svg("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis" }));
  box.append(chart);
}

function cell(text, cls) {
  return el("td", text, cls);
}

function emptyRow(tbody, columns, text) {
  const td = cell(text, "note");
  td.colSpan = columns;
  const tr = el("tr");
  tr.append(td);
  tbody.append(tr);
}

function showFigures(data) {
  $("daily-total").textContent = `（期間中の会話 ${data.conversations}件）`;
  drawChart(data.per_day, data.conversations);
  const daily = $("daily-table").tBodies[0];
  daily.replaceChildren();
  data.per_day.forEach((day) => {
    const tr = el("tr");
    tr.append(el("th", dayLabel(day.date, true)), cell(`${day.conversations}件`, "number"));
    tr.firstChild.scope = "row";
    daily.append(tr);
  });
  if (!data.per_day.length) emptyRow(daily, 2, "この期間の会話はありません。");

  const resolution = data.self_resolution;
  $("resolution-rate").textContent = percent(resolution.rate);
  $("resolution-detail").textContent = resolution.conversations
    ? `会話${resolution.conversations}件のうち、${resolution.resolved}件が自己解決しました。`
    : "この期間の会話はありません。";

  const down = $("down-table").tBodies[0];
  down.replaceChildren();
  data.down_by_program.forEach((row) => {
    const tr = el("tr");
    tr.dataset.section = row.section;
    tr.append(el("th", programLabel(row)), cell(row.answers, "number"), cell(row.rated, "number"),
      cell(row.down, "number"), cell(percent(row.down_rate_rated), "number"), cell(percent(row.down_rate_answers), "number"));
    tr.firstChild.scope = "row";
    down.append(tr);
  });
  if (!data.down_by_program.length) emptyRow(down, 6, "この期間に制度を案内した回答はありません。");

  const topics = $("topics-table").tBodies[0];
  topics.replaceChildren();
  data.unanswered_topics.forEach((topic) => {
    const tr = el("tr");
    tr.dataset.section = topic.section === null ? "" : topic.section;
    const samples = el("ul", null, "samples");
    topic.samples.forEach((text) => samples.append(el("li", text)));
    const sampleCell = el("td");
    sampleCell.append(samples);
    tr.append(el("th", topic.section === null ? topic.name : programLabel(topic)), cell(`${topic.count}件`, "number"),
      sampleCell);
    tr.firstChild.scope = "row";
    topics.append(tr);
  });
  if (!data.unanswered_topics.length) emptyRow(topics, 3, "この期間に回答できなかった発言はありません。");

  showHandovers(data.handovers);
}

// A wait in seconds as staff read it: seconds under a minute, else minutes and seconds.
function waitLabel(seconds) {
  if (seconds === null || seconds === undefined) return "―";
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}秒`;
  const rest = whole % 60;
  return `${Math.floor(whole / 60)}分${rest ? `${rest}秒` : ""}`;
}

function showHandovers(handovers) {
  $("handover-requests").textContent = `${handovers.requests}件`;
  $("handover-wait").textContent = waitLabel(handovers.median_wait_seconds);
  $("handover-timed-out").textContent = percent(handovers.timed_out_share);
  $("handover-detail").textContent = handovers.requests
    ? `依頼${handovers.requests}件のうち、担当者が対応したもの${handovers.taken}件、時間切れ${handovers.timed_out}件です。`
    : "この期間の引き継ぎの依頼はありません。";
  const table = $("handover-table").tBodies[0];
  table.replaceChildren();
  handovers.per_day.forEach((day) => {
    const tr = el("tr");
    tr.append(el("th", dayLabel(day.date, true)), cell(`${day.handovers}件`, "number"));
    tr.firstChild.scope = "row";
    table.append(tr);
  });
  if (!handovers.per_day.length) emptyRow(table, 2, "この期間の引き継ぎの依頼はありません。");
}

// ---- the queue ----

function row(dl, label, value) {
  dl.append(el("dt", label));
  const dd = el("dd");
  if (value instanceof Node) dd.append(value); else dd.textContent = value;
  dl.append(dd);
  return dd;
}

function markText(entry) {
  if (!entry.mark) return "未判定";
  const program = entry.mark === "training" && entry.mark_program ? `：${programLabel(entry.mark_program)}` : "";
  return `${entry.mark_label}${program}（${entry.marked_at_jst}）`;
}

function markForm(entry, current) {
  const form = el("form", null, "mark-form");
  form.setAttribute("aria-label", `${entry.at_jst}の発言の判定`);
  const markField = el("div", null, "field");
  const mark = el("select");
  mark.id = `mark-${entry.id}`;
  mark.name = "mark";
  const none = el("option", "未判定");
  none.value = "";
  mark.append(none);
  fill(mark, options.marks, (m) => m.value, (m) => (m.value === "training" ? `${m.label}にする（正しい制度を選ぶ）` : m.label));
  mark.value = entry.mark || "";
  const markLabel = el("label", "判定");
  markLabel.htmlFor = mark.id;
  markField.append(markLabel, mark);

  const programField = el("div", null, "field");
  const program = el("select");
  program.id = `program-${entry.id}`;
  program.name = "program";
  const choose = el("option", "制度を選んでください");
  choose.value = "";
  program.append(choose);
  fill(program, options.programs, (p) => p.section, programLabel);
  program.value = entry.mark_program ? String(entry.mark_program.section) : "";
  const programLabelNode = el("label", "学習例の正しい制度");
  programLabelNode.htmlFor = program.id;
  programField.append(programLabelNode, program);

  const save = el("button", "判定を保存");
  save.type = "submit";
  const saved = el("p", null, "saved");
  saved.setAttribute("role", "status");
  const sync = () => { program.disabled = mark.value !== "training"; };
  mark.addEventListener("change", sync);
  sync();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    saved.classList.remove("error");
    if (mark.value === "training" && !program.value) {
      saved.textContent = "学習例にするときは、正しい制度を選んでください。";
      saved.classList.add("error");
      program.focus();
      return;
    }
    save.disabled = true;
    saved.textContent = "保存しています…";
    try {
      const updated = await postJSON(`/api/review/turns/${entry.id}/mark`,
        { mark: mark.value || null, program: mark.value === "training" ? Number(program.value) : null });
      current.textContent = markText(updated);
      saved.textContent = updated.mark ? "判定を保存しました。" : "判定を取り消しました。";
    } catch (error) {
      saved.textContent = error.shown || "保存できませんでした。時間をおいて、もう一度お試しください。";
      saved.classList.add("error");
      console.error(error);
    } finally {
      save.disabled = false;
    }
  });
  form.append(markField, programField, save, saved);
  return form;
}

function showEntry(entry) {
  const li = el("li");
  const article = el("article", null, "entry");
  article.dataset.id = entry.id;
  article.setAttribute("aria-labelledby", `entry-${entry.id}`);
  const heading = el("h3");
  heading.id = `entry-${entry.id}`;
  heading.append(el("span", `${entry.at_jst}（日本時間）・${entry.channel_label}・`),
    el("span", entry.kind_label, `kind ${entry.kind}`));
  const body = el("div");
  const said = el("p", null, "said");
  said.append(el("span", "発言：", "visually-hidden"), el("span", entry.text, "text"));
  const dl = el("dl");
  const candidates = el("ol");
  entry.candidates.forEach((c) => candidates.append(el("li", `${programLabel(c)}（確信度 ${c.score}）`)));
  row(dl, "候補", entry.candidates.length ? candidates : "候補はありません");
  row(dl, "回答した制度", entry.program ? programLabel(entry.program) : "なし");
  row(dl, "評価", entry.feedback_label);
  const current = row(dl, "現在の判定", markText(entry));
  current.className = "current-mark";
  body.append(said, dl);
  article.append(heading, body, markForm(entry, current));
  li.append(article);
  return li;
}

async function loadQueue(append) {
  const offset = append ? shown : 0;
  const data = await getJSON("/api/review/queue", { ...applied, offset, limit: PAGE });
  const list = $("queue");
  if (!append) list.replaceChildren();
  const added = data.entries.map(showEntry);
  list.append(...added);
  if (append && added.length) { // keyboard users continue at the first entry just added
    const heading = added[0].querySelector("h3");
    heading.tabIndex = -1;
    heading.focus();
  }
  shown = offset + data.entries.length;
  $("queue-count").textContent = data.total
    ? `条件に合う発言は${data.total}件です。新しい順に${shown}件を表示しています。`
    : "条件に合う発言はありません。";
  $("more").hidden = shown >= data.total;
  return data;
}

async function apply() {
  const filters = currentFilters();
  if (filters.from && filters.to && filters.from > filters.to) {
    say("開始日は終了日と同じか、それより前の日にしてください。", true);
    $("from").focus();
    return;
  }
  applied = filters;
  const main = document.querySelector("main");
  main.dataset.state = "loading"; // "ready" once the list and the figures both show these filters
  $("export-csv").href = query("/api/review/export/queue.csv", filters).toString();
  say("読み込んでいます…");
  try {
    const [figures] = await Promise.all([getJSON("/api/review/figures", { from: filters.from, to: filters.to }),
      loadQueue(false)]);
    showFigures(figures);
    const from = filters.from ? dayLabel(filters.from, true) : "記録の最初";
    const to = filters.to ? dayLabel(filters.to, true) : "最新の記録";
    say(`${from}から${to}までの記録を表示しています。`);
    main.dataset.state = "ready";
  } catch (error) {
    main.dataset.state = "error";
    failed(error);
  }
}

async function start() {
  try {
    options = await getJSON("/api/review/options");
  } catch (error) {
    failed(error);
    return;
  }
  fill($("kind"), options.kinds, (k) => k.value, (k) => k.label);
  fill($("channel"), options.channels, (c) => c.value, (c) => c.label);
  fill($("program"), options.programs, (p) => p.section, programLabel);
  const markFilter = $("mark");
  fill(markFilter, options.marks, (m) => m.value, (m) => `判定済み（${m.label}）`);
  $("to").value = options.today;
  $("from").value = shiftDay(options.today, -29);
  await apply();
}

$("filters").addEventListener("submit", (event) => { event.preventDefault(); apply(); });
$("more").addEventListener("click", async () => {
  try { await loadQueue(true); } catch (error) { failed(error); }
});
start();
