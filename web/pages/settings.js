// Settings: every setting with its description, default, current value and where that value
// comes from (default < database < JUNCTION_* environment). Save sends only the changed keys in
// one PUT, which the API checks as a whole; its error appears next to the field it names. A
// setting overridden by the environment cannot be changed here: its input is disabled and says
// which variable to unset.
import { api, clearFormErrors, h, showFormError } from "../api.js";

export async function render(view) {
  const status = h("p", { class: "cfg-status", role: "status" });
  const form = h("form", { id: "settings-form", class: "cfg-form cfg-settings", novalidate: true });
  view.append(
    h("h1", { tabindex: "-1" }, "Settings"),
    h("p", { class: "muted" },
      "Values saved here are kept in Junction's database and take effect at once. ",
      "A JUNCTION_* environment variable of the daemon wins over them."),
    status,
    form,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });

  let details = [];

  function draw() {
    form.replaceChildren(
      ...details.map(settingField),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "cfg-buttons" }, h("button", { type: "submit", class: "primary" }, "Save changes")),
    );
  }

  async function load() {
    const answer = await api("GET", "/api/v1/settings");
    details = answer.details;
    draw();
  }

  async function save() {
    clearFormErrors(form);
    const changes = {};
    for (const detail of details) {
      if (detail.source === "environment") continue;
      const input = form.elements[detail.key];
      const value = typed(input.value, detail.default);
      if (!sameValue(value, detail.value)) changes[detail.key] = value;
    }
    const keys = Object.keys(changes);
    if (keys.length === 0) {
      status.textContent = "Nothing changed.";
      return;
    }
    try {
      const answer = await api("PUT", "/api/v1/settings", changes);
      details = answer.details;
      draw();
      const overridden = keys.filter((key) => details.find((d) => d.key === key)?.source === "environment");
      status.textContent = `Saved ${keys.join(", ")}.` +
        (overridden.length ? ` The environment still overrides ${overridden.join(", ")}.` : "");
    } catch (error) {
      if (error.status === 401) return;
      status.textContent = "";
      showFormError(form, error);
    }
  }

  await load();
}

/** One setting: label, description, input, and its default and source. */
function settingField(detail) {
  const id = `setting-${detail.key}`;
  const fromEnvironment = detail.source === "environment";
  const choices = choicesOf(detail);
  const describedBy = `${id}-description ${id}-meta${fromEnvironment ? ` ${id}-env` : ""}`;
  const common = { id, name: detail.key, "aria-describedby": describedBy, disabled: fromEnvironment, "data-source": detail.source };
  let input;
  if (choices) {
    input = h("select", common, choices.map((choice) => h("option", { value: choice, selected: choice === detail.value }, choice)));
  } else {
    input = h("input", { ...common, autocomplete: "off", spellcheck: "false", inputmode: typeof detail.default === "number" ? "numeric" : null });
    input.value = display(detail.value);
  }
  return h("div", { class: `cfg-field cfg-setting${fromEnvironment ? " cfg-overridden" : ""}`, "data-key": detail.key },
    h("label", { for: id }, h("code", {}, detail.key)),
    h("p", { class: "cfg-hint", id: `${id}-description` }, capitalised(detail.description)),
    input,
    h("p", { class: "cfg-hint cfg-meta", id: `${id}-meta` },
      `Default: ${display(detail.default)} · Source: `, h("span", { "data-role": "source" }, detail.source),
      detail.source === "database" && !sameValue(detail.value, detail.default) ? " (changed here)" : null),
    fromEnvironment
      ? h("p", { class: "cfg-env", id: `${id}-env` },
        "Set by the environment variable ", h("code", {}, detail.environment_variable), " of the running daemon, so it cannot be changed here. ",
        "Unset it and restart the daemon to manage this setting from this page.")
      : null);
}

/** The choices a string setting documents as `(a|b|c)` in its description, if any. */
function choicesOf(detail) {
  if (typeof detail.default !== "string") return null;
  const match = /\(([a-z0-9_-]+(?:\|[a-z0-9_-]+)+)\)/i.exec(detail.description);
  if (!match) return null;
  const choices = match[1].split("|");
  return choices.includes(String(detail.value)) ? choices : null;
}

/** The typed text as the JSON type of the setting's default; text that is not that type goes as typed, for the API to refuse. */
function typed(text, defaultValue) {
  const value = text.trim();
  if (typeof defaultValue === "number") return /^[+-]?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof defaultValue === "boolean") return value === "true" ? true : value === "false" ? false : value;
  if (defaultValue !== null && typeof defaultValue === "object") {
    try {
      return JSON.parse(value || "{}");
    } catch {
      return value; // not JSON: the API says what it expects
    }
  }
  return value;
}

function display(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) + (/[.)]$/.test(text) ? "" : ".") : "";
}
