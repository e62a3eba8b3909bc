"""The live fleet view: one page (no outside resources) fed by server-sent events, and the routes that serve it.

``GET /fleet`` is the page; ``GET /admin/fleet/stream`` pushes snapshots and ``GET /admin/fleet/device/NAME``
gives one device's timeline, both behind the admin API's authentication on a served controller. The page
reads a token from its URL's fragment (``/fleet#token=...``, never sent to the server in the URL) and sends
it as a bearer token; it reads the stream with ``fetch`` so that the header can be set.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, StreamingResponse

from evesim.controller.fleetview import PHASES, FleetSource, stream

COLORS = {"off": "#8c959f", "booting": "#d4a72c", "onboarding": "#54aeff", "running": "#2da44e",
          "downloading": "#8250df", "updating": "#bf8700", "testing": "#fb8f44", "rolled back": "#cf222e",
          "bricked": "#24292f"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evesim fleet</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2em 2em; color: #1d232a; }
h1 { font-size: 1.4em; margin: 0 0 0.3em; } h2 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
#clock { color: #57606a; } #status { float: right; color: #57606a; }
.counts { display: flex; flex-wrap: wrap; gap: 0.6em; }
.count { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4em 0.8em; min-width: 6.5em; }
.count b { display: block; font-size: 1.6em; font-variant-numeric: tabular-nums; }
.dot { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%; margin-right: 0.3em; }
#grid { display: flex; flex-wrap: wrap; gap: 3px; max-width: 1100px; }
#grid span { width: 12px; height: 12px; border-radius: 2px; cursor: pointer; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: 0.2em 0.6em; text-align: left; }
#timeline { max-height: 24em; overflow: auto; } .muted { color: #57606a; }
</style></head>
<body>
<div id="status">connecting</div>
<h1>evesim fleet</h1>
<div id="clock">-</div>
<h2>Devices by phase (<span id="total">0</span>)</h2>
<div class="counts" id="counts"></div>
<h2>Devices</h2><div id="grid"></div><div id="more" class="muted"></div>
<h2>Ports</h2><div id="ports" class="muted">none reported</div>
<h2>Rollout campaigns</h2><div id="campaigns" class="muted">none</div>
<h2>Faults</h2><div id="faults" class="muted">none so far</div>
<h2>Timeline: <span id="device">click a device</span></h2><div id="timeline"></div>
<script>
const PHASES = __PHASES__;
const COLORS = __COLORS__;
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = token ? {Authorization: "Bearer " + token} : {};
const el = (id) => document.getElementById(id);
function text(tag, value, attrs) {
  const node = document.createElement(tag);
  node.textContent = value;
  Object.assign(node, attrs || {});
  return node;
}
function table(columns, rows) {
  const t = document.createElement("table");
  const head = t.insertRow();
  columns.forEach((c) => head.appendChild(text("th", c)));
  rows.forEach((r) => { const tr = t.insertRow(); r.forEach((v) => tr.insertCell().textContent = v); });
  return t;
}
function counts(snapshot) {
  el("total").textContent = snapshot.total;
  const box = el("counts");
  if (!box.children.length) {
    PHASES.forEach((phase) => {
      const card = document.createElement("div");
      card.className = "count";
      card.dataset.phase = phase;
      card.appendChild(text("b", "0"));
      const label = text("span", phase);
      label.prepend(text("span", "", {className: "dot"}));
      label.firstChild.style.background = COLORS[phase];
      card.appendChild(label);
      box.appendChild(card);
    });
  }
  PHASES.forEach((phase, i) => box.children[i].firstChild.textContent = snapshot.phases[phase] || 0);
}
function grid(snapshot) {
  const box = el("grid");
  while (box.children.length > snapshot.devices.length) box.lastChild.remove();
  snapshot.devices.forEach((d, i) => {
    let cell = box.children[i];
    if (!cell) {
      cell = text("span", "");
      cell.onclick = () => timeline(cell.dataset.name);
      box.appendChild(cell);
    }
    cell.title = d.name + ": " + d.phase + (d.version ? " " + d.version : "")
      + (d.ports.length ? " · " + d.ports.map((p) => p[0] + " " + (p[1] || "no address")).join(", ") : "");
    cell.style.background = COLORS[d.phase];
    cell.dataset.name = d.name;
    cell.dataset.phase = d.phase;
  });
  const hidden = snapshot.total - snapshot.devices.length;
  el("more").textContent = hidden > 0 ? "and " + hidden + " more (counted above)" : "";
}
function sparkline(points) {
  const ns = "http://www.w3.org/2000/svg", w = 160, h = 36;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h);
  if (points.length) {
    const t0 = points[0].t, span = Math.max(points[points.length - 1].t - t0, 1);
    const path = points.map((p, i) => (i ? "L" : "M") + ((p.t - t0) / span * (w - 4) + 2).toFixed(1) + ","
      + ((1 - p.success) * (h - 4) + 2).toFixed(1)).join(" ");
    const line = document.createElementNS(ns, "path");
    line.setAttribute("d", path); line.setAttribute("fill", "none"); line.setAttribute("stroke", "#2da44e");
    line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
  }
  return svg;
}
function campaigns(snapshot) {
  const box = el("campaigns");
  if (!snapshot.campaigns.length) { box.textContent = "none"; return; }
  const t = table(["campaign", "version", "state", "batches", "updated", "failed", "not started", "failure rate",
                   "success rate over batches"],
    snapshot.campaigns.map((c) => [c.id, c.version, c.state + (c.reason ? " (" + c.reason + ")" : ""), c.batches,
      c.counts.updated, c.counts.failed + c.counts.timed_out, c.counts.not_started, c.failure_rate, ""]));
  snapshot.campaigns.forEach((c, i) => t.rows[i + 1].cells[8].appendChild(sparkline(c.success_over_time)));
  box.replaceChildren(t);
}
function ports(snapshot) {
  const box = el("ports");
  const names = Object.keys(snapshot.ports);
  if (!names.length) { box.textContent = "none reported"; return; }
  box.replaceChildren(table(["port", "devices with an address", "without"],
    names.map((n) => [n, snapshot.ports[n].up, snapshot.ports[n].down])));
}
function faults(snapshot) {
  const box = el("faults");
  if (!snapshot.faults.length) { box.textContent = "none so far"; return; }
  box.replaceChildren(table(["time", "device", "fault"], snapshot.faults.map((f) => [f.time, f.device, f.kind])));
}
async function timeline(name) {
  el("device").textContent = name;
  const answer = await fetch("/admin/fleet/device/" + encodeURIComponent(name), {headers});
  if (!answer.ok) { el("timeline").textContent = "no timeline (" + answer.status + ")"; return; }
  const events = await answer.json();
  el("timeline").replaceChildren(table(["time", "event", "fields"],
    events.slice().reverse().map((e) => [e.time, e.kind, e.fields])));
}
function show(snapshot) {
  el("clock").textContent = snapshot.clock.label + (snapshot.clock.done ? " (run finished)" : "");
  counts(snapshot); grid(snapshot); ports(snapshot); campaigns(snapshot); faults(snapshot);
}
async function follow() {
  while (true) {
    try {
      const answer = await fetch("/admin/fleet/stream", {headers});
      if (!answer.ok) { el("status").textContent = "refused (" + answer.status + ")"; return; }
      el("status").textContent = "live";
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\\n\\n")) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          const data = block.split("\\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("");
          if (data) show(JSON.parse(data));
        }
      }
    } catch (error) { /* the server went away: try again */ }
    el("status").textContent = "reconnecting";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
follow();
</script>
</body></html>
"""


def page() -> str:
    """The page, with the phases and their colours filled in."""
    return PAGE.replace("__PHASES__", json.dumps(list(PHASES))).replace("__COLORS__", json.dumps(COLORS))


def page_router() -> APIRouter:
    """``GET /fleet``: the page (it holds no data, so it needs no credentials)."""
    router = APIRouter(tags=["fleet view"])

    @router.get("/fleet", response_class=HTMLResponse, summary="The live fleet view (a page for a browser)")
    async def fleet_page() -> str:
        return page()

    return router


def add_data_routes(router: APIRouter, source: FleetSource, threaded: bool) -> None:
    """The page's data on ``router`` (mounted under ``/admin``): the snapshot stream and device timelines."""

    @router.get("/fleet/stream", summary="Fleet snapshots as server-sent events (text/event-stream)")
    async def fleet_stream() -> StreamingResponse:
        return StreamingResponse(stream(source, threaded), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @router.get("/fleet/devices", summary="Every device: name, UUID, phase, running version")
    async def fleet_devices() -> list[dict[str, object]]:
        return source.rows()

    @router.get("/fleet/device/{name}", summary="One device's recent events, for the fleet view")
    async def fleet_device(name: str) -> list[dict[str, object]]:
        events = source.timeline(name)
        if events is None:
            raise HTTPException(404, f"unknown device {name}")
        return events
