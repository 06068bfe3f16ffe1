// tunesmith dashboard: the trial table (sort by a column, filter by state and by a parameter
// range, a failed trial's error and traceback on click) and, with --allow-writes, notes and
// enqueued points. Sorting and filtering run on the server over every trial.
"use strict";

const TABLE_ROWS = 200;
const STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"];
const table = { sort: "number", desc: true, rows: [], params: [], space: {}, latest: true,
  loading: null, again: false };

function tableQuery() {
  const states = STATES.filter(s => document.getElementById("filter-" + s).checked);
  const args = new URLSearchParams({ sort: table.sort, desc: table.desc ? "1" : "0",
    limit: String(TABLE_ROWS) });
  if (states.length < STATES.length) args.set("state", states.join(",") || "NONE");
  const param = document.getElementById("filter-param").value;
  if (param) {
    args.set("param", param);
    args.set("lo", document.getElementById("filter-lo").value.trim());
    args.set("hi", document.getElementById("filter-hi").value.trim());
  }
  return args;
}

async function reloadTable() {
  if (table.loading) { table.again = true; return table.loading; }
  const status = document.getElementById("table-status");
  table.loading = (async () => {
    try {
      const args = tableQuery();
      if (args.get("state") === "NONE") { table.rows = []; drawTable(0, study.total); return; }
      const page = await getJSON(`/api/studies/${study.info.id}/table?${args}`);
      table.rows = page.trials; table.latest = false;
      drawTable(page.matched, page.total);
    } catch (err) { status.textContent = "Could not filter: " + err.message; status.className = "error"; }
  })();
  await table.loading;
  table.loading = null;
  if (table.again) { table.again = false; await reloadTable(); }
}

function headerCell(label, key) {
  const th = el("th", label + (table.sort === key ? (table.desc ? " ▼" : " ▲") : ""));
  if (key) {
    th.className = "sortable"; th.dataset.sort = key;
    th.addEventListener("click", () => {
      table.desc = table.sort === key ? !table.desc : false; table.sort = key; reloadTable();
    });
  }
  return th;
}

function errorCell(t) {
  const cell = el("td");
  if (!t.error) return cell;
  const details = el("details");
  details.append(el("summary", t.error.split("\n")[0]), el("pre", t.error));
  if (t.traceback) details.append(el("pre", t.traceback, "traceback"));
  cell.append(details);
  return cell;
}

function noteCell(t) {
  const note = t.user_attrs && typeof t.user_attrs.note === "string" ? t.user_attrs.note : "";
  const cell = el("td"); const text = el("span", note, "note"); cell.append(text);
  if (!WRITES || t.state === "RUNNING" || t.state === "WAITING") return cell;
  const edit = el("button", "note", "small");
  edit.addEventListener("click", () => {
    const input = el("input"); input.value = note; input.className = "note-input";
    const save = el("button", "save", "small");
    save.addEventListener("click", async () => {
      try {
        await postJSON(`/api/studies/${study.info.id}/trials/${t.number}/note`, { note: input.value });
        t.user_attrs = { ...(t.user_attrs || {}), note: input.value };
        cell.replaceWith(noteCell(t));
      } catch (err) { cell.append(el("span", err.message, "error")); }
    });
    cell.replaceChildren(input, save);
  });
  cell.append(" ", edit);
  return cell;
}

// A trial's constraint values (each <= 0 when satisfied), marked when any is broken.
function constraintCell(t) {
  const values = Array.isArray(t.constraints) ? t.constraints : [];
  const broken = values.some(v => v > 0);
  return el("td", values.map(fmt).join(", "), "num" + (broken ? " infeasible" : ""));
}

function drawTable(matched, total) {
  const head = document.querySelector("#trials thead");
  const row = el("tr");
  const constrained = table.rows.some(t => Array.isArray(t.constraints));
  row.append(headerCell("#", "number"), headerCell("state", "state"), headerCell("value", "value"),
    ...(constrained ? [headerCell("constraints (≤ 0 holds)")] : []),
    ...table.params.map(p => headerCell(p, "param:" + p)), headerCell("duration", "duration"),
    headerCell("note"), headerCell("error"));
  head.replaceChildren(row);
  const body = document.querySelector("#trials tbody");
  body.replaceChildren();
  for (const t of table.rows) {
    const tr = body.insertRow(); tr.className = t.state; tr.dataset.number = String(t.number);
    tr.append(el("td", t.number, "num"), el("td", t.state),
      el("td", t.values ? t.values.map(fmt).join(", ") : "", "num"),
      ...(constrained ? [constraintCell(t)] : []),
      ...table.params.map(p => el("td", fmt(t.params[p]), "num")),
      el("td", t.started && t.finished ? fmt(t.finished - t.started) + " s" : "", "num"),
      noteCell(t), errorCell(t));
  }
  const status = document.getElementById("table-status"); status.className = "meta";
  status.textContent = `${table.rows.length} shown of ${matched} matching (${total} trials)`;
}

// A live update: the default view (latest first) takes the changed rows as they are; a sorted
// or filtered view asks the server again.
function tableChanged(trials) {
  if (!table.latest) { reloadTable(); return; }
  const byNumber = new Map(table.rows.map(t => [t.number, t]));
  for (const t of trials) byNumber.set(t.number, t);
  table.rows = [...byNumber.values()].sort((a, b) => b.number - a.number).slice(0, TABLE_ROWS);
  drawTable(study.total, study.total);
}

function filterControls() {
  const box = el("div", null, "controls"); box.id = "filters";
  for (const s of STATES) {
    const check = el("input"); check.type = "checkbox"; check.checked = true; check.id = "filter-" + s;
    const label = el("label", " " + s + " ", s); label.prepend(check); box.append(label);
  }
  const param = el("select"); param.id = "filter-param";
  param.append(el("option", "(any parameter)"));
  param.firstChild.value = "";
  const numeric = table.params.filter(p => !table.space[p] || table.space[p].kind !== "choice");
  for (const p of numeric) { const o = el("option", p); o.value = p; param.append(o); }
  const lo = el("input"); lo.id = "filter-lo"; lo.placeholder = "min"; lo.size = 8;
  const hi = el("input"); hi.id = "filter-hi"; hi.placeholder = "max"; hi.size = 8;
  const go = el("button", "Filter"); go.id = "filter-apply";
  go.addEventListener("click", () => reloadTable());
  box.append(param, lo, el("span", " ≤ parameter ≤ "), hi, go);
  return box;
}

function enqueueForm() {
  const form = el("div", null, "controls"); form.id = "enqueue";
  const inputs = {};
  for (const [name, dist] of Object.entries(table.space)) {
    let input;
    if (dist.kind === "choice") {
      input = el("select");
      dist.options.forEach((o, i) => { const opt = el("option", JSON.stringify(o)); opt.value = String(i); input.append(opt); });
    } else { input = el("input"); input.size = 8; input.placeholder = `${dist.low}…${dist.high}`; }
    input.dataset.param = name; inputs[name] = [input, dist];
    form.append(el("label", " " + name + " "), input);
  }
  const go = el("button", "Enqueue"); go.id = "enqueue-go";
  const result = el("span", "", "meta"); result.id = "enqueue-result";
  go.addEventListener("click", async () => {
    const params = {};
    for (const [name, [input, dist]] of Object.entries(inputs))
      params[name] = dist.kind === "choice" ? dist.options[Number(input.value)]
        : (input.value.trim() === "" ? null : Number(input.value));
    try {
      const answer = await postJSON(`/api/studies/${study.info.id}/enqueue`, { params });
      result.textContent = "Queued as trial " + answer.number; result.className = "meta";
    } catch (err) { result.textContent = err.message; result.className = "error"; }
  });
  form.append(go, result);
  return form;
}

async function buildTable(box, latest) {
  const space = await getJSON(`/api/studies/${study.info.id}/space`).catch(() => ({ space: {} }));
  table.space = space.space;
  const seen = new Set(Object.keys(table.space));
  for (const t of latest) for (const p of Object.keys(t.params)) seen.add(p);
  table.params = [...seen].sort();
  const grid = el("table"); grid.id = "trials"; grid.createTHead(); grid.createTBody();
  const status = el("div", "", "meta"); status.id = "table-status";
  box.replaceChildren(el("h2", "Trials"));
  if (WRITES && Object.keys(table.space).length) box.append(el("h3", "Enqueue a point"), enqueueForm());
  box.append(filterControls(), status, grid);
  table.rows = [...latest].sort((a, b) => b.number - a.number);
  drawTable(study.total, study.total);
}
