// Runs the mock identity provider through openid-client (an independent,
// certified OpenID Connect client): discovery, authorization code with
// PKCE + state + nonce, ID token validation, userinfo, refresh with
// rotation, client_credentials, revocation, end_session, dynamic client
// registration (RFC 7591) and its management (RFC 7592), and the device
// authorization grant (RFC 8628). mockidp runs with --registration.
// Usage: node flow.mjs <issuer-url>. Exits non-zero on any failure.
import * as client from 'openid-client';
import assert from 'node:assert/strict';

const issuerArg = process.argv[2];
if (!issuerArg) {
  console.error('usage: node flow.mjs <issuer-url>');
  process.exit(2);
}
const issuer = new URL(issuerArg);
const clientId = 'oauthgate-demo';
const clientSecret = 'oauthgate-demo-secret';
const redirectUri = 'http://127.0.0.1:9/callback';
const email = 'conformance@example.com';

const steps = [];
async function step(name, fn) {
  try {
    await fn();
    steps.push(name);
    console.log(`ok   ${name}`);
  } catch (err) {
    console.error(`FAIL ${name}: ${err?.stack ?? err}`);
    if (err?.cause) console.error('cause:', err.cause);
    process.exit(1);
  }
}

// The issuer is http:// on loopback: openid-client refuses that unless told.
const config = await client.discovery(issuer, clientId, undefined, client.ClientSecretBasic(clientSecret), {
  execute: [client.allowInsecureRequests],
});

// Follows the authorize redirect without a browser and returns its target.
async function authorize(params, cfg = config) {
  const url = client.buildAuthorizationUrl(cfg, params);
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, `authorize answered ${res.status}`);
  const location = res.headers.get('location');
  assert.ok(location, 'authorize redirect has no Location');
  return new URL(location);
}

function jwtPayload(jwt) {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'not a compact JWS');
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

let tokens;
let claims;
let refreshed;

await step('discovery', async () => {
  const md = config.serverMetadata();
  assert.equal(md.issuer, issuer.href.replace(/\/$/, ''));
  assert.ok(md.code_challenge_methods_supported.includes('S256'));
});

await step('authorization code + PKCE + state + nonce', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const callback = await authorize({
    redirect_uri: redirectUri,
    scope: 'openid email profile offline_access',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: email,
    access_type: 'offline',
    prompt: 'consent',
  });
  tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  claims = tokens.claims();
  assert.equal(claims.email, email);
  assert.equal(claims.email_verified, true);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.aud, clientId);
  assert.equal(claims.azp, clientId);
  assert.ok(claims.sub && claims.auth_time && claims.name, 'sub, auth_time and name are present');
  assert.ok(tokens.refresh_token, 'a refresh token was issued');
});

await step('state mismatch is detected', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const callback = await authorize({
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: 'one',
  });
  await assert.rejects(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: 'two' }));
});

await step('userinfo', async () => {
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, email);
  assert.equal(info.sub, claims.sub);
});

await step('refresh with rotation', async () => {
  refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'refresh token rotated');
  const again = refreshed.claims();
  assert.equal(again.sub, claims.sub);
  // The rotated-out token must be refused.
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (err) => err.error === 'invalid_grant');
});

await step('client_credentials', async () => {
  const cc = await client.clientCredentialsGrant(config, {});
  assert.equal(cc.token_type.toLowerCase(), 'bearer');
  const payload = jwtPayload(cc.access_token);
  assert.equal(payload.iss, config.serverMetadata().issuer);
  assert.equal(payload.sub, clientId);
  assert.ok(payload.exp > payload.iat);
});

await step('revocation', async () => {
  const login = await (async () => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const callback = await authorize({
      redirect_uri: redirectUri,
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    });
    return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
  })();
  await client.tokenRevocation(config, login.refresh_token, { token_type_hint: 'refresh_token' });
  await assert.rejects(client.refreshTokenGrant(config, login.refresh_token), (err) => err.error === 'invalid_grant');
  await assert.rejects(client.fetchUserInfo(config, login.access_token, client.skipSubjectCheck));
});

await step('end_session', async () => {
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: refreshed.id_token ?? tokens.id_token,
    post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
    state: 'bye-state',
  });
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), 'http://127.0.0.1:9/bye?state=bye-state');
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token));
});

const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';
let registered;

await step('dynamic client registration, then the code flow', async () => {
  const md = config.serverMetadata();
  assert.equal(md.registration_endpoint, `${md.issuer}/register`);
  registered = await client.dynamicClientRegistration(issuer, {
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token', deviceGrant],
    token_endpoint_auth_method: 'client_secret_post',
    client_name: 'conformance',
  }, undefined, { execute: [client.allowInsecureRequests] });
  const meta = registered.clientMetadata();
  assert.ok(meta.client_id && meta.client_secret && meta.registration_access_token, 'credentials issued');
  assert.equal(meta.registration_client_uri, `${md.issuer}/register/${meta.client_id}`);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const callback = await authorize({
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: email,
  }, registered);
  const got = await client.authorizationCodeGrant(registered, callback, {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  assert.equal(got.claims().aud, meta.client_id);
  assert.equal(got.claims().email, email);
});

function approveDevice(userCode, action) {
  const body = new URLSearchParams({ user_code: userCode, mockidp_action: action, mockidp_email: email });
  return fetch(new URL('device', `${config.serverMetadata().issuer}/`), { method: 'POST', body });
}

await step('device authorization grant', async () => {
  assert.equal(config.serverMetadata().device_authorization_endpoint, `${config.serverMetadata().issuer}/device_authorization`);
  const da = await client.initiateDeviceAuthorization(registered, { scope: 'openid email' });
  assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(da.verification_uri, `${config.serverMetadata().issuer}/device`);
  const page = await approveDevice(da.user_code, 'login');
  assert.equal(page.status, 200);
  const got = await client.pollDeviceAuthorizationGrant(registered, da);
  assert.equal(got.claims().email, email);
  assert.equal(got.claims().aud, registered.clientMetadata().client_id);
  const denied = await client.initiateDeviceAuthorization(registered, { scope: 'openid' });
  assert.equal((await approveDevice(denied.user_code, 'deny')).status, 200);
  await assert.rejects(client.pollDeviceAuthorizationGrant(registered, denied), (err) => err.error === 'access_denied');
});

await step('client management (RFC 7592)', async () => {
  const meta = registered.clientMetadata();
  const auth = { authorization: `Bearer ${meta.registration_access_token}` };
  let res = await fetch(meta.registration_client_uri, { headers: auth });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).client_id, meta.client_id);
  res = await fetch(meta.registration_client_uri, { headers: { authorization: 'Bearer wrong' } });
  assert.equal(res.status, 401);
  res = await fetch(meta.registration_client_uri, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: meta.client_id, client_secret: meta.client_secret, redirect_uris: [redirectUri],
      grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post', client_name: 'renamed',
    }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).client_name, 'renamed');
  // The update took the device grant away.
  await assert.rejects(client.initiateDeviceAuthorization(registered, { scope: 'openid' }), (err) => err.error === 'unauthorized_client');
  res = await fetch(meta.registration_client_uri, { method: 'DELETE', headers: auth });
  assert.equal(res.status, 204);
  res = await fetch(meta.registration_client_uri, { headers: auth });
  assert.equal(res.status, 401);
  // A deleted client is unknown: 401 invalid_client, with a Basic challenge.
  await assert.rejects(client.clientCredentialsGrant(registered, {}), (err) => err.status === 401);
});

console.log(`${steps.length} passed, 0 failed`);
