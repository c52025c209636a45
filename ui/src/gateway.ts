// Gateway protocol v3 client for the browser: handshake (connect.challenge, then
// connect), req/res with timeouts, events with seq tracking (a gap is reported so the
// app refetches), a tick watchdog, and reconnects with jittered backoff.
import { ErrorCode } from "../../gen/js/protocol.js";
import { clearDeviceToken, deviceToken, loadIdentity, sign, signaturePayload, storeDeviceToken } from "./device.js";

export const PROTOCOL = 3;
export const CLIENT_ID = "clawdbot-control-ui";
export const CLIENT_VERSION = "control-ui-2";

/** uuid works in insecure contexts too (crypto.randomUUID needs a secure one). */
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface ErrorShape {
  code?: string;
  message?: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

export class GatewayError extends Error {
  code: string;
  details: unknown;
  retryable: boolean;
  retryAfterMs?: number;
  constructor(shape?: ErrorShape) {
    super(shape?.message || "request failed");
    this.code = shape?.code || ErrorCode.UNAVAILABLE;
    this.details = shape?.details;
    this.retryable = !!shape?.retryable;
    this.retryAfterMs = shape?.retryAfterMs;
  }
}

export type ConnState = "idle" | "connecting" | "connected" | "disconnected" | "unauthorized";

export interface Auth {
  token?: string;
  password?: string;
}

export interface EventFrame {
  event: string;
  payload: any;
  seq?: number;
  stateVersion?: Record<string, number>;
}

export interface Hello {
  server?: { version?: string; commit?: string; host?: string };
  features?: { methods?: string[]; events?: string[] };
  snapshot?: any;
  policy?: { tickIntervalMs?: number };
  canvasHostUrl?: string;
}

const BACKOFF_MIN_MS = 300;
const BACKOFF_MAX_MS = 10000;
const CHALLENGE_WAIT_MS = 750;
/** PAIRING_RETRY_MS paces reconnects while this browser's device waits for approval. */
export const PAIRING_RETRY_MS = 2000;
export const ROLE = "operator";
export const SCOPES = ["operator.admin", "operator.approvals", "operator.pairing"];
export const REQUEST_TIMEOUT_MS = 30000;

interface Pending {
  resolve: (v: any) => void;
  reject: (e: GatewayError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * States: idle → connecting → connected → disconnected (→ connecting …); unauthorized
 * stops reconnecting until start() is called with a new secret.
 * Events dispatched: state, hello, event, gap, retry, frame (every frame, for debug).
 */
export class Gateway extends EventTarget {
  state: ConnState = "idle";
  hello: Hello | null = null;
  attempt = 0;
  lastError = "";
  /** pairingRequestId is set while the gateway holds this device's pairing request. */
  pairingRequestId = "";
  /** deviceId is this browser's device id ("" without WebCrypto Ed25519). */
  deviceId = "";
  private ws: WebSocket | null = null;
  private pending = new Map<string, Pending>();
  private auth: Auth | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private lastSeq: number | null = null;
  private lastTick = 0;
  private nextDelayHint = 0;
  private stopped = false;

  constructor(readonly url: string, readonly instanceId: string) {
    super();
  }

  start(auth: Auth): void {
    this.auth = auth;
    this.stopped = false;
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    if (this.state === "unauthorized") this.state = "idle";
    if (this.ws) this.ws.close(1000, "reconnecting");
    else this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, "bye");
    this.setState("idle");
  }

  private setState(s: ConnState, detail: Record<string, unknown> = {}): void {
    this.state = s;
    this.emit("state", { state: s, ...detail });
  }

  private emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  private open(): void {
    this.setState("connecting", { attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.lastError = String(e);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let connectSent = false;
    let challengeTimer: ReturnType<typeof setTimeout> | undefined;
    const sendConnect = (nonce?: string) => {
      if (connectSent || ws.readyState !== WebSocket.OPEN) return;
      connectSent = true;
      clearTimeout(challengeTimer);
      void this.connect(ws, nonce);
    };
    ws.onopen = () => {
      challengeTimer = setTimeout(sendConnect, CHALLENGE_WAIT_MS);
    };
    ws.onmessage = (m: MessageEvent) => {
      let f: any;
      try {
        f = JSON.parse(m.data);
      } catch {
        return;
      }
      if (f?.type === "event" && f.event === "connect.challenge") {
        sendConnect(typeof f.payload?.nonce === "string" ? f.payload.nonce : undefined);
        return;
      }
      this.onFrame(f);
    };
    ws.onerror = () => {
      this.lastError = "connection error";
    };
    ws.onclose = (ev: CloseEvent) => {
      clearTimeout(challengeTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.watchdog);
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new GatewayError({ code: ErrorCode.UNAVAILABLE, message: "disconnected", retryable: true }));
      }
      this.pending.clear();
      if (ev.reason) this.lastError = `${ev.code} ${ev.reason}`;
      if (this.state === "unauthorized" || this.stopped) return;
      this.setState("disconnected", { code: ev.code, reason: ev.reason || this.lastError });
      this.scheduleReconnect();
    };
  }

  private async connect(ws: WebSocket, nonce?: string): Promise<void> {
    // A device identity where the browser can make one: the stored device token (if
    // any) stands in for the shared secret, and the signature covers the token sent.
    const id = await loadIdentity();
    this.deviceId = id?.deviceId ?? "";
    const stored = id ? deviceToken(id.deviceId, ROLE) : undefined;
    const token = stored ?? this.auth?.token;
    const params: Record<string, unknown> = {
      minProtocol: PROTOCOL,
      maxProtocol: PROTOCOL,
      client: {
        id: CLIENT_ID,
        displayName: "Control UI",
        version: CLIENT_VERSION,
        platform: navigator.platform || "web",
        mode: "webchat",
        instanceId: this.instanceId,
      },
      role: ROLE,
      scopes: SCOPES,
      caps: [],
      userAgent: navigator.userAgent,
      locale: navigator.language,
    };
    if (token || this.auth?.password) params.auth = { ...(token ? { token } : {}), ...(this.auth?.password ? { password: this.auth.password } : {}) };
    if (id) {
      const signedAt = Date.now();
      const payload = signaturePayload({ deviceId: id.deviceId, clientId: CLIENT_ID, clientMode: "webchat", role: ROLE, scopes: SCOPES, signedAtMs: signedAt, token: token ?? "", nonce });
      try {
        params.device = { id: id.deviceId, publicKey: id.publicKey, signature: await sign(id, payload), signedAt, ...(nonce ? { nonce } : {}) };
      } catch {
        this.deviceId = ""; // signing failed: connect with the shared secret alone
      }
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    try {
      const hello = (await this.send(ws, "connect", params, REQUEST_TIMEOUT_MS)) as Hello & { auth?: { deviceToken?: string; role?: string; scopes?: string[] } };
      if (id && params.device && hello?.auth?.deviceToken) storeDeviceToken(id.deviceId, hello.auth.role || ROLE, hello.auth.deviceToken, hello.auth.scopes);
      this.pairingRequestId = "";
      this.hello = hello;
      this.attempt = 0;
      this.nextDelayHint = 0;
      this.lastSeq = null; // seq restarts with every connection
      this.lastTick = Date.now();
      const tickMs = hello?.policy?.tickIntervalMs || 30000;
      clearInterval(this.watchdog);
      this.watchdog = setInterval(() => {
        if (Date.now() - this.lastTick > 2 * tickMs && this.ws === ws) ws.close(4000, "tick timeout");
      }, 1000);
      this.setState("connected");
      this.emit("hello", hello);
    } catch (err) {
      const e = err as GatewayError;
      const msg = e.message || String(e);
      // A stored device token that no longer works (revoked, rotated elsewhere) is
      // dropped, and the next attempt falls back to the shared secret.
      if (id && stored && (this.auth?.token || this.auth?.password) && !e.retryable && e.code !== ErrorCode.NOT_PAIRED) {
        clearDeviceToken(id.deviceId, ROLE);
        this.lastError = msg;
        ws.close(1000, "device token refused");
        return;
      }
      if (e.code === ErrorCode.NOT_PAIRED && (e.details as any)?.requestId) {
        this.pairingRequestId = String((e.details as any).requestId);
        this.lastError = msg;
        this.attempt = 0;
        this.nextDelayHint = PAIRING_RETRY_MS;
        this.emit("pairing", { requestId: this.pairingRequestId, deviceId: this.deviceId });
        ws.close(1000, "pairing required");
        return;
      }
      if (id && stored && !this.auth?.token && !this.auth?.password && /^unauthorized/i.test(msg)) clearDeviceToken(id.deviceId, ROLE);
      if (!e.retryable && /^unauthorized|device identity required|secure context/i.test(msg)) {
        this.lastError = msg;
        this.setState("unauthorized", { reason: msg });
        ws.close(1000, "unauthorized");
        return;
      }
      if (e.retryAfterMs) this.nextDelayHint = e.retryAfterMs;
      this.lastError = msg;
      ws.close(1000, "connect failed");
    }
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.max(this.nextDelayHint, Math.round(exp * (0.5 + Math.random() / 2)));
    this.nextDelayHint = 0;
    this.attempt++;
    this.emit("retry", { delay, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private onFrame(f: any): void {
    this.emit("frame", f);
    if (f?.type === "res") {
      const p = this.pending.get(f.id);
      if (!p) return;
      this.pending.delete(f.id);
      clearTimeout(p.timer);
      if (f.ok) p.resolve(f.payload);
      else p.reject(new GatewayError(f.error));
      return;
    }
    if (f?.type !== "event") return;
    if (typeof f.seq === "number") {
      if (this.lastSeq !== null && f.seq > this.lastSeq + 1) {
        this.emit("gap", { expected: this.lastSeq + 1, received: f.seq });
      }
      this.lastSeq = f.seq;
    }
    if (f.event === "tick") this.lastTick = Date.now();
    if (f.event === "shutdown" && f.payload?.restartExpectedMs) {
      this.nextDelayHint = f.payload.restartExpectedMs;
    }
    const ev: EventFrame = { event: f.event, payload: f.payload, stateVersion: f.stateVersion, seq: f.seq };
    this.emit("event", ev);
  }

  private send(ws: WebSocket, method: string, params: unknown, timeoutMs: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const id = uuid();
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError({ code: ErrorCode.UNAVAILABLE, message: `${method}: timed out`, retryable: true }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  /** request calls a method on the current connection. */
  request<T = any>(method: string, params: unknown = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    if (this.state !== "connected" || !this.ws) {
      return Promise.reject(new GatewayError({ code: ErrorCode.UNAVAILABLE, message: "not connected", retryable: true }));
    }
    return this.send(this.ws, method, params, timeoutMs);
  }

  /** supports says whether hello-ok listed the method (true when the list is absent). */
  supports(method: string): boolean {
    const m = this.hello?.features?.methods;
    return !Array.isArray(m) || m.includes(method);
  }
}
