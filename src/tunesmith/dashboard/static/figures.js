// tunesmith dashboard: each figure drawn from the server's figure data (numbers only).
"use strict";

function stateMarkers(numbers, states, y, wanted, yaxis) {
  const xs = [], ys = [];
  numbers.forEach((n, i) => { if (states[i] === wanted) { xs.push(n); ys.push(y(i)); } });
  return { x: xs, y: ys, mode: "markers", name: wanted, yaxis: yaxis || "y",
    marker: { color: STATE_COLORS[wanted], size: 6, symbol: yaxis ? "x" : "circle" } };
}

// History: values of the COMPLETE trials, the best so far, and the other states as marks on a
// strip under the plot (they have no value to place them by).
function drawHistory(box, h, direction, title) {
  box.dataset.points = String(h.points);
  const done = stateMarkers(h.x, h.states, i => h.y[i], "COMPLETE");
  done.name = "value";
  const traces = [done, { x: h.x, y: h.best, mode: "lines", name: "best so far",
    line: { color: "#dd8452", shape: "hv" }, connectgaps: true }];
  for (const s of ["PRUNED", "FAIL", "RUNNING", "WAITING"]) {
    if (h.states.includes(s)) traces.push(stateMarkers(h.x, h.states, () => 0.5, s, "y2"));
  }
  const shown = h.x.length < h.points ? ` (${h.x.length} of ${h.points} shown)` : "";
  const layout = { margin: { t: 30 }, xaxis: { title: { text: "trial" } },
    yaxis: { title: { text: plotText(direction) }, domain: [0.12, 1] },
    yaxis2: { domain: [0, 0.07], range: [0, 1], showticklabels: false, showgrid: false,
      zeroline: false },
    title: { text: plotText(title || "History") + shown } };
  Plotly.react(box, traces, layout, PLOT_CONFIG);
}

function drawIntermediate(box, data) {
  if (!data.curves.length) { box.replaceChildren(el("p", "No trial reported intermediate values.")); return; }
  box.dataset.curves = String(data.curves.length);
  const traces = data.curves.map(c => ({ x: c.steps, y: c.values, mode: "lines",
    name: "#" + c.number + " " + c.state, showlegend: false,
    line: { color: STATE_COLORS[c.state] || "#4c72b0", dash: c.state === "PRUNED" ? "dot" : "solid",
      width: 1 } }));
  Plotly.react(box, traces, { margin: { t: 20 }, xaxis: { title: { text: "step" } },
    yaxis: { title: { text: "intermediate value" } } }, PLOT_CONFIG);
}

// Parallel coordinates as SVG lines (no WebGL needed): each trial a polyline over the axes at
// its unit coordinates (log-spaced on log axes, from the server), the objective last; lines in
// eight colour bands of the objective, the best band drawn on top.
function axisTicks(axis) {
  if (axis.scale === "categorical") return axis.categories.map((c, i) => [(i + 0.5) / axis.categories.length, c]);
  if (axis.scale === "log") {
    const out = [], lo = Math.log10(axis.low), hi = Math.log10(axis.high);
    for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) out.push([(k - lo) / (hi - lo || 1), "1e" + k]);
    return out;
  }
  return [[0, fmt(axis.low)], [1, fmt(axis.high)]];
}

function drawParallel(box, data) {
  const d = data.axes.length, n = data.numbers.length;
  box.dataset.lines = String(n);
  const finite = data.values.filter(v => v !== null);
  const lo = Math.min(...finite), hi = Math.max(...finite), span = hi - lo || 1;
  const sign = data.direction === "maximize" ? -1 : 1, bands = 8, colors = [];
  for (let b = 0; b < bands; b++) colors.push(`hsl(${220 - 200 * b / (bands - 1)}, 70%, 45%)`);
  const traces = colors.map((c, b) => ({ x: [], y: [], mode: "lines", hoverinfo: "skip",
    showlegend: false, line: { color: c, width: 1 }, opacity: 0.6, band: b }));
  for (let i = 0; i < n; i++) {
    if (data.values[i] === null) continue;
    const good = sign > 0 ? (hi - data.values[i]) / span : (data.values[i] - lo) / span;
    const t = traces[Math.min(bands - 1, Math.floor(good * bands))];
    for (let j = 0; j < d; j++) { t.x.push(j); t.y.push(data.unit[j][i]); }
    t.x.push(d, null); t.y.push((data.values[i] - lo) / span, null);
  }
  const annotations = [];
  data.axes.forEach((axis, j) => {
    for (const [y, text] of axisTicks(axis))
      annotations.push({ x: j, y, text: plotText(text), showarrow: false, xanchor: "right", font: { size: 10 } });
  });
  annotations.push({ x: d, y: 0, text: fmt(lo), showarrow: false, xanchor: "right", font: { size: 10 } },
    { x: d, y: 1, text: fmt(hi), showarrow: false, xanchor: "right", font: { size: 10 } });
  const names = [...data.axes.map(a => plotText(a.name + (a.scale === "log" ? " (log)" : ""))), "objective"];
  const layout = { margin: { t: 10, l: 40, r: 20 }, annotations,
    xaxis: { tickvals: names.map((_, j) => j), ticktext: names, range: [-0.3, d + 0.1],
      showgrid: true, gridcolor: "#888", zeroline: false },
    yaxis: { range: [-0.05, 1.05], showticklabels: false, showgrid: false, zeroline: false } };
  Plotly.react(box, traces, layout, PLOT_CONFIG);
}

function drawSlice(box, data) {
  box.replaceChildren();
  for (const p of data.panels) {
    const panel = el("div", null, "panel"); panel.dataset.param = p.axis.name;
    box.append(panel);
    Plotly.react(panel, [{ x: p.x, y: p.y, mode: "markers", text: p.numbers.map(n => "#" + n),
      marker: { color: p.numbers, colorscale: "Blues", size: 5 } }],
      { margin: { t: 10, l: 50, r: 10, b: 50 }, xaxis: paramAxis(p.axis),
        yaxis: { title: { text: "objective" } } }, PLOT_CONFIG);
  }
}

function drawContour(box, data) {
  box.dataset.pair = data.params.join(",");
  const traces = [
    { type: "contour", x: data.grid_x, y: data.grid_y, z: data.grid_z, colorscale: "Viridis",
      reversescale: data.direction === "maximize", connectgaps: false },
    { x: data.x, y: data.y, mode: "markers", name: "trials", showlegend: false,
      marker: { color: "#fff", line: { color: "#000", width: 1 }, size: 6 } },
  ];
  Plotly.react(box, traces, { margin: { t: 10 }, xaxis: paramAxis(data.x_axis),
    yaxis: paramAxis(data.y_axis) }, PLOT_CONFIG);
}

function drawPareto(box, data) {
  const pick = (k, front) => data.values[k].filter((_, i) => data.on_front[i] === front);
  const names = data.directions.map((d, k) => "objective " + data.objectives[k] + " (" + d + ")");
  const three = data.values.length === 3;
  const trace = (front) => ({
    type: three ? "scatter3d" : "scatter", mode: "markers", name: front ? "Pareto front" : "dominated",
    x: pick(0, front), y: pick(1, front), ...(three ? { z: pick(2, front) } : {}),
    marker: { color: front ? "#c44e52" : "#9aa7b8", size: front ? 7 : 4 },
  });
  box.dataset.front = String(data.on_front.filter(Boolean).length);
  const layout = three ? { scene: { xaxis: { title: { text: names[0] } },
    yaxis: { title: { text: names[1] } }, zaxis: { title: { text: names[2] } } }, margin: { t: 10 } }
    : { margin: { t: 10 }, xaxis: { title: { text: names[0] } }, yaxis: { title: { text: names[1] } } };
  Plotly.react(box, [trace(false), trace(true)], layout, PLOT_CONFIG);
}

function drawEdf(box, data) {
  box.dataset.curves = String(data.curves.length);
  const traces = data.curves.map(c => ({ x: c.values, y: c.fraction, mode: "lines",
    name: plotText(c.name), line: { shape: "hv" } }));
  Plotly.react(box, traces, { margin: { t: 10 },
    xaxis: { title: { text: "objective value (" + data.direction + ")" } },
    yaxis: { title: { text: "share of completed trials ≤ value" }, range: [0, 1.02] } }, PLOT_CONFIG);
}

function drawTimeline(box, data) {
  const traces = Object.keys(STATE_COLORS).filter(s => data.states.includes(s)).map(s => {
    const rows = data.numbers.map((_, i) => i).filter(i => data.states[i] === s && data.start[i] !== null);
    return { type: "bar", orientation: "h", name: s, y: rows.map(i => data.numbers[i]),
      base: rows.map(i => data.start[i]), x: rows.map(i => Math.max(data.finish[i] - data.start[i], 1e-3)),
      marker: { color: STATE_COLORS[s] } };
  });
  box.dataset.states = traces.map(t => t.name).join(",");
  Plotly.react(box, traces, { margin: { t: 10 }, barmode: "overlay",
    xaxis: { title: { text: "seconds since the first start" } }, yaxis: { title: { text: "trial" } } },
    PLOT_CONFIG);
}

function drawImportance(box, data) {
  const rows = [...data.params].reverse();
  box.dataset.params = data.params.map(p => p.name).join(",");
  Plotly.react(box, [{ type: "bar", orientation: "h", y: rows.map(p => plotText(p.name)),
    x: rows.map(p => p.mean), error_x: { type: "data", array: rows.map(p => p.std), visible: true },
    marker: { color: "#4c72b0" } }],
  { margin: { t: 30, l: 120 }, title: { text: data.method + ": share of the variance (± sd over fits)" },
    xaxis: { range: [0, 1], title: { text: "share" } } }, PLOT_CONFIG);
}
