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
const study = { revision: 0, trials: new Map(), info: null };

function historyData() {
  const sign = study.info.directions[0] === "maximize" ? -1 : 1;
  const done = [...study.trials.values()].filter(t => t.state === "COMPLETE" && t.values)
    .sort((a, b) => a.number - b.number);
  const x = done.map(t => t.number), y = done.map(t => t.values[0]);
  let best = Infinity; const bestY = y.map(v => (best = Math.min(best, sign * v), sign * best));
  return { x, y, bestY };
}

function drawHistory() {
  const { x, y, bestY } = historyData();
  const box = document.getElementById("history");
  box.dataset.points = String(x.length);
  const traces = [
    { x, y, mode: "markers", name: "value", marker: { size: 6, color: "#4c72b0" } },
    { x, y: bestY, mode: "lines", name: "best so far", line: { color: "#dd8452", shape: "hv" } },
  ];
  const layout = { margin: { t: 30 }, xaxis: { title: { text: "trial" } },
    yaxis: { title: { text: study.info.directions[0] } }, title: { text: "History" } };
  Plotly.react(box, traces, layout, { displaylogo: false, responsive: true });
}

function drawTable() {
  const body = document.querySelector("#trials tbody");
  const rows = [...study.trials.values()].sort((a, b) => b.number - a.number);
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

async function poll() {
  const update = await getJSON(`/api/studies/${study.info.id}/trials?since=${study.revision}`);
  for (const t of update.trials) study.trials.set(t.number, t);
  study.revision = update.revision;
  document.body.dataset.revision = String(update.revision);
  document.getElementById("count").textContent = study.trials.size + " trials";
  if (update.trials.length > 0 || !document.getElementById("history").dataset.points) {
    drawHistory(); drawTable();
  }
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
  await poll();
  setInterval(() => poll().catch(() => {}), 1000);
}

const main = document.getElementById("main");
(document.body.dataset.page === "study" ? showStudy(main) : showStudies(main))
  .catch(err => main.replaceChildren(el("p", "Could not load: " + err.message)));
