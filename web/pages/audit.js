// The audit trail: GET /api/v1/audit with filters and paging (kept in the address, e.g.
// `#/audit?tool_name=fs__read&status=error`), a live tail of /api/v1/audit/stream that prepends
// new records the filters let through, a detail dialog with the redacted parameters, and exports
// of the filtered records as CSV or JSON Lines.
import { api, clearFormErrors, download, h, showFormError, stream } from "../api.js";

const STATUSES = ["ok", "error", "denied", "timeout", "cancelled", "approval_denied", "approval_timeout"];
const STATUS_CLASS = {
  ok: "ok", error: "bad", timeout: "bad", denied: "warn", approval_denied: "warn", approval_timeout: "warn",
  cancelled: "muted",
};
const FILTERS = ["workspace_id", "tool_name", "status", "after", "before"];
const PAGE_SIZES = [25, 50, 100, 200];
// The detail dialog lists every field of a record, in this order; fields it does not know follow.
const FIELD_ORDER = [
  "id", "created_at", "status", "tool_name", "method", "decision", "error_code", "error_message", "workspace_name",
  "workspace_id", "client_root", "client_name", "session_id", "request_id", "server_name", "server_id",
  "auth_scope_id", "rule_id", "approval_id", "latency_ms", "latency_us", "cache_hit", "params_bytes", "result_bytes",
];
const DEFAULT_LIMIT = 50;

export async function render(view) {
  const state = fromAddress();
  let records = [];
  let total = 0;
  let shown = new Set();
  let loading = null; // records that arrived live while a page was loading
  let generation = 0;
  let alive = true;
  let stopTail = null;
  let missed = 0; // live records not shown because a later page is open
  let opener = null;

  // ---- filters -------------------------------------------------------------------------------
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  const workspaceSelect = h("select", { id: "audit-workspace", name: "workspace_id" }, h("option", { value: "" }, "All workspaces"));
  const toolInput = h("input", { id: "audit-tool", name: "tool_name", type: "text", list: "audit-tool-names", autocomplete: "off",
    spellcheck: "false", placeholder: "e.g. fs__read_file" });
  const toolNames = h("datalist", { id: "audit-tool-names" });
  const statusSelect = h("select", { id: "audit-status", name: "status" }, h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s }, s.replace(/_/g, " "))));
  const afterInput = h("input", { id: "audit-after", name: "after", type: "datetime-local", step: "1" });
  const beforeInput = h("input", { id: "audit-before", name: "before", type: "datetime-local", step: "1" });
  const limitSelect = h("select", { id: "audit-limit", name: "limit" }, PAGE_SIZES.map((n) => h("option", { value: n }, String(n))));
  const form = h("form", { class: "inline filters", role: "search", "aria-label": "Filter audit records", novalidate: true },
    field("audit-workspace", "Workspace", workspaceSelect),
    field("audit-tool", "Tool", toolInput), toolNames,
    field("audit-status", "Status", statusSelect),
    field("audit-after", "After", afterInput),
    field("audit-before", "Before", beforeInput),
    field("audit-limit", "Per page", limitSelect),
    h("div", { class: "field buttons" },
      h("button", { type: "submit", class: "primary" }, "Apply"),
      h("button", { type: "button", onclick: clearFilters }, "Clear")),
    h("p", { class: "form-error", role: "alert" }));

  // ---- toolbar, table, paging ----------------------------------------------------------------
  // Turned back on, the tail reloads the page first: records written while it was off are not streamed.
  const onToggle = () => {
    setLive(liveToggle.checked);
    if (liveToggle.checked) load();
  };
  const liveToggle = h("input", { id: "audit-live", type: "checkbox", role: "switch", checked: true, onchange: onToggle });
  const liveState = h("span", { class: "muted", id: "audit-live-state" }, "connecting…");
  const exportStatus = h("span", { class: "export-status", role: "status" });
  const exportCsv = h("button", { type: "button", id: "audit-export-csv", onclick: () => exportAs("csv", exportCsv) }, "Export CSV");
  const exportJsonl = h("button", { type: "button", id: "audit-export-jsonl", onclick: () => exportAs("jsonl", exportJsonl) }, "Export JSON Lines");
  const missedNotice = h("p", { class: "notice", hidden: true });
  // The count changes with every live record: only the result of a load is announced.
  const summary = h("p", { class: "muted", id: "audit-summary", "aria-live": "off" }, "Loading…");
  const announcer = h("p", { class: "visually-hidden", role: "status" });
  const failure = h("p", { class: "form-error", role: "alert" });
  const tbody = h("tbody", { id: "audit-rows" });
  const previous = h("button", { type: "button", onclick: () => page(-1) }, "Previous");
  const next = h("button", { type: "button", onclick: () => page(1) }, "Next");
  const dialog = h("dialog", { class: "detail", id: "audit-detail", "aria-labelledby": "audit-detail-title" });

  view.append(
    h("h1", {}, "Audit"),
    form,
    h("div", { class: "toolbar" },
      h("div", { class: "toggle" }, liveToggle, h("label", { for: "audit-live" }, "Live tail"), liveState),
      h("div", { class: "toolbar-actions" }, exportCsv, exportJsonl, exportStatus)),
    missedNotice,
    failure,
    h("div", { "aria-live": "off" },
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "audit-table-caption", tabindex: "0" },
        h("table", { class: "audit" },
          h("caption", { id: "audit-table-caption", class: "visually-hidden" }, "Audit records, newest first"),
          h("thead", {}, h("tr", {},
            ["Time", "Tool", "Status", "Workspace", "Server", "Client", "Latency", "Details"].map((label) =>
              h("th", { scope: "col", class: label === "Latency" ? "num" : null }, label)))),
          tbody))),
    h("nav", { class: "pager", "aria-label": "Pages" }, previous, summary, next),
    announcer,
    dialog,
  );
  fillForm();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    applyForm();
  });
  // Selects and dates apply as soon as they change; the tool name applies on Enter or Apply.
  for (const control of [workspaceSelect, statusSelect, afterInput, beforeInput, limitSelect]) {
    control.addEventListener("change", applyForm);
  }

  // ---- loading -------------------------------------------------------------------------------
  function query({ paging = true } = {}) {
    const params = new URLSearchParams();
    for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
    if (paging) {
      params.set("limit", String(state.limit));
      params.set("offset", String(state.offset));
    }
    return params;
  }

  async function load() {
    const mine = ++generation;
    loading ??= [];
    failure.textContent = "";
    summary.textContent = "Loading…";
    try {
      const result = await api("GET", `/api/v1/audit?${query()}`);
      if (!alive || mine !== generation) return;
      clearFormErrors(form);
      records = result.records;
      total = result.total;
      shown = new Set(records.map((r) => r.id));
      const arrived = loading;
      loading = null;
      missed = 0;
      tbody.replaceChildren(...records.map(row));
      // Records written while the page loaded that it does not hold yet, oldest first.
      for (const record of arrived) consider(record);
      learnToolNames(records);
      updateChrome();
      announcer.textContent = summary.textContent;
    } catch (error) {
      if (!alive || mine !== generation) return;
      loading = null;
      if (error.status === 401) return;
      summary.textContent = "";
      if (error.field) showFormError(form, error);
      else failure.textContent = `The audit records could not be loaded: ${error.message}`;
    }
  }

  function applyForm() {
    state.workspace_id = workspaceSelect.value;
    state.tool_name = toolInput.value.trim();
    state.status = statusSelect.value;
    state.after = fromLocalInput(afterInput.value);
    state.before = fromLocalInput(beforeInput.value);
    state.limit = Number(limitSelect.value) || DEFAULT_LIMIT;
    state.offset = 0;
    toAddress();
    load();
  }

  function clearFilters() {
    for (const name of FILTERS) state[name] = "";
    state.offset = 0;
    fillForm();
    clearFormErrors(form);
    toAddress();
    load();
  }

  function fillForm() {
    workspaceSelect.value = state.workspace_id;
    toolInput.value = state.tool_name;
    statusSelect.value = state.status;
    afterInput.value = toLocalInput(state.after);
    beforeInput.value = toLocalInput(state.before);
    limitSelect.value = String(state.limit);
  }

  function toAddress() {
    const params = query();
    if (state.offset === 0) params.delete("offset");
    if (state.limit === DEFAULT_LIMIT) params.delete("limit");
    const text = params.toString();
    // replaceState: no hashchange, so the page is not rebuilt (and the live tail keeps going).
    history.replaceState(null, "", `#/audit${text ? `?${text}` : ""}`);
  }

  function page(direction) {
    const offset = Math.max(0, state.offset + direction * state.limit);
    if (offset === state.offset || (direction > 0 && offset >= total)) return;
    state.offset = offset;
    toAddress();
    load();
  }

  function updateChrome() {
    const first = records.length ? state.offset + 1 : 0;
    if (records.length) summary.textContent = `Records ${count(first)}–${count(state.offset + records.length)} of ${count(total)}`;
    else if (total) summary.textContent = `No records on this page (${count(total)} in all)`;
    else summary.textContent = filtered() ? "No records match these filters." : "No records yet.";
    previous.disabled = state.offset === 0;
    next.disabled = state.offset + records.length >= total;
    missedNotice.hidden = missed === 0;
    missedNotice.replaceChildren(
      `${count(missed)} new ${missed === 1 ? "record" : "records"} since this page was loaded. `,
      h("button", { type: "button", class: "link", onclick: showNewest }, "Show the newest"));
  }

  function showNewest() {
    state.offset = 0;
    toAddress();
    load();
  }

  function filtered() {
    return FILTERS.some((name) => state[name]);
  }

  // ---- live tail -----------------------------------------------------------------------------
  function setLive(on) {
    stopTail?.();
    stopTail = null;
    if (!on) {
      liveState.textContent = "paused";
      return;
    }
    liveState.textContent = "connecting…";
    stopTail = stream("/api/v1/audit/stream", ({ event, data }) => {
      if (event !== "audit" || !data || typeof data !== "object") return;
      if (loading) loading.push(data);
      else consider(data);
    }, {
      onState: (s) => {
        liveState.textContent = s === "open" ? "live" : s === "reconnecting" ? "reconnecting…" : s;
      },
    });
  }

  /** A record from the stream: shown at the top when the filters let it through and page 1 is open. */
  function consider(record) {
    if (!alive || shown.has(record.id) || !matches(record)) return;
    shown.add(record.id);
    total += 1;
    if (state.offset > 0) {
      missed += 1;
      updateChrome();
      return;
    }
    records.unshift(record);
    const fresh = row(record);
    fresh.classList.add("fresh");
    tbody.prepend(fresh);
    while (records.length > state.limit) {
      records.pop();
      tbody.lastElementChild?.remove();
    }
    learnToolNames([record]);
    updateChrome();
  }

  function matches(record) {
    if (state.workspace_id && record.workspace_id !== state.workspace_id) return false;
    if (state.tool_name && record.tool_name !== state.tool_name) return false;
    if (state.status && record.status !== state.status) return false;
    const at = Date.parse(record.created_at);
    if (state.after && !(at > Date.parse(state.after))) return false;
    if (state.before && !(at < Date.parse(state.before))) return false;
    return true;
  }

  // ---- rows and the detail dialog --------------------------------------------------------------
  function row(record) {
    const time = formatTime(record.created_at);
    // A click anywhere on the row opens it too (not when selecting text); the button is for keyboards.
    const onclick = (event) => {
      if (event.target.closest("button, a") || window.getSelection()?.toString()) return;
      openDetail(record, event.currentTarget.querySelector("button.details"));
    };
    return h("tr", { "data-id": record.id, onclick },
      h("td", { class: "nowrap" }, h("time", { datetime: record.created_at, title: new Date(record.created_at).toLocaleString() }, time)),
      h("td", {}, h("code", {}, record.tool_name),
        record.method && record.method !== "tools/call" ? h("span", { class: "muted" }, ` ${record.method}`) : null),
      h("td", {}, statusLabel(record.status),
        record.error_message ? h("div", { class: "muted error-line", title: record.error_message }, record.error_message) : null),
      h("td", {}, record.workspace_name || h("span", { class: "muted" }, "—")),
      h("td", {}, record.server_name || h("span", { class: "muted" }, "—")),
      h("td", {}, record.client_name || h("span", { class: "muted" }, "—")),
      h("td", { class: "num nowrap" }, ms(record.latency_ms), record.cache_hit ? h("span", { class: "muted" }, " (cached)") : null),
      h("td", {}, h("button", {
        type: "button", class: "details", "aria-haspopup": "dialog", "aria-label": `Details of ${record.tool_name} at ${time}`,
        onclick: (event) => openDetail(record, event.currentTarget),
      }, "Details")));
  }

  function openDetail(record, from) {
    opener = from || null;
    const rank = (name) => (FIELD_ORDER.includes(name) ? FIELD_ORDER.indexOf(name) : FIELD_ORDER.length);
    const fields = Object.entries(record)
      .filter(([name]) => name !== "params")
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
    dialog.replaceChildren(h("div", { class: "detail-body" },
      h("div", { class: "detail-head" },
        h("h2", { id: "audit-detail-title" }, "Call ", h("code", {}, record.tool_name)),
        h("button", { type: "button", class: "close", onclick: () => dialog.close() }, "Close")),
      h("dl", { class: "fields" },
        fields.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, fieldValue(name, value))))),
      h("h3", {}, "Parameters ", h("span", { class: "muted" }, "(redacted)")),
      record.params == null
        ? h("p", { class: "muted" }, "No parameters were recorded.")
        : h("pre", { class: "params", tabindex: "0", "aria-label": "Parameters" }, h("code", {}, JSON.stringify(record.params, null, 2)))));
    dialog.showModal();
    dialog.querySelector("button.close").focus();
  }

  dialog.addEventListener("close", () => {
    const target = opener?.isConnected ? opener : tbody.querySelector(`tr[data-id] button.details`);
    opener = null;
    target?.focus();
  });
  // A click on the backdrop (the dialog element itself, outside its padded body) closes it.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });

  // ---- export ----------------------------------------------------------------------------------
  async function exportAs(format, button) {
    const params = query({ paging: false });
    params.set("format", format);
    const name = `junction-audit.${format}`;
    button.disabled = true;
    exportStatus.className = "export-status muted";
    exportStatus.textContent = `Preparing ${name}…`;
    try {
      const { blob } = await download(`/api/v1/audit/export?${params}`);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      // The download has started from the object URL; release it once the browser had it.
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      exportStatus.className = "export-status ok";
      exportStatus.textContent = `Downloaded ${name} (${bytes(blob.size)}${filtered() ? ", filtered" : ""}).`;
    } catch (error) {
      if (error.status === 401) return;
      exportStatus.className = "export-status bad";
      exportStatus.textContent = `Export failed: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  // ---- start -----------------------------------------------------------------------------------
  function learnToolNames(list) {
    const known = new Set([...toolNames.options].map((o) => o.value));
    for (const record of list) {
      if (record.tool_name && !known.has(record.tool_name)) {
        known.add(record.tool_name);
        toolNames.append(h("option", { value: record.tool_name }));
      }
    }
  }

  api("GET", "/api/v1/workspaces")
    .then((list) => {
      if (!alive || !Array.isArray(list)) return;
      workspaceSelect.append(...list.map((w) => h("option", { value: w.id }, w.name)));
      workspaceSelect.value = state.workspace_id;
    })
    .catch(() => {
      /* the list still works without the workspace names */
    });
  api("GET", "/api/v1/tools?limit=1000")
    .then((result) => alive && learnToolNames((result?.tools || []).map((t) => ({ tool_name: t.name }))))
    .catch(() => {
      /* completion is a nicety */
    });

  setLive(true);
  await load();

  return () => {
    alive = false;
    stopTail?.();
    if (dialog.open) dialog.close();
  };
}

// ---- the address -------------------------------------------------------------------------------

function fromAddress() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const state = { limit: DEFAULT_LIMIT, offset: 0 };
  for (const name of FILTERS) state[name] = params.get(name) || "";
  if (state.status && !STATUSES.includes(state.status)) state.status = "";
  const limit = Number(params.get("limit"));
  if (PAGE_SIZES.includes(limit)) state.limit = limit;
  const offset = Number(params.get("offset"));
  if (Number.isInteger(offset) && offset > 0) state.offset = offset;
  return state;
}

// ---- formatting --------------------------------------------------------------------------------

/** `datetime-local` holds local wall time; the API wants an instant. */
function fromLocalInput(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function formatTime(iso) {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function statusLabel(status) {
  return h("span", { class: `status ${STATUS_CLASS[status] || ""}`.trim(), "data-status": status }, String(status).replace(/_/g, " "));
}

function fieldValue(name, value) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "—");
  if (name.endsWith("_at")) return h("time", { datetime: value }, `${new Date(value).toLocaleString()} (${value})`);
  if (name === "status") return statusLabel(value);
  if (typeof value === "object") return h("code", {}, JSON.stringify(value));
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (name === "latency_ms") return ms(value);
  return h("code", {}, String(value));
}

const numberFormat = new Intl.NumberFormat();

function count(n) {
  return numberFormat.format(n ?? 0);
}

function ms(value) {
  if (value == null) return "—";
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
