// Starts node oidc-provider, a certified OpenID provider, on a free loopback
// port for the browser test of oauthgate.js (mockidp/oidcprovider_browser_test.go).
//
//   node provider.mjs SPA_ORIGIN
//
// One public client, "spa" (PKCE, token_endpoint_auth_method none), whose
// redirect and post-logout redirect URI is SPA_ORIGIN + "/"; CORS for that
// origin only (clientBasedCORS); refresh tokens with offline_access;
// revocation and RP-initiated logout; the built-in development login and
// consent pages (any login name is a user, whose email is that name).
//
// Prints the issuer URL as its first line on stdout, then one line per
// request ("METHOD PATH STATUS"), so the test can see what the browser did.
import http from "node:http";
import Provider from "oidc-provider";

const origin = process.argv[2];
if (!origin) {
  console.error("usage: node provider.mjs SPA_ORIGIN");
  process.exit(2);
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: "spa",
    token_endpoint_auth_method: "none",
    application_type: "web",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: [origin + "/"],
    post_logout_redirect_uris: [origin + "/"],
  }],
  clientBasedCORS(ctx, requestOrigin, client) {
    return client.redirectUris.some((u) => new URL(u).origin === requestOrigin);
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() { return { sub, email: sub, email_verified: true, name: sub }; },
    };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  scopes: ["openid", "offline_access", "email", "profile"],
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    userinfo: { enabled: true },
  },
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed("refresh_token") && code.scopes.has("offline_access"),
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
  cookies: { keys: ["oauthgate-test-only-cookie-key"] },
});
provider.on("server_error", (ctx, err) => console.error("server_error:", err));

const callback = provider.callback();
server.on("request", (req, res) => {
  const { method, url } = req;
  res.on("finish", () => console.log(`${method} ${url.split("?")[0]} ${res.statusCode}`));
  callback(req, res);
});
console.log(issuer);
