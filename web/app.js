// The shell: sign-in (the key arrives as ?apikey= once and is kept in sessionStorage, never in
// the address bar), the hash router that loads one module per page, and the pending-approvals
// badge. Each page module exports `render(view)`, which may return a cleanup function.
import { api, apiKey, onUnauthorized, setApiKey, stream } from "./api.js";

const pages = ["dashboard", "approvals", "audit", "workspaces", "servers", "tools", "routes", "scopes", "settings", "dry-run", "install"];
const view = document.getElementById("view");
const signin = document.getElementById("signin");
let cleanup = null;
let stopBadge = null;

function takeKeyFromAddress() {
  const url = new URL(window.location.href);
  const key = url.searchParams.get("apikey");
  if (key) {
    setApiKey(key);
    url.searchParams.delete("apikey");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

function showSignin(reason) {
  cleanup?.();
  cleanup = null;
  stopBadge?.();
  stopBadge = null;
  view.hidden = true;
  document.querySelector("header.top").hidden = true;
  signin.hidden = false;
  document.getElementById("signin-reason").textContent = reason;
  document.getElementById("signin-key").focus();
}

async function route() {
  const name = (location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] || "dashboard").toLowerCase();
  const page = pages.includes(name) ? name : "dashboard";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${page}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  cleanup?.();
  cleanup = null;
  view.replaceChildren();
  try {
    const module = await import(`./pages/${page}.js`);
    const result = await module.render(view);
    cleanup = typeof result === "function" ? result : null;
    document.title = `${view.querySelector("h1")?.textContent || "Junction"} · Junction`;
  } catch (error) {
    if (error?.status === 401) return;
    view.replaceChildren();
    const message = document.createElement("p");
    message.className = "form-error";
    message.setAttribute("role", "alert");
    message.textContent = `This page could not load: ${error?.message || error}`;
    view.append(message);
  }
}

function followPending() {
  const badge = document.getElementById("pending-badge");
  const pending = new Set();
  const update = () => {
    badge.hidden = pending.size === 0;
    badge.textContent = String(pending.size);
    badge.setAttribute("aria-label", `${pending.size} pending`);
  };
  return stream("/api/v1/approvals/stream", ({ event, data }) => {
    if (event === "approval.pending" || event === "approval.requested") pending.add(data.id);
    if (event === "approval.resolved") pending.delete(data.approval?.id);
    update();
  });
}

async function start() {
  takeKeyFromAddress();
  if (!apiKey()) {
    showSignin("This page needs the daemon's API key.");
    return;
  }
  try {
    await api("GET", "/api/v1/workspaces");
  } catch (error) {
    if (error.status === 401) {
      setApiKey(null);
      showSignin("The API key was not accepted: it may belong to another Junction home, or have changed.");
      return;
    }
  }
  signin.hidden = true;
  view.hidden = false;
  document.querySelector("header.top").hidden = false;
  stopBadge = followPending();
  await route();
}

onUnauthorized(() => {
  setApiKey(null);
  showSignin("The API key was not accepted: it may belong to another Junction home, or have changed.");
});
window.addEventListener("hashchange", route);
document.getElementById("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setApiKey(document.getElementById("signin-key").value.trim());
  start();
});
start();
