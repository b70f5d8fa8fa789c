// The one client every page uses: the API key, JSON requests with the API's error shape, and
// Server-Sent Events read over fetch (so the key travels in a header, never in a URL).

const KEY = "junction.apiKey";

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** An error answer of the API: `status`, `code`, `field` (the request field at fault) and text. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || "error";
    this.field = body?.field || null;
    this.details = body?.details || null;
  }
}

const listeners = new Set();
/** `fn(error)` runs when any call is refused for the key (401): the app shows sign-in. */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

function headers(extra = {}) {
  const h = { Accept: "application/json", ...extra };
  const key = apiKey();
  if (key) h["X-API-Key"] = key;
  return h;
}

/** `api("GET", "/api/v1/workspaces")`; a body is sent as JSON. Resolves to the parsed JSON. */
export async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, json);
    if (response.status === 401) listeners.forEach((fn) => fn(error));
    throw error;
  }
  return json ?? text;
}

/** The raw text of a GET (exports). */
export async function download(path) {
  const response = await fetch(path, { headers: headers({ Accept: "*/*" }) });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return { blob: await response.blob(), type: response.headers.get("Content-Type") };
}

/**
 * Follows an SSE stream: `onEvent({id, event, data})` with `data` parsed as JSON. Reconnects with
 * Last-Event-ID after a drop. Returns a function that stops it.
 */
export function stream(path, onEvent, { onState } = {}) {
  const controller = new AbortController();
  let lastId = null;
  let stopped = false;
  (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        const h = headers({ Accept: "text/event-stream" });
        if (lastId) h["Last-Event-ID"] = lastId;
        const response = await fetch(path, { headers: h, signal: controller.signal });
        if (response.status === 401) {
          listeners.forEach((fn) => fn(new ApiError(401, null)));
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        onState?.("open");
        delay = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        let event = { id: null, event: "message", data: [] };
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let newline;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline).replace(/\r$/, "");
            buffer = buffer.slice(newline + 1);
            if (line === "") {
              if (event.data.length) {
                if (event.id) lastId = event.id;
                let data = event.data.join("\n");
                try {
                  data = JSON.parse(data);
                } catch {
                  /* keep the text */
                }
                onEvent({ id: event.id, event: event.event, data });
              }
              event = { id: null, event: "message", data: [] };
            } else if (!line.startsWith(":")) {
              const colon = line.indexOf(":");
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
              if (field === "id") event.id = value;
              else if (field === "event") event.event = value;
              else if (field === "data") event.data.push(value);
            }
          }
        }
      } catch (error) {
        if (stopped || error.name === "AbortError") return;
      }
      onState?.("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10000);
    }
  })();
  return () => {
    stopped = true;
    controller.abort();
  };
}

// ---- small DOM helpers shared by the pages --------------------------------------------------

/** `h("button", {class: "primary", onclick}, "Save")`: an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** "3 min ago", "in 40 s" for an ISO time. */
export function relativeTime(iso) {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const [value, unit] =
    abs < 60 ? [abs, "s"] : abs < 3600 ? [Math.round(abs / 60), "min"] : abs < 86400 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86400), "d"];
  return seconds < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
}

/**
 * Shows API errors next to the fields they concern: `form` holds inputs named like the API's
 * fields; an error without a field (or with one the form lacks) goes to the form's `.form-error`.
 */
export function showFormError(form, error) {
  clearFormErrors(form);
  const input = error?.field ? form.querySelector(`[name="${CSS.escape(error.field)}"]`) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const message = h("p", { class: "field-error", id: `${input.id || input.name}-error`, role: "alert" }, error.message);
    input.setAttribute("aria-describedby", message.id);
    input.insertAdjacentElement("afterend", message);
    input.focus();
  } else {
    const slot = form.querySelector(".form-error") || form.appendChild(h("p", { class: "form-error", role: "alert" }));
    slot.textContent = error?.message || String(error);
  }
}

export function clearFormErrors(form) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  const slot = form.querySelector(".form-error");
  if (slot) slot.textContent = "";
}

// ---- form helpers of the configuration pages (workspaces, servers, routes, scopes, settings) ----

/**
 * `KEY=VALUE` lines as an object: blank lines and `#` comments are skipped, the value is all after
 * the first `=`. A line without a key throws an Error that names the line.
 */
export function parsePairs(text) {
  const pairs = {};
  (text || "").split("\n").forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    if (!line.trim() || line.trim().startsWith("#")) return;
    const at = line.indexOf("=");
    const key = at < 0 ? "" : line.slice(0, at).trim();
    if (!key) throw new Error(`line ${index + 1}: write KEY=VALUE`);
    pairs[key] = line.slice(at + 1);
  });
  return pairs;
}

/** The inverse of `parsePairs`: `KEY=VALUE` lines, sorted by key. */
export function pairsText(object) {
  return Object.keys(object || {}).sort().map((key) => `${key}=${object[key]}`).join("\n");
}

/**
 * A whole number typed into a text field: undefined when empty, a Number when it reads as one,
 * else the text itself, so that the API's answer says what is wrong with it.
 */
export function wholeNumber(text) {
  const value = (text || "").trim();
  if (value === "") return undefined;
  return /^[+-]?\d+$/.test(value) ? Number(value) : value;
}

/**
 * A button that asks again in place before acting: "Delete" becomes "Really delete?" and
 * "Cancel" (focus moves to the question). `onConfirm` may be async.
 */
export function confirmButton(label, question, onConfirm, attributes = {}) {
  const slot = h("span", { class: "confirm" });
  const ask = h("button", { type: "button", class: "danger", ...attributes }, label);
  const yes = h("button", { type: "button", class: "danger", "data-confirm": "yes" }, question);
  const no = h("button", { type: "button", "data-confirm": "no" }, "Cancel");
  ask.addEventListener("click", () => {
    slot.replaceChildren(yes, " ", no);
    yes.focus();
  });
  no.addEventListener("click", () => {
    slot.replaceChildren(ask);
    ask.focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await onConfirm();
    } finally {
      yes.disabled = false;
    }
  });
  slot.append(ask);
  return slot;
}
