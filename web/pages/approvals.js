// The approvals page: parked calls live over SSE, each with its arguments, a note, a "remember"
// choice and Approve / Deny; resolved ones move to "Recently resolved". New requests raise a
// desktop notification once the person has allowed them (asked on a click, never on load).
import { api, clearFormErrors, h, relativeTime, showFormError, stream } from "../api.js";

const RECENT = 20;

const STATUS_TEXT = {
  pending: "Pending",
  approved: "Approved",
  denied: "Denied",
  timed_out: "Timed out",
  cancelled: "Cancelled",
  expired: "Expired",
};
const STATUS_CLASS = { approved: "ok", denied: "bad", timed_out: "warn" };

const REMEMBER = [
  ["none", "Just this call"],
  ["session", "This session"],
  ["workspace", "This workspace"],
];

/** "4 min 05 s" until an ISO time; "now" once it has passed. */
function countdown(iso) {
  const seconds = Math.max(0, Math.round((new Date(iso).getTime() - Date.now()) / 1000));
  if (seconds === 0) return "now";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  if (minutes < 60) return `${minutes} min ${rest} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** relativeTime, but "just now" for the last few seconds (clocks and rounding disagree there). */
function ago(iso) {
  if (!iso) return "";
  return Math.abs(Date.now() - new Date(iso).getTime()) < 5000 ? "just now" : relativeTime(iso);
}

function absolute(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function prettyParams(params) {
  if (params === null || params === undefined) return "(no arguments)";
  return JSON.stringify(params, null, 2);
}

/** `dt`/`dd` pairs, skipping empty values. */
function facts(pairs) {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", { class: "facts" }, shown.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** "workspace A · claude-code": where a call came from. */
function origin(approval) {
  return [approval.workspace_name && `workspace ${approval.workspace_name}`, approval.client_name].filter(Boolean).join(" · ");
}

function statusLabel(status) {
  return h("span", { class: `status-pill ${STATUS_CLASS[status] || "muted"}` }, STATUS_TEXT[status] || status);
}

export async function render(view) {
  const cards = new Map(); // id → pending card element
  const resolvedIds = new Set();
  let opened = 0;

  const streamState = h("p", { class: "stream-state muted", role: "status" }, "Connecting…");
  const notifyArea = h("div", { class: "approval-notify" });
  const pendingCount = h("span", { class: "muted" });
  const pendingTitle = h("h2", { id: "pending-title", tabindex: "-1" }, "Waiting for a decision ", pendingCount);
  const emptyPending = h("p", { class: "muted empty-pending" }, "No call is waiting for approval.");
  const pendingList = h("ul", { class: "approval-list", id: "approvals-pending", "aria-labelledby": "pending-title" });
  const emptyResolved = h("p", { class: "muted" }, "Nothing resolved yet.");
  const resolvedList = h("ul", { class: "resolved-list", id: "approvals-resolved", "aria-labelledby": "resolved-title" });
  const resolvedTitle = h("h2", { id: "resolved-title" }, "Recently resolved");
  const page = h(
    "div",
    { class: "approvals-page", "data-stream": "connecting" },
    h("h1", {}, "Approvals"),
    h("div", { class: "approvals-bar" }, streamState, notifyArea),
    h("section", { "aria-labelledby": "pending-title" }, pendingTitle, emptyPending, pendingList),
    h("section", { "aria-labelledby": "resolved-title" }, resolvedTitle, emptyResolved, resolvedList),
  );
  view.append(page);

  // ---- desktop notifications: only after the person asks for them -------------------------
  const notifications = "Notification" in window;
  function renderNotify() {
    notifyArea.replaceChildren();
    if (!notifications) return;
    const say = (text) => notifyArea.append(h("span", { class: "muted", tabindex: "-1" }, text));
    if (Notification.permission === "granted") say("Desktop notifications are on for new requests.");
    else if (Notification.permission === "denied") say("Desktop notifications are blocked in this browser's site settings.");
    else {
      notifyArea.append(
        h(
          "button",
          {
            type: "button",
            id: "approvals-notify",
            onclick: async () => {
              try {
                await Notification.requestPermission();
              } catch {
                /* an old browser without the promise form: the state below says what happened */
              }
              renderNotify();
              notifyArea.querySelector("button, span")?.focus();
            },
          },
          "Notify me of new requests",
        ),
      );
    }
  }
  renderNotify();

  function notify(approval) {
    if (!notifications || Notification.permission !== "granted") return;
    try {
      const note = new Notification(`Approval needed: ${approval.tool_name}`, {
        body: origin(approval) || "A call is waiting for a decision.",
        tag: approval.id,
      });
      note.onclick = () => {
        window.focus();
        if (location.hash !== "#/approvals") location.hash = "#/approvals";
        cards.get(approval.id)?.focus();
        note.close();
      };
    } catch {
      /* some platforms only allow notifications from a service worker: the page still shows it */
    }
  }

  // ---- pending cards ------------------------------------------------------------------------
  function updateCounts() {
    emptyPending.hidden = cards.size > 0;
    pendingCount.textContent = cards.size ? `(${cards.size})` : "";
    emptyResolved.hidden = resolvedList.children.length > 0;
  }

  function pendingCard(approval) {
    const id = approval.id;
    const base = `approval-${id}`;
    // The clock rewrites these every second: not for a screen reader to announce each time.
    const expires = h(
      "span",
      { class: "countdown", "data-expires": approval.expires_at, title: absolute(approval.expires_at), "aria-live": "off" },
      countdown(approval.expires_at),
    );
    const created = approval.created_at;
    const requested = h(
      "time",
      { datetime: created, title: absolute(created), "data-ago": created, "aria-live": "off" },
      ago(created),
    );
    const note = h("textarea", {
      id: `${base}-note`,
      name: "resolution",
      rows: "2",
      placeholder: "Shown to the agent with a denial; kept in the audit trail",
    });
    const remember = h(
      "fieldset",
      // Named like the API field, so a `remember` error lands after the group.
      { class: "choices remember", id: `${base}-remember`, name: "remember", tabindex: "-1" },
      h("legend", {}, "Also allow from now on"),
      REMEMBER.map(([value, label]) => {
        const disabled = value === "workspace" && !approval.workspace_id;
        return h(
          "label",
          { class: "choice", for: `${base}-remember-${value}` },
          h("input", {
            type: "radio",
            id: `${base}-remember-${value}`,
            name: "remember",
            value,
            checked: value === "none",
            disabled,
          }),
          label,
          disabled ? h("span", { class: "muted" }, " (no workspace)") : null,
        );
      }),
    );
    const approveButton = h("button", { type: "button", class: "primary", "data-action": "approve" }, "Approve");
    const denyButton = h("button", { type: "button", class: "danger", "data-action": "deny" }, "Deny");
    const form = h(
      "form",
      { class: "approval-form", "aria-label": `Decide on ${approval.tool_name}`, onsubmit: (event) => event.preventDefault() },
      h("label", { for: note.id }, "Note (optional)"),
      note,
      remember,
      h("div", { class: "button-row" }, approveButton, denyButton),
      h("p", { class: "form-error", role: "alert" }),
    );
    const card = h(
      "li",
      { class: "card approval", id: base, "data-id": id, tabindex: "-1", "aria-labelledby": `${base}-title` },
      h("h3", { id: `${base}-title` }, h("code", {}, approval.tool_name)),
      facts([
        ["Workspace", approval.workspace_name || "none"],
        ["Client", approval.client_name || "unknown"],
        ["Server", approval.server_name],
        ["Requested", requested],
        ["Expires in", expires],
      ]),
      h(
        "details",
        { open: true },
        h("summary", {}, "Arguments"),
        h("pre", { class: "params", tabindex: "0" }, prettyParams(approval.params)),
      ),
      form,
    );

    async function decide(approved) {
      clearFormErrors(form);
      const choice = form.querySelector('input[name="remember"]:checked')?.value || "none";
      const body = {
        approved,
        resolution: note.value.trim() || null,
        remember: approved ? choice : "none",
        resolved_by: "web UI",
      };
      approveButton.disabled = denyButton.disabled = true;
      card.dataset.deciding = "true";
      try {
        const resolved = await api("POST", `/api/v1/approvals/${encodeURIComponent(id)}/resolve`, body);
        settle(resolved.approval, resolved.rule, { focus: true });
      } catch (error) {
        if (error.status === 409 && error.details?.status) {
          // Someone (or the timeout) was first: say so, and show what it became.
          settle(error.details, null, { focus: true, conflict: true });
        } else {
          delete card.dataset.deciding;
          approveButton.disabled = denyButton.disabled = false;
          showFormError(form, error);
          if (!card.contains(document.activeElement)) (approved ? approveButton : denyButton).focus();
        }
      }
    }
    approveButton.addEventListener("click", () => decide(true));
    denyButton.addEventListener("click", () => decide(false));
    return card;
  }

  function addPending(approval, { announce = false } = {}) {
    if (resolvedIds.has(approval.id) || cards.has(approval.id)) return;
    const card = pendingCard(approval);
    cards.set(approval.id, card);
    // Oldest first: the one that expires soonest is at the top.
    const after = [...pendingList.children].find((other) => other.dataset.created > approval.created_at);
    card.dataset.created = approval.created_at;
    pendingList.insertBefore(card, after || null);
    updateCounts();
    if (announce) notify(approval);
  }

  // ---- resolved list -------------------------------------------------------------------------
  function resolvedItem(approval, rule, conflict) {
    const reviewer = approval.resolved_by;
    const by = reviewer ? ` by ${reviewer}` : "";
    const when = approval.resolved_at || approval.created_at;
    let remembered = null;
    if (approval.status === "approved" && approval.remember === "session") remembered = "Remembered for this session.";
    if (approval.status === "approved" && approval.remember === "workspace") {
      const added = rule ? ` (rule ${rule.name || rule.id})` : "";
      remembered = `Remembered for workspace ${approval.workspace_name || ""}${added}.`;
    }
    const already = (STATUS_TEXT[approval.status] || approval.status).toLowerCase();
    return h(
      "li",
      {
        class: "resolved",
        id: `resolved-${approval.id}`,
        "data-id": approval.id,
        "data-status": approval.status,
        "data-when": when,
        tabindex: "-1",
      },
      h(
        "div",
        { class: "resolved-head" },
        statusLabel(approval.status),
        h("code", {}, approval.tool_name),
        h("span", { class: "muted" }, origin(approval)),
        h("time", { datetime: when, title: absolute(when), "data-ago": when, "aria-live": "off", class: "muted" }, ago(when)),
      ),
      conflict ? h("p", { class: "conflict warn", role: "alert" }, `Already ${already}${by}.`) : null,
      approval.resolution
        ? h("p", { class: "resolution" }, reviewer ? `${reviewer}: ` : "", h("q", {}, approval.resolution))
        : reviewer
          ? h("p", { class: "resolution" }, `Decided${by}.`)
          : null,
      remembered ? h("p", { class: "muted" }, remembered) : null,
    );
  }

  function addResolved(approval, rule, conflict = false) {
    const existing = resolvedList.querySelector(`[data-id="${CSS.escape(approval.id)}"]`);
    // The final state is final: a second report of it (the stream and the POST answer both
    // bring it) changes nothing, except a conflict, which the person should read.
    if (existing && !conflict) return existing;
    const item = resolvedItem(approval, rule, conflict);
    if (existing) {
      const focused = existing === document.activeElement;
      existing.replaceWith(item);
      if (focused) item.focus();
    } else {
      // Newest first, whichever arrives first: the stream's news or the history's older ones.
      const when = item.dataset.when;
      const before = [...resolvedList.children].find((other) => other.dataset.when < when);
      resolvedList.insertBefore(item, before || null);
      while (resolvedList.children.length > RECENT) resolvedList.lastElementChild.remove();
    }
    resolvedIds.add(approval.id);
    updateCounts();
    return item;
  }

  /** An approval left the pending state (here, elsewhere, or by timeout). */
  function settle(approval, rule, { focus = false, conflict = false } = {}) {
    const card = cards.get(approval.id);
    const item = addResolved(approval, rule, conflict);
    if (!card) return; // already moved (the stream and the POST answer both report it)
    // Focus follows only when it was in the card (or the person just decided there): the next
    // card, else the outcome. A card resolved elsewhere never steals focus from another one.
    const moveFocus = focus || card.dataset.deciding || card.contains(document.activeElement);
    const next = card.nextElementSibling || card.previousElementSibling;
    cards.delete(approval.id);
    card.remove();
    updateCounts();
    if (moveFocus) (next || item).focus();
  }

  // ---- history, live stream, clocks ----------------------------------------------------------
  api("GET", `/api/v1/approvals?status=all&limit=${RECENT}`)
    .then((recent) => {
      for (const approval of recent) {
        if (approval.status !== "pending") addResolved(approval, null);
      }
    })
    .catch((error) => {
      if (error.status !== 401) emptyResolved.textContent = `Could not load recent approvals: ${error.message}`;
    });

  /** After a reconnect the stream repeats the pending ones, but not what ended meanwhile. */
  async function recheck() {
    for (const id of [...cards.keys()]) {
      try {
        const approval = await api("GET", `/api/v1/approvals/${encodeURIComponent(id)}`);
        if (approval.status !== "pending") settle(approval, null);
      } catch {
        /* still unreachable: the next reconnect asks again */
      }
    }
  }

  const stop = stream(
    "/api/v1/approvals/stream",
    ({ event, data }) => {
      if (event === "approval.pending") addPending(data);
      else if (event === "approval.requested") addPending(data, { announce: true });
      else if (event === "approval.resolved" && data?.approval) settle(data.approval, data.rule);
    },
    {
      onState: (state) => {
        page.dataset.stream = state;
        streamState.textContent =
          state === "open" ? "Live: new requests appear as they arrive." : "Connection lost; reconnecting…";
        if (state === "open" && opened++ > 0) recheck();
      },
    },
  );

  const clock = setInterval(() => {
    for (const node of page.querySelectorAll("[data-expires]")) node.textContent = countdown(node.dataset.expires);
    for (const node of page.querySelectorAll("[data-ago]")) node.textContent = ago(node.dataset.ago);
  }, 1000);

  updateCounts();
  return () => {
    stop();
    clearInterval(clock);
  };
}
