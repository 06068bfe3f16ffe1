// tunesmith dashboard: one study, updated live. The first view asks for the history (already
// downsampled by the server) and the latest rows of the table; the other figures load after.
// Each second the page asks only for the trials changed since the revision last seen.
"use strict";

const study = { revision: 0, info: null, history: null, index: new Map(), figuresAt: 0 };
const REFRESH_MS = 5000;  // the heavier figures are redrawn at most this often

// Fold changed trials into the drawn history: update points in place, add new ones, then
// recompute the best so far over the drawn points (every improvement is among them).
function extendHistory(trials) {
  const h = study.history;
  for (const t of trials) {
    const value = t.values ? t.values[0] : null;
    if (study.index.has(t.number)) {
      const i = study.index.get(t.number); h.states[i] = t.state; h.y[i] = value;
    } else if (t.number > (h.x.length ? h.x[h.x.length - 1] : -1)) {
      study.index.set(t.number, h.x.length);
      h.x.push(t.number); h.states.push(t.state); h.y.push(value); h.points += 1;
    }
  }
  const sign = study.info.directions[0] === "maximize" ? -1 : 1;
  let best = null;
  h.best = h.y.map((v, i) => {
    if (h.states[i] === "COMPLETE" && v !== null && (best === null || sign * v < sign * best)) best = v;
    return best;
  });
}

function redrawHistory() {
  drawHistory(document.getElementById("history"), study.history, study.info.directions[0]);
}

const FIGURE_LIST = [
  ["timeline", "Timeline", drawTimeline],
  ["edf", "Empirical distribution (EDF)", drawEdf],
  ["parallel", "Parallel coordinates", drawParallel],
  ["slice", "Slice", drawSlice],
  ["intermediate", "Intermediate values", drawIntermediate],
];

async function loadFigure(name, draw) {
  const box = document.getElementById(name);
  try {
    const data = await getJSON(`/api/studies/${study.info.id}/figure/${name}?max_points=2000`);
    clearMessage(box); draw(box, data);
  }
  catch (err) { showError(box, err); }
}

async function loadContour() {
  const box = document.getElementById("contour"), x = document.getElementById("contour-x"),
    y = document.getElementById("contour-y");
  const pair = x.value && y.value ? `&x=${encodeURIComponent(x.value)}&y=${encodeURIComponent(y.value)}` : "";
  try {
    const data = await getJSON(`/api/studies/${study.info.id}/contour?max_points=2000${pair}`);
    for (const [select, chosen] of [[x, data.params[0]], [y, data.params[1]]]) {
      if (select.options.length !== data.choices.length)
        select.replaceChildren(...data.choices.map(n => { const o = el("option", n); o.value = n; return o; }));
      select.value = chosen;
    }
    clearMessage(box); drawContour(box, data);
  } catch (err) { showError(box, err); }
}

async function loadImportance() {
  const box = document.getElementById("importance"), status = document.getElementById("importance-status");
  status.textContent = "Fitting…"; status.className = "meta";
  try {
    const data = await getJSON(`/api/studies/${study.info.id}/importance`);
    status.textContent = `Computed at revision ${data.revision} over ${data.method} fits; ` +
      "press again to refit after new trials.";
    drawImportance(box, data);
  } catch (err) { status.textContent = err.message; status.className = "error"; }
}

async function loadFigures() {
  study.figuresAt = Date.now();
  const jobs = FIGURE_LIST.map(([name, , draw]) => loadFigure(name, draw));
  if (study.info.directions.length > 1) jobs.push(loadFigure("pareto", drawPareto));
  jobs.push(loadContour());
  await Promise.all(jobs);
}

function layoutFigures(main) {
  if (study.info.directions.length > 1) section(main, "pareto", "Pareto front");
  for (const [name, title] of FIGURE_LIST) section(main, name, title);
  const contour = section(main, "contour", "Contour");
  const pick = el("div", null, "controls");
  for (const axis of ["x", "y"]) {
    const select = el("select"); select.id = "contour-" + axis;
    select.addEventListener("change", () => loadContour());
    pick.append(el("label", axis + " "), select);
  }
  contour.before(pick);
  const imp = section(main, "importance", "Hyperparameter importance");
  const button = el("button", "Compute importance"); button.id = "importance-go";
  button.addEventListener("click", () => loadImportance());
  const status = el("p", "Fits take time: computed on request, kept per revision of the study.",
    "meta");
  status.id = "importance-status";
  imp.before(button, status);
}

function take(update) {
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
  redrawHistory();
  tableChanged(update.trials);
  if (Date.now() - study.figuresAt > REFRESH_MS) loadFigures();
}

async function showStudy(main) {
  const id = Number(location.pathname.split("/").pop());
  study.info = (await getJSON("/api/studies")).find(s => s.id === id);
  if (!study.info) { main.replaceChildren(el("p", "No such study.")); return; }
  document.title = study.info.name + " · tunesmith";
  main.replaceChildren(el("h1", study.info.name),
    el("div", study.info.directions.join(", ") + " · " + study.info.strategy, "meta"));
  const count = el("div", "", "meta"); count.id = "count"; main.append(count);
  section(main, "history", "History");
  const tableBox = el("section", null, "figure"); main.append(tableBox);
  layoutFigures(main);
  const [history, latest] = await Promise.all([
    getJSON(`/api/studies/${id}/history?max_points=2000`),
    getJSON(`/api/studies/${id}/trials?since=0&last=${TABLE_ROWS}`),
  ]);
  study.history = history;
  history.x.forEach((n, i) => study.index.set(n, i));
  take({ revision: Math.min(latest.revision, history.revision) });
  study.total = study.info.trials;
  count.textContent = study.total + " trials";
  redrawHistory();
  await buildTable(tableBox, latest.trials);
  loadFigures();
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    poll().catch(() => {}).finally(() => { busy = false; });
  }, 1000);
}
