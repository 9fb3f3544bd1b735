// What every console page shares, loaded before the page's own script: element lookup and creation (text only,
// never HTML), URLs with query parameters, and JSON calls to the console's API (a 401 goes to the login page; an
// error carries the server's Japanese message as `shown`).
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function query(path, params) {
  const url = new URL(path, location.origin);
  Object.entries(params || {}).forEach(([k, v]) => { if (v !== "" && v !== null && v !== undefined) url.searchParams.set(k, v); });
  return url;
}

async function answerOf(response) {
  if (response.status === 401) { location.href = "/login"; throw new Error("login required"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error || `HTTP ${response.status}`), { shown: body.error });
  return body;
}

const getJSON = async (path, params) => answerOf(await fetch(query(path, params), { credentials: "same-origin" }));

const postJSON = async (path, data) => answerOf(await fetch(path, {
  method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
  body: JSON.stringify(data || {}),
}));
