// The dashboard: one snapshot of GET /api/v1/dashboard for the chosen range (kept in the address,
// `#/dashboard?range=24h`, and in sessionStorage), drawn as cards, SVG charts and tables. It follows
// /events and fetches a new snapshot (at most every 2 s) when a call completes, a server changes
// or an approval moves, and every 30 s regardless.
import { api, h, relativeTime, stream } from "../api.js";

const RANGES = [
  { value: "1h", label: "1 hour", span: "the last hour" },
  { value: "6h", label: "6 hours", span: "the last 6 hours" },
  { value: "24h", label: "24 hours", span: "the last 24 hours" },
  { value: "7d", label: "7 days", span: "the last 7 days" },
];
const RANGE_KEY = "junction.dashboard.range";
const MIN_REFRESH_MS = 2000;
// A call's completed event is published when its audit record is queued; the writer commits it
// up to ~100 ms later. A snapshot fetched sooner than this after an event may not count it yet.
const SETTLE_MS = 250;
const POLL_MS = 30000;
const SVG_NS = "http://www.w3.org/2000/svg";

const STATE_CLASS = { running: "ok", starting: "warn", backoff: "warn", crash_loop: "bad", stopped: "muted" };
const STATUS_CLASS = {
  ok: "ok", error: "bad", timeout: "bad", denied: "warn", approval_denied: "warn", approval_timeout: "warn",
  cancelled: "muted",
};

export async function render(view) {
  let range = initialRange();
  let snapshot = null;
  let workspaces = new Map();
  let alive = true;
  let generation = 0;
  let lastRefresh = 0;
  let lastEvent = 0;
  let refreshTimer = null;
  let liveState = "connecting";
  const restarting = new Set();
  const restartResults = new Map();

  // ---- skeleton ------------------------------------------------------------------------------
  const rangeButtons = RANGES.map((r) =>
    h("button", { type: "button", "data-range": r.value, "aria-pressed": String(r.value === range), onclick: () => setRange(r.value) }, r.label),
  );
  // Changes with every snapshot: not announced (the page's main region is a polite live region).
  const status = h("p", { class: "muted dashboard-status", id: "dashboard-status", "aria-live": "off" }, "Loading…");
  const failure = h("p", { class: "form-error", role: "alert" });
  const cards = h("dl", { class: "cards", id: "dashboard-cards" });
  const callsChart = h("div", { class: "chart", id: "chart-calls" });
  const rateChart = h("div", { class: "chart", id: "chart-error-rate" });
  const latencyChart = h("div", { class: "chart", id: "chart-latency" });
  const tools = h("div", { id: "dashboard-tools" });
  const servers = h("div", { id: "dashboard-servers" });
  const sessions = h("div", { id: "dashboard-sessions" });
  const errors = h("div", { id: "dashboard-errors" });

  view.append(
    h("div", { class: "page-head" },
      h("h1", {}, "Dashboard"),
      h("div", { class: "segmented", role: "group", "aria-labelledby": "range-label" },
        h("span", { id: "range-label", class: "segmented-label" }, "Range"),
        rangeButtons)),
    status,
    failure,
    h("div", { "aria-live": "off", class: "dashboard" },
      h("h2", { class: "visually-hidden" }, "Summary"),
      cards,
      h("section", { "aria-labelledby": "calls-heading" }, h("h2", { id: "calls-heading" }, "Calls over time"), callsChart,
        h("ul", { class: "legend", "aria-hidden": "true" },
          h("li", {}, h("span", { class: "swatch bar-ok" }), "ok"),
          h("li", {}, h("span", { class: "swatch bar-denied" }), "denied"),
          h("li", {}, h("span", { class: "swatch bar-error" }), "errors"))),
      h("div", { class: "chart-pair" },
        h("section", { "aria-labelledby": "rate-heading" }, h("h2", { id: "rate-heading" }, "Error rate"), rateChart),
        h("section", { "aria-labelledby": "latency-heading" }, h("h2", { id: "latency-heading" }, "Average latency"), latencyChart)),
      h("section", { "aria-labelledby": "tools-heading" }, h("h2", { id: "tools-heading" }, "Tool leaderboard"), tools),
      h("section", { "aria-labelledby": "servers-heading" }, h("h2", { id: "servers-heading" }, "Downstream health"), servers),
      h("section", { "aria-labelledby": "sessions-heading" }, h("h2", { id: "sessions-heading" }, "Active sessions"), sessions),
      h("section", { "aria-labelledby": "errors-heading" }, h("h2", { id: "errors-heading" }, "Errors"), errors)),
  );

  // ---- data ----------------------------------------------------------------------------------
  async function refresh() {
    const mine = ++generation;
    const started = Date.now();
    lastRefresh = started;
    try {
      const next = await api("GET", `/api/v1/dashboard?range=${encodeURIComponent(range)}`);
      if (!alive || mine !== generation) return;
      snapshot = next;
      failure.textContent = "";
      draw();
      // An event just before this fetch may not be in it: look again once the throttle allows.
      if (lastEvent > started - SETTLE_MS) scheduleRefresh();
    } catch (error) {
      if (!alive || mine !== generation || error.status === 401) return;
      if (error.status === 503 && error.code === "busy") {
        // Many dashboards at once: the daemon asks this one to come back shortly. Keep what is
        // drawn and try again after the usual throttle.
        scheduleRefresh();
        return;
      }
      failure.textContent = `The dashboard could not be loaded: ${error.message}`;
      status.textContent = snapshot ? statusText() : "";
    }
  }

  /** At most one snapshot every MIN_REFRESH_MS, however many events arrive. */
  function scheduleRefresh() {
    if (refreshTimer || !alive) return;
    const wait = Math.max(SETTLE_MS, lastRefresh + MIN_REFRESH_MS - Date.now());
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, wait);
  }

  function setRange(value) {
    if (value === range) return;
    range = value;
    sessionStorage.setItem(RANGE_KEY, value);
    // replaceState: the address remembers the range without a hashchange re-rendering the page.
    history.replaceState(null, "", `#/dashboard?range=${value}`);
    for (const button of rangeButtons) button.setAttribute("aria-pressed", String(button.dataset.range === value));
    status.textContent = "Loading…";
    refresh();
  }

  function statusText() {
    const live = { open: "live", connecting: "connecting…", reconnecting: "reconnecting…" }[liveState] || liveState;
    const taken = new Date(snapshot.to).toLocaleTimeString();
    return `Showing ${spanOf(snapshot.range)} · updated ${taken} · ${live} · daemon up ${duration(snapshot.uptime_sec)}`;
  }

  // ---- drawing -------------------------------------------------------------------------------
  // What each part was last drawn from: a part whose data did not change is left alone, so a
  // refresh does not pull a button from under the pointer or rebuild tables for nothing.
  const drawnFrom = new Map();
  function changed(part, ...data) {
    const key = JSON.stringify(data);
    if (drawnFrom.get(part) === key) return false;
    drawnFrom.set(part, key);
    return true;
  }

  function draw() {
    if (!snapshot) return;
    status.textContent = statusText();
    withFocusKept(view, () => {
      if (changed("cards", snapshot.totals, snapshot.cache, snapshot.approvals, snapshot.sessions.active,
        snapshot.sessions.started_in_range)) cards.replaceChildren(...summaryCards(snapshot));
      if (changed("charts", snapshot.range, snapshot.time_series, snapshot.totals)) drawCharts();
      if (changed("tools", snapshot.range, snapshot.tool_leaderboard)) tools.replaceChildren(toolTable(snapshot));
      drawServers();
      if (changed("sessions", snapshot.sessions, [...workspaces])) sessions.replaceChildren(...sessionTable(snapshot, workspaces));
      if (changed("errors", snapshot.range, snapshot.errors)) errors.replaceChildren(errorTable(snapshot));
    });
  }

  function drawCharts() {
    if (!snapshot) return;
    callsChart.replaceChildren(callsSvg(snapshot, callsChart.clientWidth || 720));
    rateChart.replaceChildren(lineSvg(snapshot, rateChart.clientWidth || 360, errorRateSeries(snapshot)));
    latencyChart.replaceChildren(lineSvg(snapshot, latencyChart.clientWidth || 360, latencySeries(snapshot)));
  }

  function drawServers() {
    if (!changed("servers", snapshot.servers, snapshot.downstreams, [...restarting], [...restartResults])) return;
    withFocusKept(servers, () => servers.replaceChildren(serverTable(snapshot, restarting, restartResults, restart)));
  }

  async function restart(server) {
    restarting.add(server.id);
    restartResults.delete(server.id);
    drawServers();
    let result;
    try {
      const item = await api("POST", `/api/v1/downstreams/${encodeURIComponent(server.id)}/restart`);
      const entry = snapshot?.servers.find((s) => s.id === server.id);
      if (entry && item?.status) entry.status = item.status;
      result = { ok: true, text: `Restarted: ${stateText(item?.status)}` };
    } catch (error) {
      if (error.status === 401) return;
      result = { ok: false, text: error.message };
    } finally {
      restarting.delete(server.id);
    }
    if (!alive) return;
    restartResults.set(server.id, result);
    drawServers();
    scheduleRefresh();
  }

  // ---- live updates, timers, cleanup -----------------------------------------------------------
  let resizeFrame = 0;
  let drawnWidth = callsChart.clientWidth;
  const onResize = () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => {
      if (callsChart.clientWidth !== drawnWidth) {
        drawnWidth = callsChart.clientWidth;
        drawCharts();
      }
    });
  };
  window.addEventListener("resize", onResize);

  const stopEvents = stream(
    "/events",
    ({ event }) => {
      if (event === "activity.tool_call.completed" || event === "servers.changed" || event.startsWith("approval.")) {
        lastEvent = Date.now();
        scheduleRefresh();
      }
    },
    {
      onState: (state) => {
        const reconnected = liveState === "reconnecting" && state === "open";
        liveState = state;
        if (snapshot) status.textContent = statusText();
        if (reconnected) scheduleRefresh();
      },
    },
  );
  const poll = setInterval(refresh, POLL_MS);
  // "3 s ago" keeps counting between snapshots: only the text of the times changes.
  const clock = setInterval(() => {
    for (const time of view.querySelectorAll("time[data-relative]")) time.textContent = relativeTime(time.dateTime);
  }, 5000);

  api("GET", "/api/v1/workspaces")
    .then((list) => {
      if (!alive || !Array.isArray(list)) return;
      workspaces = new Map(list.map((w) => [w.id, w.name]));
      draw();
    })
    .catch(() => {
      /* names are a nicety: ids are shown without them */
    });

  await refresh();

  return () => {
    alive = false;
    stopEvents();
    clearInterval(poll);
    clearInterval(clock);
    clearTimeout(refreshTimer);
    cancelAnimationFrame(resizeFrame);
    window.removeEventListener("resize", onResize);
  };
}

// ---- range -------------------------------------------------------------------------------------

function initialRange() {
  const query = location.hash.split("?")[1] || "";
  const wanted = new URLSearchParams(query).get("range") || sessionStorage.getItem(RANGE_KEY);
  return RANGES.some((r) => r.value === wanted) ? wanted : "1h";
}

function spanOf(value) {
  return RANGES.find((r) => r.value === value)?.span || value;
}

// ---- cards -------------------------------------------------------------------------------------

function summaryCards(s) {
  const t = s.totals;
  const route = s.cache?.route;
  const calls = s.cache?.tool_call;
  const card = (key, label, value, detail, valueClass) =>
    h("div", { class: "card", "data-card": key },
      h("dt", {}, label),
      h("dd", { class: `value ${valueClass || ""}`.trim() }, value),
      detail ? h("dd", { class: "muted detail" }, detail) : null);
  const pending = s.approvals.pending;
  return [
    card("requests", "Requests", count(t.requests), `${count(t.cancelled)} cancelled · ${count(t.cache_hits)} from cache`),
    card("error-rate", "Error rate", percent(t.error_rate), `${count(t.errors)} errors · ${count(t.denied)} denied`,
      t.error_rate >= 0.05 ? "bad" : ""),
    card("p50", "p50 latency", ms(t.p50_latency_ms), t.avg_latency_ms == null ? "no calls" : `average ${ms(t.avg_latency_ms)}`),
    card("p95", "p95 latency", ms(t.p95_latency_ms), null),
    card("route-cache", "Route cache hits", route ? percent(route.hit_rate) : "—",
      route ? `${count(route.hits)} of ${count(route.hits + route.misses)} since start` : null),
    card("tool-cache", "Tool-call cache hits", calls ? percent(calls.hit_rate) : "—",
      calls ? `${count(calls.hits)} of ${count(calls.hits + calls.misses)} since start · ${count(calls.entries)} cached` : null),
    card("approvals", "Pending approvals", count(pending),
      pending > 0
        ? h("a", { href: "#/approvals" }, "Review on Approvals")
        : `${count(s.approvals.approved)} approved · ${count(s.approvals.denied)} denied in range`,
      pending > 0 ? "warn" : ""),
    card("sessions", "Active sessions", count(s.sessions.active), `${count(s.sessions.started_in_range)} started in range`),
  ];
}

// ---- charts ------------------------------------------------------------------------------------

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const MARGIN = { top: 10, right: 10, bottom: 24, left: 48 };

/** Ticks 0…top in round steps; `top` is at least `minimum` so a flat zero line still has a scale. */
function niceScale(max, minimum, integer) {
  const target = Math.max(max || 0, minimum);
  const raw = target / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw);
  if (integer) step = Math.max(1, Math.ceil(step));
  const top = Math.ceil(target / step - 1e-9) * step;
  const ticks = [];
  for (let value = 0; value <= top + step / 2; value += step) ticks.push(Number(value.toFixed(10)));
  return { top, ticks };
}

/** The frame every chart shares: y grid with labels, x labels under the first, middle and last buckets. */
function frame(s, width, height, scale, formatY) {
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const n = s.time_series.length || 1;
  const step = plotW / n;
  const x = (i) => MARGIN.left + i * step;
  const y = (value) => MARGIN.top + plotH - (value / scale.top) * plotH;
  const grid = svg("g", { class: "axis" },
    scale.ticks.map((tick) => [
      svg("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(tick), y2: y(tick) }),
      svg("text", { x: MARGIN.left - 6, y: y(tick), "text-anchor": "end", "dominant-baseline": "middle" }, formatY(tick)),
    ]));
  const labelCount = width < 420 ? 3 : 5;
  const indices = [...new Set(Array.from({ length: labelCount }, (_, k) => Math.round((k * (n - 1)) / (labelCount - 1))))];
  const xLabels = svg("g", { class: "axis" },
    indices.map((i, k) =>
      s.time_series[i]
        ? svg("text", { x: x(i) + step / 2, y: height - 6,
            "text-anchor": k === 0 ? "start" : k === indices.length - 1 ? "end" : "middle" },
          bucketLabel(s, s.time_series[i].t))
        : null));
  return { plotW, plotH, step, x, y, grid, xLabels };
}

function chartSvg(width, height, label, id, ...children) {
  return svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, "data-chart": id, class: "chart-svg" },
    svg("title", {}, label), ...children);
}

function callsSvg(s, width) {
  width = Math.max(280, Math.floor(width));
  const height = 200;
  const points = s.time_series;
  const peak = points.reduce((best, p) => (p.requests > (best?.requests ?? 0) ? p : best), null);
  const scale = niceScale(peak?.requests || 0, 1, true);
  const f = frame(s, width, height, scale, (v) => count(v));
  const barW = Math.max(1, f.step * 0.8);
  const bars = svg("g", { class: "bars" },
    points.map((p, i) => {
      if (!p.requests) return null;
      const errorsN = Math.min(p.errors, p.requests);
      const deniedN = Math.min(p.denied, p.requests - errorsN);
      const okN = p.requests - errorsN - deniedN;
      const x = f.x(i) + (f.step - barW) / 2;
      const segments = [];
      let base = 0;
      for (const [value, cls] of [[okN, "bar-ok"], [deniedN, "bar-denied"], [errorsN, "bar-error"]]) {
        if (value <= 0) continue;
        segments.push(svg("rect", { class: cls, x, width: barW, y: f.y(base + value), height: Math.max(0.5, f.y(base) - f.y(base + value)) }));
        base += value;
      }
      return svg("g", {},
        svg("title", {}, `${bucketLabel(s, p.t)}: ${plural(p.requests, "call")}, ${plural(p.errors, "error")}, ${p.denied} denied`),
        segments);
    }));
  const t = s.totals;
  const per = `Calls over ${spanOf(s.range)}, per ${bucketName(s.bucket_sec)}`;
  const label = t.requests
    ? `${per}: ${plural(t.requests, "call")}, ${plural(t.errors, "error")}, ${t.denied} denied; ` +
      `busiest ${bucketName(s.bucket_sec)} ${bucketLabel(s, peak.t)} with ${plural(peak.requests, "call")}.`
    : `${per}: no calls.`;
  return chartSvg(width, height, label, "calls", f.grid, bars, f.xLabels, t.requests ? null : emptyNote(width, height, "No calls in this range"));
}

function errorRateSeries(s) {
  const values = s.time_series.map((p) => (p.requests ? p.errors / p.requests : null));
  const worst = values.reduce((best, v, i) => (v != null && (best == null || v > values[best]) ? i : best), null);
  const label = s.totals.requests
    ? `Error rate over ${spanOf(s.range)}, per ${bucketName(s.bucket_sec)}: ${percent(s.totals.error_rate)} overall; ` +
      `highest ${percent(values[worst])} at ${bucketLabel(s, s.time_series[worst].t)}.`
    : `Error rate over ${spanOf(s.range)}: no calls.`;
  return {
    id: "error-rate", values, minimum: 0.01, label, empty: "No calls in this range",
    format: (v) => `${Number((v * 100).toFixed(2))}%`, describe: (v) => percent(v),
  };
}

function latencySeries(s) {
  const values = s.time_series.map((p) => p.avg_latency_ms ?? null);
  const slowest = values.reduce((best, v, i) => (v != null && (best == null || v > values[best]) ? i : best), null);
  const t = s.totals;
  const label = slowest != null
    ? `Average latency over ${spanOf(s.range)}, per ${bucketName(s.bucket_sec)}: p50 ${ms(t.p50_latency_ms)}, ` +
      `p95 ${ms(t.p95_latency_ms)}; slowest ${ms(values[slowest])} at ${bucketLabel(s, s.time_series[slowest].t)}.`
    : `Average latency over ${spanOf(s.range)}: no calls.`;
  return { id: "latency", values, minimum: 1, format: (v) => ms(v, true), describe: (v) => ms(v), label, empty: "No calls in this range" };
}

/** A line over the buckets; buckets without a value (null) leave a gap, a lone point is a dot. */
function lineSvg(s, width, series) {
  width = Math.max(260, Math.floor(width));
  const height = 160;
  const { values } = series;
  const max = values.reduce((m, v) => (v != null && v > m ? v : m), 0);
  const scale = niceScale(max, series.minimum, false);
  const f = frame(s, width, height, scale, series.format);
  const cx = (i) => f.x(i) + f.step / 2;
  let d = "";
  const dots = [];
  values.forEach((v, i) => {
    if (v == null) return;
    const joined = i > 0 && values[i - 1] != null;
    d += `${joined ? "L" : "M"}${cx(i).toFixed(1)},${f.y(v).toFixed(1)}`;
    const alone = !joined && (i === values.length - 1 || values[i + 1] == null);
    dots.push(svg("circle", { class: alone ? "dot" : "dot hover", cx: cx(i), cy: f.y(v), r: alone ? 2.5 : 2 },
      svg("title", {}, `${bucketLabel(s, s.time_series[i].t)}: ${series.describe(v)}`)));
  });
  const any = values.some((v) => v != null);
  return chartSvg(width, height, series.label, series.id, f.grid,
    d ? svg("path", { class: "line", d }) : null, svg("g", {}, dots), f.xLabels,
    any ? null : emptyNote(width, height, series.empty));
}

function emptyNote(width, height, text) {
  const x = (width + MARGIN.left - MARGIN.right) / 2;
  const y = (height - MARGIN.bottom + MARGIN.top) / 2;
  return svg("text", { class: "chart-empty", x, y, "text-anchor": "middle" }, text);
}

function bucketLabel(s, iso) {
  const date = new Date(iso);
  if (s.range === "7d") return date.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function bucketName(seconds) {
  if (seconds % 3600 === 0) return seconds === 3600 ? "hour" : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? "minute" : `${seconds / 60} minutes`;
  return `${seconds} s`;
}

// ---- tables ------------------------------------------------------------------------------------

function table(label, headers, rows) {
  return h("div", { class: "table-wrap", role: "region", "aria-label": label, tabindex: "0" },
    h("table", {},
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col", class: header.numeric ? "num" : null }, header.label ?? header)))),
      h("tbody", {}, rows)));
}

const num = (label) => ({ label, numeric: true });

function when(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: new Date(iso).toLocaleString(), "data-relative": true }, relativeTime(iso));
}

function toolTable(s) {
  if (!s.tool_leaderboard.length) return h("p", { class: "muted" }, `No tool calls in ${spanOf(s.range)}.`);
  return table("Tool leaderboard", ["Tool", "Server", num("Calls"), num("Errors"), num("Average"), num("p95"), "Last called"],
    s.tool_leaderboard.map((tool) =>
      h("tr", {},
        h("td", {}, h("code", {}, tool.tool_name)),
        h("td", {}, tool.downstream_name || h("span", { class: "muted" }, "—")),
        h("td", { class: "num" }, count(tool.calls)),
        h("td", { class: `num ${tool.errors ? "bad" : ""}`.trim() }, count(tool.errors)),
        h("td", { class: "num" }, ms(tool.avg_latency_ms)),
        h("td", { class: "num" }, ms(tool.p95_latency_ms)),
        h("td", {}, when(tool.last_called_at)))));
}

function stateText(status) {
  if (!status) return "unknown";
  let text = String(status.state || "unknown").replace(/_/g, " ");
  if (status.state === "backoff" && status.restart_in_sec != null) text += ` (retry in ${Math.ceil(status.restart_in_sec)} s)`;
  return text;
}

function stateLabel(status) {
  const cls = STATE_CLASS[status?.state] || "muted";
  return h("span", { class: `state ${cls}` }, h("span", { class: "state-dot", "aria-hidden": "true" }, "●"), " ", stateText(status));
}

function serverTable(s, restarting, results, restart) {
  if (!s.servers.length) return h("p", { class: "muted" }, "No downstream servers. Add one on ", h("a", { href: "#/servers" }, "Servers"), ".");
  const calls = new Map(s.downstreams.map((d) => [d.server_id, d]));
  return table("Downstream health", ["Server", "State", num("Instances"), num("Crashes"), num("Calls in range"), "Last error", "Action"],
    s.servers.map((server) => {
      const stat = calls.get(server.id);
      const busy = restarting.has(server.id);
      const result = results.get(server.id);
      const lastError = server.status?.last_error || stat?.last_error;
      return h("tr", { "data-server": server.name },
        h("td", {}, h("strong", {}, server.name), " ", h("span", { class: "muted" }, `${server.namespace}__`),
          server.enabled ? null : h("span", { class: "muted" }, " (disabled)")),
        h("td", {}, stateLabel(server.status)),
        h("td", { class: "num" }, count(server.status?.instances ?? 0)),
        h("td", { class: `num ${server.status?.crashes ? "bad" : ""}`.trim() }, count(server.status?.crashes ?? 0)),
        h("td", { class: "num" }, stat ? `${count(stat.calls)}${stat.errors ? ` (${count(stat.errors)} errors)` : ""}` : "0"),
        h("td", { class: "error-text" }, lastError || h("span", { class: "muted" }, "—")),
        h("td", { class: "actions" },
          h("button", { type: "button", "data-focus-key": `restart:${server.id}`, "aria-label": `Restart ${server.name}`,
            // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
            "aria-disabled": busy ? "true" : null, onclick: () => restarting.has(server.id) || restart(server) }, busy ? "Restarting…" : "Restart"),
          h("span", { class: `restart-result ${result ? (result.ok ? "ok" : "bad") : ""}`.trim(), role: result?.ok === false ? "alert" : "status" },
            result ? result.text : "")));
    }));
}

function sessionTable(s, workspaces) {
  const list = s.sessions.active_sessions || [];
  if (!list.length) return [h("p", { class: "muted" }, "No client is connected.")];
  const more = s.sessions.active > list.length ? h("p", { class: "muted" }, `The ${list.length} most recently seen of ${s.sessions.active}.`) : null;
  return [
    table("Active sessions", ["Client", "Transport", "Workspace", "Root", "Started", "Last seen"],
      list.map((session) =>
        h("tr", {},
          h("td", {}, session.client_name || h("span", { class: "muted" }, "unknown"),
            session.client_version ? h("span", { class: "muted" }, ` ${session.client_version}`) : null),
          h("td", {}, session.transport),
          h("td", {}, session.workspace_id ? workspaces.get(session.workspace_id) || session.workspace_id : h("span", { class: "muted" }, "none")),
          h("td", {}, session.client_root ? h("code", {}, session.client_root) : h("span", { class: "muted" }, "—")),
          h("td", {}, when(session.started_at)),
          h("td", {}, when(session.last_seen_at))))),
    more,
  ];
}

function errorTable(s) {
  if (!s.errors.length) return h("p", { class: "muted" }, `No failed or refused calls in ${spanOf(s.range)}.`);
  return table("Errors", ["Status", "Code", num("Count"), "Latest message", "Last seen"],
    s.errors.map((group) =>
      h("tr", {},
        h("td", {}, h("span", { class: STATUS_CLASS[group.status] || "" }, group.status.replace(/_/g, " "))),
        h("td", {}, group.error_code ?? h("span", { class: "muted" }, "—")),
        h("td", { class: "num" }, count(group.count)),
        h("td", { class: "error-text" }, group.last_message || h("span", { class: "muted" }, "—")),
        h("td", {}, when(group.last_at)))));
}

// ---- formatting and focus ----------------------------------------------------------------------

const numberFormat = new Intl.NumberFormat();

function count(n) {
  return numberFormat.format(n ?? 0);
}

function plural(n, word) {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

function percent(rate) {
  if (rate == null || Number.isNaN(rate)) return "—";
  if (rate === 0) return "0%";
  const value = rate * 100;
  if (value < 0.1) return "<0.1%";
  return `${value.toFixed(value < 10 ? 1 : 0)}%`;
}

function ms(value, short) {
  if (value == null) return "—";
  if (value >= 1000) return `${(value / 1000).toFixed(value >= 10000 ? 0 : 2)} s`;
  if (short) return `${Number(value.toFixed(2))} ms`;
  return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function duration(seconds) {
  if (seconds == null) return "—";
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

/** Redraws inside `container` without losing the keyboard focus of an element it replaces. */
function withFocusKept(container, redraw) {
  const active = document.activeElement;
  const key = container.contains(active) ? active?.dataset?.focusKey : null;
  redraw();
  if (key) container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
}
