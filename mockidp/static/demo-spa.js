// The script of mockidp's /demo/spa page: it logs in with oauthgate.js and
// shows what /userinfo says. The page holds no inline script, so it runs
// under a strict Content-Security-Policy.
import { createClient } from "./oauthgate.js";

const app = document.getElementById("app");
const $ = (id) => document.getElementById(id);
const show = (id, on) => { $(id).hidden = !on; };

function render(user) {
  show("login", !user);
  show("logout", !!user);
  show("call", !!user);
  $("who").textContent = user ? "Signed in as " + (user.claims.email || user.claims.sub) : "Not signed in";
  if (!user) $("out").textContent = "";
}

async function main() {
  const gate = await createClient({
    issuer: app.dataset.issuer,
    clientId: app.dataset.client,
    redirectUri: location.origin + location.pathname,
    scope: "openid profile email",
    storage: "session",
  });
  gate.onChange(render);
  await gate.handleRedirect();
  render(gate.user);
  $("login").addEventListener("click", () => gate.login());
  $("logout").addEventListener("click", () => gate.logout({ postLogoutRedirectUri: location.origin + location.pathname }));
  $("call").addEventListener("click", async () => {
    try {
      $("out").textContent = JSON.stringify(await gate.getJSON(gate.meta.userinfo_endpoint), null, 2);
    } catch (e) {
      $("out").textContent = String(e.message || e);
    }
  });
  if (gate.user) $("call").click();
}

main().catch((e) => { $("error").textContent = String(e.message || e); });
