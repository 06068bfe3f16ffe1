// tunesmith dashboard: builds every page from the JSON API. Text always goes in through
// textContent, never innerHTML, so a study name or an error message can never become markup.
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

function when(t) { return t ? new Date(t * 1000).toLocaleString() : ""; }

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(url + ": " + response.status);
  return response.json();
}

// -- the list of studies -------------------------------------------------------------------
async function showStudies(main) {
  const rows = await getJSON("/api/studies");
  main.replaceChildren(el("h1", "Studies"));
  if (rows.length === 0) { main.append(el("p", "No study in this storage yet.")); return; }
  const table = el("table"); table.id = "studies";
  const head = table.createTHead().insertRow();
  for (const h of ["study", "directions", "strategy", "trials", "states", "best", "last activity"])
    head.append(el("th", h));
  const body = table.createTBody();
  for (const s of rows) {
    const row = body.insertRow();
    const link = el("a", s.name); link.href = "/study/" + s.id;
    const cell = row.insertCell(); cell.append(link);
    row.append(el("td", s.directions.join(", ")), el("td", s.strategy), el("td", s.trials, "num"),
      el("td", Object.entries(s.states).map(([k, n]) => n + " " + k).join(", ")),
      el("td", fmt(s.best), "num"), el("td", when(s.last_activity)));
  }
  main.append(table);
}

// -- one study, updated live ----------------------------------------------------------------
// The first view asks for the history already downsampled by the server and the latest rows of
// the table; then, each second, only the trials changed since the revision last seen.
const TABLE_ROWS = 200;
const study = { revision: 0, trials: new Map(), info: null, history: null, seen: new Set() };

function extendHistory(trials) {
  const h = study.history, sign = study.info.directions[0] === "maximize" ? -1 : 1;
  for (const t of trials.filter(t => t.state === "COMPLETE" && t.values)) {
    if (study.seen.has(t.number) || t.number <= h.lastNumber) continue;
    study.seen.add(t.number);
    const best = h.best.length ? sign * Math.min(sign * h.best[h.best.length - 1], sign * t.values[0])
      : t.values[0];
    h.x.push(t.number); h.y.push(t.values[0]); h.best.push(best); h.points += 1;
  }
}

function drawHistory() {
  const h = study.history, box = document.getElementById("history");
  box.dataset.points = String(h.points);
  const traces = [
    { x: h.x, y: h.y, mode: "markers", name: "value", marker: { size: 6, color: "#4c72b0" } },
    { x: h.x, y: h.best, mode: "lines", name: "best so far",
      line: { color: "#dd8452", shape: "hv" } },
  ];
  const shown = h.x.length < h.points ? ` (${h.x.length} of ${h.points} shown)` : "";
  const layout = { margin: { t: 30 }, xaxis: { title: { text: "trial" } },
    yaxis: { title: { text: study.info.directions[0] } }, title: { text: "History" + shown } };
  Plotly.react(box, traces, layout, { displaylogo: false, responsive: true });
}

function drawTable() {
  const body = document.querySelector("#trials tbody");
  const rows = [...study.trials.values()].sort((a, b) => b.number - a.number).slice(0, TABLE_ROWS);
  body.replaceChildren();
  for (const t of rows) {
    const row = body.insertRow(); row.className = t.state;
    row.append(el("td", t.number, "num"), el("td", t.state),
      el("td", t.values ? t.values.map(fmt).join(", ") : "", "num"),
      el("td", Object.entries(t.params).map(([k, v]) => k + "=" + fmt(v)).join("  ")));
    const err = row.insertCell();
    if (t.error) {
      const details = el("details"); details.append(el("summary", t.error));
      if (t.traceback) details.append(el("pre", t.traceback));
      err.append(details);
    }
  }
}

function take(update) {
  for (const t of update.trials) study.trials.set(t.number, t);
  study.revision = update.revision;
  document.body.dataset.revision = String(update.revision);
}

async function poll() {
  const update = await getJSON(`/api/studies/${study.info.id}/trials?since=${study.revision}`);
  take(update);
  if (update.trials.length === 0) return;
  extendHistory(update.trials);
  study.total = Math.max(study.total, ...update.trials.map(t => t.number + 1));
  document.getElementById("count").textContent = study.total + " trials";
  drawHistory(); drawTable();
}

async function showStudy(main) {
  const id = Number(location.pathname.split("/").pop());
  study.info = (await getJSON("/api/studies")).find(s => s.id === id);
  if (!study.info) { main.replaceChildren(el("p", "No such study.")); return; }
  document.title = study.info.name + " · tunesmith";
  main.replaceChildren(el("h1", study.info.name),
    el("div", study.info.directions.join(", ") + " · " + study.info.strategy, "meta"));
  const count = el("div", "", "meta"); count.id = "count"; main.append(count);
  const chart = el("div"); chart.id = "history"; main.append(chart);
  const table = el("table"); table.id = "trials";
  const head = table.createTHead().insertRow();
  for (const h of ["#", "state", "value", "params", "error"]) head.append(el("th", h));
  table.createTBody(); main.append(el("h2", "Trials"), table);
  const [history, latest] = await Promise.all([
    getJSON(`/api/studies/${id}/history?max_points=2000`),
    getJSON(`/api/studies/${id}/trials?since=0&last=${TABLE_ROWS}`),
  ]);
  study.history = { ...history, lastNumber: history.x.length ? history.x[history.x.length - 1] : -1 };
  take({ ...latest, revision: Math.min(latest.revision, history.revision) });
  study.total = study.info.trials;
  count.textContent = study.total + " trials";
  drawHistory(); drawTable();
  setInterval(() => poll().catch(() => {}), 1000);
}

const main = document.getElementById("main");
(document.body.dataset.page === "study" ? showStudy(main) : showStudies(main))
  .catch(err => main.replaceChildren(el("p", "Could not load: " + err.message)));
