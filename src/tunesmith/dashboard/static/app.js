// tunesmith dashboard: builds every page from the JSON API. Text always goes in through
// textContent, never innerHTML, so a study name or an error message can never become markup;
// text handed to Plotly (which reads a few tags) goes through plotText first.
"use strict";

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "number" ? Number(v.toPrecision(6)).toString() : String(v);
}

// Plotly reads <b>, <a href> and the like in its texts: escape them so they show as typed.
function plotText(v) {
  return String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function when(t) { return t ? new Date(t * 1000).toLocaleString() : ""; }

const WRITES = document.body.dataset.writes === "1";
const STATE_COLORS = { COMPLETE: "#4c72b0", PRUNED: "#c9a227", FAIL: "#b00020",
  RUNNING: "#2ca02c", WAITING: "#888888" };
const PLOT_CONFIG = { displaylogo: false, responsive: true };

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let reason = String(response.status);
    try { reason = (await response.json()).error || reason; } catch (e) { /* not JSON */ }
    throw new Error(reason);
  }
  return response.json();
}

// A write: POST with the header that tells the server it comes from this page.
async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-Tunesmith-Write": "1" },
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || String(response.status));
  return answer;
}

// A Plotly axis for a parameter: log scale, category labels at their indices, or linear.
function paramAxis(axis, extra) {
  const out = { title: { text: plotText(axis.name) }, ...(extra || {}) };
  if (axis.scale === "log") out.type = "log";
  if (axis.scale === "categorical") {
    out.tickvals = axis.categories.map((_, i) => i);
    out.ticktext = axis.categories.map(plotText);
    out.range = [-0.5, axis.categories.length - 0.5];
  }
  out.type = out.type || "linear";
  return out;
}

function section(main, id, title) {
  const box = el("section", null, "figure"); box.id = id + "-box";
  const chart = el("div", null, "chart"); chart.id = id;
  box.append(el("h2", title), chart); main.append(box);
  return chart;
}

function showError(box, err) {
  Plotly.purge(box);
  box.replaceChildren(el("p", err.message || String(err), "error"));
}

// Before a figure is drawn where a message stood: a fresh plot.
function clearMessage(box) {
  if (box.querySelector(":scope > p")) { Plotly.purge(box); box.replaceChildren(); }
}

// -- the list of studies -------------------------------------------------------------------
async function showStudies(main) {
  const rows = await getJSON("/api/studies");
  main.replaceChildren(el("h1", "Studies"));
  if (rows.length === 0) { main.append(el("p", "No study in this storage yet.")); return; }
  const table = el("table"); table.id = "studies";
  const head = table.createTHead().insertRow();
  for (const h of ["", "study", "directions", "strategy", "trials", "states", "best", "last activity"])
    head.append(el("th", h));
  const body = table.createTBody();
  for (const s of rows) {
    const row = body.insertRow();
    const pick = el("input"); pick.type = "checkbox"; pick.value = String(s.id);
    pick.className = "pick"; row.insertCell().append(pick);
    const link = el("a", s.name); link.href = "/study/" + s.id;
    row.insertCell().append(link);
    row.append(el("td", s.directions.join(", ")), el("td", s.strategy), el("td", s.trials, "num"),
      el("td", Object.entries(s.states).map(([k, n]) => n + " " + k).join(", ")),
      el("td", fmt(s.best), "num"), el("td", when(s.last_activity)));
  }
  const compare = el("button", "Compare selected studies"); compare.id = "compare";
  compare.addEventListener("click", () => {
    const ids = [...document.querySelectorAll("input.pick:checked")].map(b => b.value);
    if (ids.length) location.href = "/compare?ids=" + ids.join(",");
  });
  main.append(table, el("p", "Tick several studies to see their histories and EDFs together."),
    compare);
}

document.addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("main");
  const pages = { study: showStudy, compare: showCompare, studies: showStudies };
  (pages[document.body.dataset.page] || showStudies)(main)
    .catch(err => main.replaceChildren(el("p", "Could not load: " + err.message)));
});
