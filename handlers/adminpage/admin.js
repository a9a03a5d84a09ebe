// The capabilities admin page: calls the app's JSON routes and shows
// their answers. No framework, no inline script (the page's CSP forbids
// it); every text goes in with textContent.
"use strict";

(function () {
  const body = document.body;
  const prefix = body.dataset.prefix || "";
  const api = prefix + "/manage_capabilities";
  const status = document.getElementById("status");

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "ok";
    status.hidden = false;
  }

  // call sends a request to a route of the app and returns its JSON
  // answer; a refusal throws an Error with the server's detail.
  async function call(method, path, payload) {
    const init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new Error("the server could not be reached: " + e.message);
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    if (!resp.ok) {
      const detail = data && (data.detail || data.error_description || data.error);
      throw new Error(detail || resp.status + " " + resp.statusText);
    }
    return data || {};
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function button(text, cls, data) {
    const b = el("button", cls, text);
    b.type = "button";
    for (const k in data) b.dataset[k] = data[k];
    return b;
  }

  function isService(email) {
    return /@service$/.test(email);
  }

  // row builds a user's table row, as the server renders it.
  function row(email, stored, effective) {
    const tr = el("tr");
    tr.dataset.email = email;
    tr.appendChild(el("td", "email", email));
    const st = el("td", "stored");
    for (const c of stored) {
      const chip = el("span", "cap", c);
      const x = button("×", "remove-cap", { email: email, cap: c });
      x.setAttribute("aria-label", "remove " + c + " from " + email);
      chip.appendChild(x);
      st.appendChild(chip);
      st.appendChild(document.createTextNode(" "));
    }
    tr.appendChild(st);
    tr.appendChild(el("td", "effective", effective && effective.length ? effective.join(", ") : "—"));
    const actions = el("td", "actions");
    actions.appendChild(button("Edit", "edit", { email: email }));
    if (isService(email)) {
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(button("Revoke all tokens", "revoke-all", { email: email }));
    }
    tr.appendChild(actions);
    return tr;
  }

  function findRow(email) {
    for (const tr of document.querySelectorAll("tr[data-email]")) {
      if (tr.dataset.email === email) return tr;
    }
    return null;
  }

  function updateEmpty() {
    for (const [table, note] of [["users", "no-users"], ["services", "no-services"]]) {
      const n = document.getElementById(note);
      if (n) n.hidden = document.querySelector("#" + table + " tbody tr") !== null;
    }
  }

  // refresh reads one user's stored and effective capabilities and puts
  // the row in its table, as the server lists it (a user whose stored set
  // became empty stays listed).
  async function refresh(email) {
    const data = await call("GET", api + "/list?email=" + encodeURIComponent(email));
    const tr = row(data.email, data.capabilities, data.effective || []);
    const old = findRow(data.email);
    if (old) {
      old.replaceWith(tr);
    } else {
      const tbody = document.querySelector((isService(data.email) ? "#services" : "#users") + " tbody");
      let before = null;
      for (const other of tbody.rows) {
        if (other.dataset.email > data.email) { before = other; break; }
      }
      tbody.insertBefore(tr, before);
    }
    updateEmpty();
    filter();
    return data;
  }

  // change runs add, remove or set and shows the result or the refusal.
  async function change(op, email, caps) {
    try {
      const data = await call("POST", api + "/" + op, { email: email, capabilities: caps });
      await refresh(data.email);
      const stored = data.capabilities.length ? data.capabilities.join(", ") : "none";
      say(op + ": " + data.email + " now has " + stored + " stored", false);
    } catch (e) {
      say(op + " refused: " + e.message, true);
    }
  }

  function words(s) {
    return s.split(/[\s,]+/).filter(function (w) { return w !== ""; });
  }

  const changeForm = document.getElementById("change");
  changeForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const op = ev.submitter ? ev.submitter.value : "add";
    const email = document.getElementById("change-email").value.trim();
    const caps = words(document.getElementById("change-caps").value);
    if (op !== "set" && caps.length === 0) {
      say("name at least one capability", true);
      return;
    }
    change(op, email, caps);
  });

  // Search: the list is all on the page; hide the rows that do not match.
  const search = document.getElementById("search");
  function filter() {
    const q = search.value.trim().toLowerCase();
    for (const tr of document.querySelectorAll("#users tbody tr")) {
      tr.hidden = q !== "" && !tr.textContent.toLowerCase().includes(q);
    }
  }
  search.addEventListener("input", filter);

  // Buttons inside the tables (rows are replaced, so listen on the page).
  document.addEventListener("click", async function (ev) {
    const b = ev.target.closest("button");
    if (!b) return;
    if (b.classList.contains("remove-cap")) {
      change("remove", b.dataset.email, [b.dataset.cap]);
    } else if (b.classList.contains("edit")) {
      document.getElementById("change-email").value = b.dataset.email;
      const tr = findRow(b.dataset.email);
      const caps = tr ? Array.from(tr.querySelectorAll(".remove-cap")).map(function (x) { return x.dataset.cap; }) : [];
      document.getElementById("change-caps").value = caps.join(" ");
      document.getElementById("change-caps").focus();
    } else if (b.classList.contains("revoke-all")) {
      revokeAll(b.dataset.email);
    } else if (b.classList.contains("client-state")) {
      clientState(b.dataset.id, b.dataset.disable === "true");
    } else if (b.classList.contains("client-rotate")) {
      rotate(b.dataset.id);
    }
  });

  // Service tokens: minted with GET /token?user=, shown once.
  let minted = "";
  document.getElementById("mint").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const account = document.getElementById("mint-account").value.trim();
    try {
      const data = await call("GET", prefix + "/token?user=" + encodeURIComponent(account));
      minted = data.service_token;
      document.getElementById("minted-account").textContent = data.user;
      document.getElementById("minted-caps").textContent = data.capabilities.length ? data.capabilities.join(", ") : "none";
      document.getElementById("minted-expires").textContent = data.expires_at;
      document.getElementById("minted-token").textContent = data.service_token;
      document.getElementById("minted").hidden = false;
      document.getElementById("revoke-minted").disabled = false;
      say("service token minted for " + data.user, false);
    } catch (e) {
      say("minting refused: " + e.message, true);
    }
  });

  async function revokeToken(token, what) {
    try {
      await call("POST", prefix + "/token/revoke", { token: token });
      say(what + " revoked", false);
      return true;
    } catch (e) {
      say("revocation refused: " + e.message, true);
      return false;
    }
  }

  document.getElementById("revoke-minted").addEventListener("click", async function () {
    if (minted !== "" && await revokeToken(minted, "the token of " + document.getElementById("minted-account").textContent)) {
      minted = "";
      document.getElementById("minted-token").textContent = "(revoked)";
      document.getElementById("revoke-minted").disabled = true;
    }
  });

  document.getElementById("revoke-token").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const input = document.getElementById("revoke-token-value");
    if (await revokeToken(input.value.trim(), "the token")) input.value = "";
  });

  async function revokeAll(email) {
    try {
      await call("POST", prefix + "/token/revoke", { email: email, all: true });
      say("every token of " + email + " issued so far is revoked", false);
    } catch (e) {
      say("revocation refused: " + e.message, true);
    }
  }

  // Machine clients, when the app serves their routes.
  async function loadClients() {
    const table = document.getElementById("clients");
    if (!table) return;
    try {
      const data = await call("GET", api + "/clients");
      const tbody = table.tBodies[0];
      tbody.replaceChildren();
      for (const c of data.clients) {
        const tr = el("tr");
        tr.dataset.id = c.client_id;
        tr.appendChild(el("td", "client-id", c.client_id));
        tr.appendChild(el("td", "", c.sub));
        tr.appendChild(el("td", "", c.scope || "—"));
        tr.appendChild(el("td", "client-state-text", (c.disabled ? "disabled" : "enabled") + (c.source === "config" ? " (configuration file)" : "")));
        const actions = el("td", "actions");
        if (c.source === "store") {
          actions.appendChild(button(c.disabled ? "Enable" : "Disable", "client-state", { id: c.client_id, disable: String(!c.disabled) }));
          actions.appendChild(document.createTextNode(" "));
          actions.appendChild(button("Rotate secret", "client-rotate", { id: c.client_id }));
        } else {
          actions.appendChild(el("span", "hint", "edit the configuration to change it"));
        }
        tr.appendChild(actions);
        tbody.appendChild(tr);
      }
      document.getElementById("no-clients").hidden = data.clients.length > 0;
    } catch (e) {
      say("machine clients: " + e.message, true);
    }
  }

  async function clientState(id, disable) {
    try {
      await call("POST", api + "/clients/" + (disable ? "disable" : "enable"), { client_id: id });
      say(id + (disable ? " disabled" : " enabled"), false);
      await loadClients();
    } catch (e) {
      say((disable ? "disabling " : "enabling ") + id + " refused: " + e.message, true);
    }
  }

  async function rotate(id) {
    try {
      const data = await call("POST", api + "/clients/rotate_secret", { client_id: id });
      document.getElementById("client-secret-id").textContent = data.client_id;
      document.getElementById("client-secret-value").textContent = data.client_secret;
      document.getElementById("client-secret").hidden = false;
      say("new secret for " + data.client_id, false);
    } catch (e) {
      say("rotating the secret of " + id + " refused: " + e.message, true);
    }
  }

  updateEmpty();
  loadClients();
  body.dataset.ready = "true";
})();
