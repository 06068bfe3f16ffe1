// tunesmith dashboard: several studies side by side (their histories, and their EDFs on one
// axis), redrawn when one of them changes (the study list's revisions tell).
"use strict";

const overlay = { ids: [], revisions: "" };

async function loadOverlay() {
  const data = await getJSON(`/api/overlay?ids=${overlay.ids.join(",")}&max_points=1000`);
  overlay.revisions = data.studies.map(s => s.revision).join(",");
  document.body.dataset.revision = overlay.revisions;
  const grid = document.getElementById("histories");
  grid.replaceChildren();
  for (const s of data.studies) {
    const box = el("div", null, "chart small"); box.dataset.study = String(s.id);
    box.id = "history-" + s.id; grid.append(box);
    drawHistory(box, s, s.directions[0], s.name);
  }
  const edf = document.getElementById("edf");
  if (data.edf.error) showError(edf, new Error(data.edf.error));
  else drawEdf(edf, data.edf);
}

async function pollOverlay() {
  const rows = await getJSON("/api/studies");
  const byId = new Map(rows.map(r => [r.id, r.revision]));
  const now = overlay.ids.map(i => byId.get(i)).join(",");
  if (now !== overlay.revisions) await loadOverlay();
}

async function showCompare(main) {
  overlay.ids = (new URLSearchParams(location.search).get("ids") || "").split(",")
    .filter(Boolean).map(Number);
  main.replaceChildren(el("h1", "Studies compared"));
  const names = (await getJSON("/api/studies")).filter(s => overlay.ids.includes(s.id));
  const list = el("ul"); list.id = "compared";
  for (const s of names) {
    const link = el("a", s.name); link.href = "/study/" + s.id;
    const item = el("li"); item.append(link); list.append(item);
  }
  const grid = el("div", null, "grid"); grid.id = "histories";
  main.append(list, el("h2", "Histories"), grid);
  section(main, "edf", "Empirical distribution (EDF)");
  await loadOverlay();
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    pollOverlay().catch(() => {}).finally(() => { busy = false; });
  }, 2000);
}
