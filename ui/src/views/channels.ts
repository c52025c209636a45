// Channels: WhatsApp (link by QR with live status, relink, unlink) and Telegram
// (configured, running, bot, probe; one row per bot account when the gateway reports
// channelAccounts). State is channels.status; health events (sent
// when a provider's link or connection changes) refetch it, throttled.
import { html, nothing } from "lit";
import { View } from "../view.js";
import type { EventFrame } from "../gateway.js";
import { ago, duration } from "../util.js";
import { accountOk, accountRows, accountState, hasAccounts, type AccountRow } from "../channelmodel.js";

/** How long one web.login.wait holds; the QR is refreshed between waits (codes rotate). */
const LOGIN_WAIT_MS = 15000;
/** How long web.login.start may take to get the first code. */
const LOGIN_START_MS = 30000;
/** Health events refetch channels.status at most this often. */
const REFRESH_MIN_MS = 1500;

export class ChannelsView extends View {
  private st: any = null;
  private probing = false;
  private qr = "";
  private loginMsg = "";
  private loginBusy = false;
  private linked = false;
  /** Bumped to end a wait loop (a new start, unlink, disconnect). */
  private loginGen = 0;
  private armedLogout = false;
  private lastRefresh = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  connected(): void {
    if (this.active) void this.refresh(false);
  }
  shown(): void {
    void this.refresh(false);
  }
  disconnected(): void {
    this.loginGen++;
    this.loginBusy = false;
    this.requestUpdate();
  }

  onEvent(ev: EventFrame): void {
    if (ev.event !== "health" || !this.active) return;
    const wait = this.lastRefresh + REFRESH_MIN_MS - Date.now();
    if (wait <= 0) void this.refresh(false);
    else if (!this.refreshTimer) this.refreshTimer = setTimeout(() => ((this.refreshTimer = null), void this.refresh(false)), wait);
  }

  async refresh(probe: boolean) {
    this.lastRefresh = Date.now();
    if (probe) {
      this.probing = true;
      this.requestUpdate();
    }
    const r = await this.call("channels", "channels.status", probe ? { probe: true, timeoutMs: 8000 } : {});
    this.probing = false;
    if (r) {
      this.st = r;
      this.linked = !!r.whatsapp?.linked;
    }
    this.requestUpdate();
  }

  private async startLogin(force: boolean) {
    const gen = ++this.loginGen;
    this.loginBusy = true;
    this.armedLogout = false;
    this.qr = "";
    this.loginMsg = "Asking the gateway for a QR code…";
    this.requestUpdate();
    const r = await this.call("wa-login", "web.login.start", { force, timeoutMs: LOGIN_START_MS });
    if (gen !== this.loginGen) return;
    if (!r) {
      this.loginBusy = false;
      this.loginMsg = "";
      this.requestUpdate();
      return;
    }
    this.loginMsg = r.message || "";
    this.qr = r.qrDataUrl || "";
    this.requestUpdate();
    if (!this.qr) {
      this.loginBusy = false;
      void this.refresh(false);
      return;
    }
    await this.waitLoop(gen);
  }

  /** waitLoop follows the login until it links or ends; between waits the QR is refreshed. */
  private async waitLoop(gen: number) {
    while (gen === this.loginGen && this.gw.state === "connected") {
      const w = await this.call("wa-login", "web.login.wait", { timeoutMs: LOGIN_WAIT_MS });
      if (gen !== this.loginGen) return;
      if (!w) break;
      this.loginMsg = w.message || "";
      if (w.connected) {
        this.qr = "";
        this.linked = true;
        this.loginMsg = w.message && w.message !== "linked" ? w.message : "Linked. WhatsApp is connecting.";
        break;
      }
      if (!/waiting/i.test(w.message || "")) {
        // The login ended without a link (expired, failed, cancelled).
        this.qr = "";
        break;
      }
      // Still waiting: WhatsApp rotates codes, so show the current one.
      const r = await this.call("wa-login", "web.login.start", { force: false, timeoutMs: LOGIN_START_MS });
      if (gen !== this.loginGen) return;
      if (r?.qrDataUrl) this.qr = r.qrDataUrl;
      this.requestUpdate();
    }
    if (gen === this.loginGen) this.loginBusy = false;
    this.requestUpdate();
    void this.refresh(false);
  }

  private cancelLogin() {
    this.loginGen++;
    this.loginBusy = false;
    this.qr = "";
    this.loginMsg = "Stopped waiting (the code stays valid on the gateway until it expires).";
    this.requestUpdate();
  }

  private async logout() {
    if (!this.armedLogout) {
      this.armedLogout = true;
      this.requestUpdate();
      return;
    }
    this.armedLogout = false;
    this.loginGen++;
    this.qr = "";
    // channels.logout (the original's newer name) when the gateway has it, else web.logout.
    const viaChannels = !!this.gw.hello?.features?.methods?.includes("channels.logout");
    const r = await this.call("wa-login", viaChannels ? "channels.logout" : "web.logout", viaChannels ? { channel: "whatsapp" } : {});
    if (r) this.loginMsg = r.cleared ? "Unlinked: the credentials were removed." : "Nothing to unlink.";
    this.linked = false;
    await this.refresh(false);
  }

  /** accountsTable lists a channel's accounts (gateways that report channelAccounts). */
  private accountsTable(rows: AccountRow[]) {
    return html`<div class="scroll"><table id="tg-accounts" class="table">
      <thead><tr><th>Account</th><th>State</th><th>Mode</th><th>Activity</th><th>Last error</th></tr></thead>
      <tbody>
        ${rows.map(
          (r) => html`<tr class="account" data-account-id=${r.accountId}>
            <td><strong>${r.name || r.accountId}</strong>${r.isDefault ? html` <span class="tag">default</span>` : nothing}
              <div class="sub mono">${r.name ? r.accountId : ""}${r.bot ? (r.name ? " · " : "") + "@" + r.bot : ""}</div></td>
            <td><span class="badge account-state" data-ok=${String(accountOk(r))}>${accountState(r)}</span></td>
            <td>${r.mode || "—"}</td>
            <td class="sub">${r.lastInboundAt ? `in ${ago(r.lastInboundAt)}` : ""}${r.lastOutboundAt ? ` · out ${ago(r.lastOutboundAt)}` : ""}</td>
            <td class=${r.lastError ? "bad" : "muted"}>${r.lastError || "—"}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>`;
  }

  render() {
    const wa = this.st?.whatsapp ?? this.st?.channels?.whatsapp;
    const tg = this.st?.telegram ?? this.st?.channels?.telegram;
    const row = (k: string, v: unknown, cls = "") => html`<dt>${k}</dt><dd class=${cls}>${v ?? "—"}</dd>`;
    const probe = tg?.probe;
    // One bot (the default account) keeps the detailed view with its username; a table
    // of rows is for several accounts.
    const multi = hasAccounts(this.st, "telegram") && accountRows(this.st, "telegram").length > 1;
    return html`<div class="grid">
      <section id="wa-card" class="card" aria-labelledby="wa-title">
        <h2 id="wa-title">WhatsApp
          <span id="wa-badge" class="badge" data-ok=${String(!!wa?.connected)}>${!wa ? "" : wa.connected ? "connected" : wa.linked ? "linked" : "not linked"}</span>
          <span class="spacer"></span><button id="channels-refresh" class="ghost" @click=${() => this.refresh(false)}>Refresh</button></h2>
        ${this.errorLine("channels")}
        ${wa
          ? html`<dl id="wa-status" class="kv">
              ${row("Configured", wa.configured ? "yes" : "no")}
              ${row("Linked", wa.linked ? "yes" : "no", wa.linked ? "good" : "muted")}
              ${row("Connected", wa.connected ? "yes" : "no", wa.connected ? "good" : wa.linked ? "bad" : "muted")}
              ${wa.self ? row("Number", wa.self.e164 || wa.self.jid) : nothing}
              ${wa.authAgeMs != null ? row("Linked for", duration(wa.authAgeMs)) : nothing}
              ${wa.lastError ? row("Last error", wa.lastError, "bad") : nothing}
            </dl>`
          : nothing}
        <div class="row">
          <button id="wa-link" class="primary" ?disabled=${this.loginBusy} @click=${() => this.startLogin(this.linked)}>${this.linked ? "Relink (new QR)" : "Show QR code"}</button>
          <button id="wa-cancel" ?hidden=${!this.loginBusy} @click=${this.cancelLogin}>Stop waiting</button>
          <button id="wa-logout" class="danger" ?hidden=${!this.linked} @click=${this.logout}>${this.armedLogout ? "Confirm unlink" : "Unlink"}</button>
        </div>
        ${this.errorLine("wa-login")}
        <p id="wa-login-status" class="muted" role="status" aria-live="polite">${this.loginMsg}</p>
        ${this.qr
          ? html`<figure class="qr"><img id="wa-qr" src=${this.qr} alt="WhatsApp link QR code: scan it in WhatsApp → Settings → Linked devices" width="264" height="264">
              <figcaption class="sub">Open WhatsApp on the phone → Settings → Linked devices → Link a device, and scan.</figcaption></figure>`
          : nothing}
      </section>

      <section id="tg-card" class="card" aria-labelledby="tg-title">
        <h2 id="tg-title">Telegram
          <span id="tg-badge" class="badge" data-ok=${String(!!tg?.running && !tg?.lastError)}>${!tg ? "" : !tg.configured ? "not configured" : tg.running ? "running" : "stopped"}</span>
          <span class="spacer"></span><button id="channels-probe" ?disabled=${this.probing} @click=${() => this.refresh(true)}>${this.probing ? "Probing…" : "Probe"}</button></h2>
        ${multi ? this.accountsTable(accountRows(this.st, "telegram")) : nothing}
        ${tg && !multi
          ? html`<dl id="tg-status" class="kv">
              ${row("Configured", tg.configured ? "yes" : "no")}
              ${row("Running", tg.running ? "yes" : "no", tg.running ? "good" : "muted")}
              ${tg.mode ? row("Mode", tg.mode) : nothing}
              ${tg.botUsername ? row("Bot", "@" + tg.botUsername) : nothing}
              ${tg.lastError ? row("Last error", tg.lastError, "bad") : nothing}
            </dl>`
          : nothing}
        ${probe
          ? html`<h3>Probe</h3><dl id="tg-probe" class="kv">
              ${row("Result", probe.ok ? "ok" : probe.error || "failed", probe.ok ? "good" : "bad")}
              ${probe.elapsedMs != null ? row("Took", `${probe.elapsedMs} ms`) : nothing}
              ${probe.bot?.username ? row("Bot", "@" + probe.bot.username) : nothing}
            </dl>`
          : nothing}
        <p class="sub">Checked ${ago(this.st?.ts)}. Bot accounts are configured under <code>channels.telegram</code>.</p>
      </section>
    </div>`;
  }
}
customElements.define("cb-channels", ChannelsView);
