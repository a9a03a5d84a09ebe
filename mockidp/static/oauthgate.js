// oauthgate.js: a small browser client for OpenID Connect, without dependencies.
//
// It logs a user in with the authorization code flow and PKCE (S256) against
// any OpenID provider that publishes discovery metadata and answers CORS on
// its token endpoint (mockidp does; so do most hosted providers).
//
//   import { createClient } from "https://idp.example/static/oauthgate.js";
//   const gate = await createClient({
//     issuer: "https://idp.example",         // discovery: {issuer}/.well-known/openid-configuration
//     clientId: "my-spa",                     // a public client (no secret)
//     redirectUri: location.origin + "/",     // default: this page, without query or hash
//     scope: "openid profile email",          // default; add offline_access for a refresh token
//                                             // where the provider asks for it (prompt=consent is then sent)
//     resource: "https://api.example",        // optional: the API's audience (resource, RFC 8707)
//     storage: "memory",                      // "memory" (default) or "session" (sessionStorage)
//   });
//   await gate.handleRedirect();               // finishes a login when the page is the redirect URI
//   if (!gate.user) await gate.login();        // goes to the provider (does not return)
//   const me = await gate.getJSON("/api/me");  // bearer token added; refreshed and retried once on 401
//   await gate.logout({ postLogoutRedirectUri: location.origin + "/" });
//
// What it checks: state (the callback belongs to a login this page started),
// the ID token's iss, aud, exp and nonce. It decodes the ID token but does NOT
// verify its signature: the token came straight from the token endpoint over
// TLS, and the API that receives the access token must verify what it trusts.
//
// Storage: the login in progress (state, nonce, PKCE verifier) always goes to
// sessionStorage, as it must survive the redirect. Tokens stay in memory by
// default (a reload logs the user in again, silently if the provider
// remembers them), or in sessionStorage with storage: "session".
//
// Refresh: with a refresh token, the access token is renewed refreshMargin
// seconds (default 60) before it expires, and on a 401 from fetch().
// Logout revokes the refresh token at revocation_endpoint, if any, forgets
// the tokens, then goes to end_session_endpoint, if any.
//
// The client:
//   gate.user                 null, or { claims: ID token claims, userinfo: the userinfo answer or null }
//   gate.accessToken          the current access token, or ""
//   gate.login(extraParams)   redirects to the authorization endpoint
//   gate.handleRedirect()     true if this page load was a callback it completed; throws on an error answer
//   gate.refresh()            renews the tokens with the refresh token
//   gate.fetch(url, init)     fetch with Authorization: Bearer; one refresh and retry on 401
//   gate.getJSON(url)         gate.fetch, then the JSON body; throws on a non-2xx answer
//   gate.logout(options)      revoke, forget, end the provider's session
//   gate.onChange(fn)         fn(user) after each login, refresh and logout

const TX_KEY = "oauthgate:tx:";
const TOKENS_KEY = "oauthgate:tokens:";

export async function createClient(options) {
  const c = new Client(options);
  await c.discover();
  return c;
}

export class Client {
  constructor(o) {
    if (!o || !o.issuer || !o.clientId) throw new Error("oauthgate: issuer and clientId are required");
    this.issuer = o.issuer.replace(/\/+$/, "");
    this.clientId = o.clientId;
    this.redirectUri = o.redirectUri || location.origin + location.pathname;
    this.scope = o.scope || "openid profile email";
    this.resource = o.resource || "";
    this.refreshMargin = o.refreshMargin ?? 60;
    if (o.storage && o.storage !== "memory" && o.storage !== "session") throw new Error('oauthgate: storage must be "memory" or "session"');
    this.session = o.storage === "session";
    this.meta = null;
    this.listeners = [];
    this.timer = 0;
    this.refreshing = null;
    this.tokens = this.session ? JSON.parse(sessionStorage.getItem(TOKENS_KEY + this.clientId) || "null") : null;
    if (this.tokens && !this.tokens.refresh_token && Date.now() >= this.tokens.expires_at) this.forget();
    this.schedule();
  }

  get user() { return this.tokens ? { claims: this.tokens.claims, userinfo: this.tokens.userinfo } : null; }
  get accessToken() { return this.tokens ? this.tokens.access_token : ""; }
  onChange(fn) { this.listeners.push(fn); }

  async discover() {
    const res = await fetch(this.issuer + "/.well-known/openid-configuration");
    if (!res.ok) throw new Error("oauthgate: discovery answered " + res.status);
    const meta = await res.json();
    if (meta.issuer !== this.issuer) throw new Error("oauthgate: discovery names issuer " + meta.issuer);
    this.meta = meta;
  }

  async login(extraParams = {}) {
    const tx = { state: random(), nonce: random(), verifier: random(), redirectUri: this.redirectUri };
    sessionStorage.setItem(TX_KEY + this.clientId, JSON.stringify(tx));
    const q = new URLSearchParams({
      response_type: "code", client_id: this.clientId, redirect_uri: tx.redirectUri, scope: this.scope,
      state: tx.state, nonce: tx.nonce, code_challenge: await sha256(tx.verifier), code_challenge_method: "S256",
      ...(this.resource ? { resource: this.resource } : {}), ...extraParams,
    });
    // OpenID Connect Core 11: a request for offline_access (a refresh token)
    // must also ask for consent, or certified providers drop the scope.
    if (this.scope.split(/\s+/).includes("offline_access") && !q.has("prompt")) q.set("prompt", "consent");
    location.assign(this.meta.authorization_endpoint + "?" + q);
    return new Promise(() => {}); // the page is leaving
  }

  async handleRedirect() {
    const q = new URLSearchParams(location.search);
    if (!q.has("state") || !(q.has("code") || q.has("error"))) return false;
    const raw = sessionStorage.getItem(TX_KEY + this.clientId);
    const tx = raw && JSON.parse(raw);
    if (!tx) return false; // not a login this client started
    sessionStorage.removeItem(TX_KEY + this.clientId);
    if (tx.state !== q.get("state")) throw new Error("oauthgate: the callback's state does not match the login");
    history.replaceState(history.state, "", location.pathname + location.hash);
    if (q.has("error")) throw new Error("oauthgate: " + q.get("error") + (q.get("error_description") ? ": " + q.get("error_description") : ""));
    const tok = await this.tokenRequest({
      grant_type: "authorization_code", code: q.get("code"), redirect_uri: tx.redirectUri, code_verifier: tx.verifier,
    });
    const claims = this.checkIDToken(tok.id_token, tx.nonce);
    await this.store(tok, claims, null);
    return true;
  }

  refresh() {
    if (!this.refreshing) this.refreshing = this.doRefresh().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  async doRefresh() {
    if (!this.tokens || !this.tokens.refresh_token) throw new Error("oauthgate: no refresh token");
    const old = this.tokens;
    const tok = await this.tokenRequest({ grant_type: "refresh_token", refresh_token: old.refresh_token });
    let claims = old.claims;
    if (tok.id_token) {
      claims = this.checkIDToken(tok.id_token, null);
      if (claims.sub !== old.claims.sub) throw new Error("oauthgate: the refreshed ID token names another user");
    }
    tok.refresh_token ||= old.refresh_token;
    tok.id_token ||= old.id_token;
    await this.store(tok, claims, old.userinfo);
  }

  async fetch(url, init = {}) {
    if (this.tokens && this.tokens.refresh_token && Date.now() >= this.tokens.expires_at) await this.refresh();
    const send = () => {
      const headers = new Headers(init.headers);
      if (this.accessToken) headers.set("Authorization", "Bearer " + this.accessToken);
      return fetch(url, { ...init, headers });
    };
    let res = await send();
    if (res.status === 401 && this.tokens && this.tokens.refresh_token) {
      await this.refresh();
      res = await send();
    }
    return res;
  }

  async getJSON(url) {
    const res = await this.fetch(url, { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error("oauthgate: GET " + url + " answered " + res.status);
    return res.json();
  }

  async logout({ postLogoutRedirectUri, endSession = true } = {}) {
    const t = this.tokens;
    if (t && t.refresh_token && this.meta.revocation_endpoint) {
      await fetch(this.meta.revocation_endpoint, { method: "POST", body: new URLSearchParams({
        token: t.refresh_token, token_type_hint: "refresh_token", client_id: this.clientId }) }).catch(() => {});
    }
    this.forget();
    if (endSession && this.meta.end_session_endpoint) {
      const q = new URLSearchParams({ client_id: this.clientId });
      if (t && t.id_token) q.set("id_token_hint", t.id_token);
      if (postLogoutRedirectUri) q.set("post_logout_redirect_uri", postLogoutRedirectUri);
      location.assign(this.meta.end_session_endpoint + "?" + q);
      return new Promise(() => {});
    }
  }

  forget() {
    clearTimeout(this.timer);
    this.tokens = null;
    if (this.session) sessionStorage.removeItem(TOKENS_KEY + this.clientId);
    this.changed();
  }

  async tokenRequest(params) {
    const body = new URLSearchParams({ client_id: this.clientId, ...params });
    if (this.resource) body.set("resource", this.resource);
    const res = await fetch(this.meta.token_endpoint, { method: "POST", body });
    const tok = await res.json().catch(() => ({}));
    if (!res.ok || !tok.access_token) {
      throw new Error("oauthgate: token endpoint: " + (tok.error || res.status) + (tok.error_description ? ": " + tok.error_description : ""));
    }
    return tok;
  }

  // checkIDToken decodes the ID token and checks iss, aud, exp and (at login)
  // nonce. Its signature is not verified (see the top of this file).
  checkIDToken(jwt, nonce) {
    if (!jwt) throw new Error("oauthgate: no ID token (is openid in the scope?)");
    const c = decodeJWT(jwt);
    const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (c.iss !== this.issuer) throw new Error("oauthgate: ID token issuer " + c.iss);
    if (!aud.includes(this.clientId)) throw new Error("oauthgate: ID token is for another client");
    if (typeof c.exp !== "number" || c.exp * 1000 < Date.now() - 60000) throw new Error("oauthgate: ID token expired");
    if (nonce !== null && c.nonce !== nonce) throw new Error("oauthgate: ID token nonce does not match the login");
    return c;
  }

  async store(tok, claims, userinfo) {
    const expiresIn = Number(tok.expires_in) || 3600;
    this.tokens = {
      access_token: tok.access_token, refresh_token: tok.refresh_token || "", id_token: tok.id_token,
      expires_at: Date.now() + expiresIn * 1000, claims, userinfo,
    };
    if (!userinfo && this.meta.userinfo_endpoint) {
      const res = await fetch(this.meta.userinfo_endpoint, { headers: { Authorization: "Bearer " + tok.access_token } });
      if (res.ok) this.tokens.userinfo = await res.json();
    }
    if (this.session) sessionStorage.setItem(TOKENS_KEY + this.clientId, JSON.stringify(this.tokens));
    this.schedule();
    this.changed();
  }

  // schedule renews the tokens refreshMargin seconds before they expire.
  schedule() {
    clearTimeout(this.timer);
    const t = this.tokens;
    if (!t || !t.refresh_token) return;
    const wait = Math.max(0, t.expires_at - Date.now() - this.refreshMargin * 1000);
    this.timer = setTimeout(() => this.refresh().catch(() => this.forget()), Math.min(wait, 2 ** 31 - 1));
  }

  changed() { for (const fn of this.listeners) fn(this.user); }
}

// decodeJWT returns a JWT's payload, unverified.
export function decodeJWT(jwt) {
  const part = String(jwt).split(".")[1];
  if (!part) throw new Error("oauthgate: not a JWT");
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random() { return base64url(crypto.getRandomValues(new Uint8Array(32))); }

async function sha256(s) {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
}
