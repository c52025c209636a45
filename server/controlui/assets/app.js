// Control UI: connects once a token is known, then keeps health, presence, nodes,
// chat and logs live. State comes from hello-ok, then events; on a seq gap or a
// reconnect everything is fetched again.
import { Gateway, uuid } from "./gateway.js";
import { ErrorCode } from "./protocol.js";
import { ChatPanel } from "./chat.js";
import { el, clear, ago, duration } from "./dom.js";

const AUTH_KEY = "clawdbot.controlUi.auth";
const INSTANCE_KEY = "clawdbot.controlUi.instanceId";
const LOG_POLL_MS = 2000;
const LOG_MAX_LINES = 1000;

const $ = (id) => document.getElementById(id);
const base = window.__CLAWDBOT_CONTROL_UI_BASE_PATH__ || "";

function loadAuth() {
  try {
    const a = JSON.parse(localStorage.getItem(AUTH_KEY) || "null");
    if (a && typeof a === "object") return a; // {} = a gateway without auth
  } catch {}
  return null;
}

function instanceId() {
  let id = localStorage.getItem(INSTANCE_KEY);
  if (!id) {
    id = uuid();
    localStorage.setItem(INSTANCE_KEY, id);
  }
  return id;
}

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${base || ""}/`;
const gw = new Gateway({ url: wsUrl, instanceId: instanceId() });
const chat = new ChatPanel(gw, $("chat-card"));

const state = {
  health: null,
  healthVersion: 0,
  presence: [],
  presenceVersion: 0,
  nodes: [],
  pending: [],
  logCursor: null,
  logTimer: null,
  logLines: [],
};

// ---- connection state and login ----

function showLogin(message = "") {
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("token").focus();
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const secret = $("token").value.trim();
  const auth = !secret ? {} : $("use-password").checked ? { password: secret } : { token: secret };
  localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  $("token").value = "";
  $("login").hidden = true;
  gw.start(auth);
});

$("logout").addEventListener("click", () => {
  localStorage.removeItem(AUTH_KEY);
  gw.stop();
  $("dash").hidden = true;
  showLogin();
});

$("reconnect-now").addEventListener("click", () => {
  const a = loadAuth();
  if (a) gw.start(a);
});

gw.addEventListener("state", (e) => {
  const { state: s, reason } = e.detail;
  const pill = $("conn");
  pill.dataset.state = s;
  pill.textContent = { idle: "not connected", connecting: "connecting…", connected: "connected", disconnected: "disconnected", unauthorized: "token rejected" }[s] || s;
  document.body.dataset.conn = s;
  const banner = $("banner");
  if (s === "disconnected" || (s === "connecting" && gw.attempt > 0)) {
    banner.hidden = false;
    $("banner-text").textContent = `Disconnected from the gateway${reason ? ` (${reason})` : ""}. Reconnecting…`;
  } else {
    banner.hidden = true;
  }
  if (s === "unauthorized") {
    $("dash").hidden = true;
    showLogin(`The gateway refused the token: ${reason || "unauthorized"}`);
  }
  if (s !== "connected") stopLogs();
  chat.updateButtons();
});

gw.addEventListener("retry", (e) => {
  $("banner-text").textContent = `Disconnected from the gateway. Reconnecting in ${(e.detail.delay / 1000).toFixed(1)} s (attempt ${e.detail.attempt})…`;
});

gw.addEventListener("hello", (e) => {
  const h = e.detail;
  $("login").hidden = true;
  $("dash").hidden = false;
  const srv = h.server || {};
  $("server-info").textContent = `${srv.host ? srv.host + " · " : ""}${/^\d/.test(srv.version || "") ? "v" : ""}${srv.version}${srv.commit ? " (" + srv.commit.slice(0, 7) + ")" : ""}`;
  const snap = h.snapshot || {};
  state.healthVersion = 0;
  state.presenceVersion = 0;
  applyHealth(snap.health, snap.stateVersion?.health);
  applyPresence(snap.presence, snap.stateVersion?.presence);
  state.uptimeBase = { ms: snap.uptimeMs, at: Date.now() };
  $("canvas-link").hidden = !h.canvasHostUrl;
  if (h.canvasHostUrl) $("canvas-link").href = `${h.canvasHostUrl}/__clawdbot__/canvas/`;
  chat.setSession(snap.sessionDefaults?.mainSessionKey || "main");
  refreshAll();
  chat.interrupted();
  startLogs(true);
});

gw.addEventListener("gap", () => {
  refreshAll();
});

gw.addEventListener("event", (e) => {
  const { event, payload, stateVersion } = e.detail;
  switch (event) {
    case "health":
      applyHealth(payload, stateVersion?.health);
      break;
    case "presence":
      applyPresence(payload?.presence, stateVersion?.presence);
      break;
    case "node.pair.requested":
      if (payload && !state.pending.some((p) => p.requestId === payload.requestId)) {
        state.pending.unshift(payload);
        renderPending();
      }
      break;
    case "node.pair.resolved":
      state.pending = state.pending.filter((p) => p.requestId !== payload?.requestId);
      renderPending();
      refreshNodes();
      break;
    case "chat":
      chat.onEvent(payload);
      break;
    case "shutdown":
      $("banner").hidden = false;
      $("banner-text").textContent = payload?.restartExpectedMs ? "The gateway is restarting…" : "The gateway is stopping…";
      break;
  }
});

async function refreshAll() {
  await Promise.allSettled([refreshHealth(), refreshPresence(), refreshNodes()]);
}

async function refreshHealth() {
  try {
    applyHealth(await gw.request("health", {}), null);
  } catch (e) {
    setError("health-error", e);
  }
}

async function refreshPresence() {
  try {
    applyPresence(await gw.request("system-presence", {}), null);
  } catch (e) {
    setError("presence-error", e);
  }
}

async function refreshNodes() {
  try {
    const [list, pairs] = await Promise.all([gw.request("node.list", {}), gw.request("node.pair.list", {})]);
    state.nodes = list?.nodes || [];
    state.pending = pairs?.pending || [];
    const pairedIds = new Set(state.nodes.map((n) => n.nodeId));
    for (const p of pairs?.paired || []) {
      if (!pairedIds.has(p.nodeId)) state.nodes.push({ ...p, paired: true, connected: false });
    }
    setError("nodes-error", null);
  } catch (e) {
    setError("nodes-error", e);
  }
  renderNodes();
  renderPending();
}

// setError shows a request failure next to its panel; "not available here" answers
// (UNAVAILABLE) are shown as a quiet note rather than an alarm.
function setError(id, e) {
  const n = $(id);
  if (!n) return;
  n.textContent = e ? e.message : "";
  n.classList.toggle("soft", !!e && e.code === ErrorCode.UNAVAILABLE);
  n.hidden = !e;
}

// ---- health ----

function applyHealth(h, version) {
  if (!h || typeof h !== "object" || !("ok" in h)) return;
  if (version != null) {
    if (version < state.healthVersion) return;
    state.healthVersion = version;
  }
  state.health = h;
  setError("health-error", null);
  renderHealth();
}

function renderHealth() {
  const h = state.health;
  const dl = $("health");
  clear(dl);
  if (!h) return;
  const row = (k, v, cls) => dl.append(el("dt", {}, k), el("dd", { class: cls }, v));
  row("Status", h.ok ? "healthy" : "degraded", h.ok ? "good" : "bad");
  $("health-badge").textContent = h.ok ? "ok" : "degraded";
  $("health-badge").dataset.ok = String(!!h.ok);
  const up = h.uptimeMs ?? (state.uptimeBase ? state.uptimeBase.ms + (Date.now() - state.uptimeBase.at) : null);
  row("Uptime", duration(up));
  row("WhatsApp", h.web?.linked ? "linked" : "not linked", h.web?.linked ? "good" : "muted");
  row("Telegram", h.telegram?.configured ? "configured" : "not configured", h.telegram?.configured ? "good" : "muted");
  row("Sessions", String(h.sessions?.count ?? 0));
  if (h.connections != null) row("Connections", String(h.connections));
  row("Heartbeat", h.heartbeatSeconds ? `every ${h.heartbeatSeconds}s` : "off");
  row("Checked", ago(h.ts));
}

// ---- presence ----

function applyPresence(list, version) {
  if (!Array.isArray(list)) return;
  if (version != null) {
    if (version < state.presenceVersion) return;
    state.presenceVersion = version;
  }
  state.presence = list;
  setError("presence-error", null);
  renderPresence();
}

function renderPresence() {
  const body = $("presence").querySelector("tbody");
  clear(body);
  $("presence-count").textContent = String(state.presence.length);
  for (const p of state.presence) {
    body.append(
      el(
        "tr",
        { class: p.reason === "disconnect" ? "gone" : "" },
        el("td", {}, el("strong", {}, p.host || p.instanceId || "—"), p.text ? el("div", { class: "sub" }, p.text) : null),
        el("td", {}, p.mode || "—"),
        el("td", {}, [p.platform, p.deviceFamily].filter(Boolean).join(" · ") || "—"),
        el("td", {}, p.version || "—"),
        el("td", {}, p.ip || "local"),
        el("td", {}, p.reason || "—"),
        el("td", { title: p.ts ? new Date(p.ts).toISOString() : "" }, ago(p.ts)),
      ),
    );
  }
}

// ---- nodes ----

function renderNodes() {
  const body = $("nodes").querySelector("tbody");
  clear(body);
  $("nodes-empty").hidden = state.nodes.length > 0;
  for (const n of state.nodes) {
    body.append(
      el(
        "tr",
        { dataset: { nodeId: n.nodeId } },
        el("td", {}, el("strong", {}, n.displayName || n.nodeId), el("div", { class: "sub mono" }, n.nodeId)),
        el("td", {}, [n.platform, n.version].filter(Boolean).join(" · ") || "—"),
        el("td", {}, el("span", { class: `dot ${n.connected ? "on" : "off"}` }), n.connected ? "connected" : "offline"),
        el("td", {}, n.paired ? "paired" : "unpaired"),
        el("td", { class: "sub" }, (n.caps || []).join(", ") || "—"),
      ),
    );
  }
}

function renderPending() {
  const ul = $("pending");
  clear(ul);
  $("pending-count").textContent = String(state.pending.length);
  $("pending-empty").hidden = state.pending.length > 0;
  for (const p of state.pending) {
    const err = el("div", { class: "note error", hidden: true });
    const decide = async (method, btns) => {
      btns.forEach((b) => (b.disabled = true));
      try {
        await gw.request(method, { requestId: p.requestId });
        state.pending = state.pending.filter((x) => x.requestId !== p.requestId);
        renderPending();
        refreshNodes();
      } catch (e) {
        err.hidden = false;
        err.textContent = e.message;
        btns.forEach((b) => (b.disabled = false));
      }
    };
    const approve = el("button", { class: "primary approve" }, "Approve");
    const reject = el("button", { class: "danger reject" }, "Reject");
    approve.addEventListener("click", () => decide("node.pair.approve", [approve, reject]));
    reject.addEventListener("click", () => decide("node.pair.reject", [approve, reject]));
    ul.append(
      el(
        "li",
        { class: "pending-item", dataset: { requestId: p.requestId, nodeId: p.nodeId } },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, p.displayName || p.nodeId),
          p.isRepair ? el("span", { class: "tag" }, "repair") : null,
          el("div", { class: "sub" }, [p.platform, p.version, p.remoteIp, ago(p.ts)].filter(Boolean).join(" · ")),
          err,
        ),
        approve,
        reject,
      ),
    );
  }
}

// ---- logs ----

function formatLine(line) {
  try {
    const o = JSON.parse(line);
    if (o && typeof o === "object") {
      const { time, level, msg, ...rest } = o;
      const t = time ? new Date(time).toLocaleTimeString() : "";
      const attrs = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      return { text: `${t} ${String(level || "").padEnd(5)} ${msg ?? ""}${attrs ? "  " + attrs : ""}`, level: String(level || "").toLowerCase() };
    }
  } catch {}
  return { text: line, level: "" };
}

function stopLogs() {
  clearTimeout(state.logTimer);
  state.logTimer = null;
}

async function startLogs(reset) {
  stopLogs();
  if (reset) {
    state.logCursor = null;
    state.logLines = [];
    clear($("logs"));
  }
  pollLogs();
}

async function pollLogs() {
  if (gw.state !== "connected") return;
  const params = { limit: 200, maxBytes: 250000 };
  if (state.logCursor != null) params.cursor = state.logCursor;
  try {
    const r = await gw.request("logs.tail", params);
    if (r.reset) clear($("logs"));
    state.logCursor = r.cursor;
    $("logs-file").textContent = r.file || "";
    appendLogs(r.lines || []);
    setError("logs-error", null);
  } catch (e) {
    setError("logs-error", e);
    if (e.code !== ErrorCode.UNAVAILABLE || /no log file/.test(e.message)) return; // nothing to poll
  }
  if (gw.state === "connected") state.logTimer = setTimeout(pollLogs, LOG_POLL_MS);
}

function appendLogs(lines) {
  if (!lines.length) return;
  const pre = $("logs");
  const frag = document.createDocumentFragment();
  for (const line of lines) {
    const f = formatLine(line);
    frag.append(el("div", { class: `line ${f.level}` }, f.text));
  }
  pre.append(frag);
  while (pre.childElementCount > LOG_MAX_LINES) pre.firstElementChild.remove();
  if ($("logs-follow").checked) pre.scrollTop = pre.scrollHeight;
}

// Relative times age in place.
setInterval(() => {
  if (gw.state !== "connected") return;
  renderPresence();
  renderHealth();
}, 5000);

const saved = loadAuth();
if (saved) gw.start(saved);
else showLogin();
