// Device identity of this browser (protocol §11): an Ed25519 key pair made with
// WebCrypto, whose private half is a non-extractable CryptoKey kept in IndexedDB (so
// page scripts can sign with it but never read it out), and the device tokens the
// gateway issues after pairing, kept in localStorage per role as the original does.
// Where WebCrypto Ed25519, IndexedDB or a secure context is missing, loadIdentity
// answers null and the client connects with the shared secret alone.

export interface Identity {
  deviceId: string;
  publicKey: string; // base64url of the raw 32 bytes
  privateKey: CryptoKey;
}

const DB_NAME = "clawdbot-control-ui";
const DB_STORE = "keys";
const DB_KEY = "device-identity-v1";
const TOKENS_KEY = "clawdbot.device.auth.v1";

export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * signaturePayload is the string a device signs at connect (§11, "v2" with the
 * connect.challenge nonce): fields joined by "|", scopes joined by ",".
 */
export function signaturePayload(p: {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  signedAtMs: number;
  token: string;
  nonce?: string;
}): string {
  const f = [p.deviceId, p.clientId, p.clientMode, p.role, p.scopes.join(","), String(p.signedAtMs), p.token];
  return p.nonce ? ["v2", ...f, p.nonce].join("|") : ["v1", ...f].join("|");
}

function idb<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(DB_STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction(DB_STORE, mode);
      const req = op(tx.objectStore(DB_STORE));
      tx.oncomplete = () => (db.close(), resolve(req.result));
      tx.onerror = () => (db.close(), reject(tx.error));
    };
  });
}

let cached: Promise<Identity | null> | null = null;

/** loadIdentity loads (or makes and stores) this browser's identity; null where unsupported. */
export function loadIdentity(): Promise<Identity | null> {
  if (!cached) cached = load().catch(() => null);
  return cached;
}

async function load(): Promise<Identity | null> {
  if (typeof crypto === "undefined" || !crypto.subtle || typeof indexedDB === "undefined" || !globalThis.isSecureContext) return null;
  const stored = await idb<any>("readonly", (s) => s.get(DB_KEY)).catch(() => undefined);
  if (stored && stored.privateKey instanceof CryptoKey && typeof stored.publicKey === "string" && typeof stored.deviceId === "string") {
    return { deviceId: stored.deviceId, publicKey: stored.publicKey, privateKey: stored.privateKey };
  }
  let pair: CryptoKeyPair;
  try {
    pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
  } catch {
    return null; // no Ed25519 in this browser's WebCrypto
  }
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const deviceId = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", raw)));
  const id: Identity = { deviceId, publicKey: b64url(raw), privateKey: pair.privateKey };
  await idb("readwrite", (s) => s.put({ version: 1, deviceId, publicKey: id.publicKey, privateKey: pair.privateKey, createdAtMs: Date.now() }, DB_KEY));
  return id;
}

/** sign signs a payload: base64url of the 64-byte Ed25519 signature. */
export async function sign(id: Identity, payload: string): Promise<string> {
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, id.privateKey, new TextEncoder().encode(payload));
  return b64url(new Uint8Array(sig));
}

interface TokenStore {
  version: 1;
  deviceId: string;
  tokens: Record<string, { token: string; role: string; scopes: string[]; updatedAtMs: number }>;
}

function readTokens(): TokenStore | null {
  try {
    const s = JSON.parse(localStorage.getItem(TOKENS_KEY) || "null");
    if (s?.version === 1 && typeof s.deviceId === "string" && s.tokens && typeof s.tokens === "object") return s;
  } catch {}
  return null;
}

/** deviceToken is the stored device token of a role for this device, if any. */
export function deviceToken(deviceId: string, role: string): string | undefined {
  const s = readTokens();
  const t = s && s.deviceId === deviceId ? s.tokens[role]?.token : undefined;
  return typeof t === "string" && t ? t : undefined;
}

/** hasDeviceToken says whether some device token is stored (a login is not needed). */
export function hasDeviceToken(): boolean {
  const s = readTokens();
  return !!s && Object.values(s.tokens).some((t) => typeof t?.token === "string" && t.token !== "");
}

export function storeDeviceToken(deviceId: string, role: string, token: string, scopes: string[] = []): void {
  const s = readTokens();
  const next: TokenStore = { version: 1, deviceId, tokens: s && s.deviceId === deviceId ? { ...s.tokens } : {} };
  next.tokens[role] = { token, role, scopes: [...scopes].sort(), updatedAtMs: Date.now() };
  try {
    localStorage.setItem(TOKENS_KEY, JSON.stringify(next));
  } catch {}
}

export function clearDeviceToken(deviceId: string, role: string): void {
  const s = readTokens();
  if (!s || s.deviceId !== deviceId || !s.tokens[role]) return;
  delete s.tokens[role];
  try {
    localStorage.setItem(TOKENS_KEY, JSON.stringify(s));
  } catch {}
}

/** forgetDeviceTokens drops every stored device token (the user signs out). */
export function forgetDeviceTokens(): void {
  try {
    localStorage.removeItem(TOKENS_KEY);
  } catch {}
}
