// panva's openid-client v6 as a relying party against a running Oxid provider.
import assert from 'node:assert/strict';
import { before } from 'node:test';
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { config, suiteTest, skipLoud, userAgentAuthorize, userAgentVerifyDevice, decodeJwtHeader } from '../lib/oxid.js';

const test = suiteTest('openid-client');
const cfg = config();
const issuer = new URL(cfg.issuer);
const alice = cfg.users.alice;
const insecure = { execute: [client.allowInsecureRequests] }; // the test issuer is http://127.0.0.1

let basic; // confidential client, client_secret_basic
let post; // confidential client, client_secret_post
let pub; // public client, none

before(async () => {
  const b = cfg.clients.basic;
  basic = await client.discovery(issuer, b.client_id, b.client_secret, client.ClientSecretBasic(b.client_secret), insecure);
  client.enableNonRepudiationChecks(basic); // verify ID token signatures against jwks_uri
  const p = cfg.clients.post;
  post = await client.discovery(issuer, p.client_id, p.client_secret, client.ClientSecretPost(p.client_secret), insecure);
  pub = await client.discovery(issuer, cfg.clients.public.client_id, undefined, client.None(), insecure);
});

// The full code flow: authorization URL with PKCE, login and consent over HTTP, code exchange.
async function codeFlow(conf, redirectUri, { scope = 'openid profile email offline_access', extra = {} } = {}) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(conf, {
    redirect_uri: redirectUri, scope, state, nonce,
    code_challenge: codeChallenge, code_challenge_method: 'S256', ...extra,
  });
  const { callbackUrl } = await userAgentAuthorize(url, redirectUri, { user: alice });
  const tokens = await client.authorizationCodeGrant(conf, callbackUrl, {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  return { tokens, nonce };
}

test('discovery: issuer, endpoints and capabilities', () => {
  const md = basic.serverMetadata();
  assert.equal(md.issuer, cfg.issuer);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    assert.ok(md[k], `${k} is advertised`);
  }
  assert.ok(md.supportsPKCE('S256'), 'S256 PKCE is advertised');
  assert.ok(md.response_types_supported.includes('code'));
  assert.equal(md.authorization_response_iss_parameter_supported, true);
});

test('authorization code + PKCE (client_secret_basic): tokens, validated ID token', async () => {
  const { tokens, nonce } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.access_token);
  assert.ok(tokens.expiresIn() > 0);
  assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
  const claims = tokens.claims();
  assert.equal(claims.iss, cfg.issuer);
  assert.equal(claims.aud, cfg.clients.basic.client_id);
  assert.equal(claims.nonce, nonce);
  assert.ok(claims.sub);
  assert.equal(decodeJwtHeader(tokens.id_token).alg, 'RS256');
});

test('authorization code + PKCE (client_secret_post)', async () => {
  const { tokens } = await codeFlow(post, cfg.clients.post.redirect_uri, { scope: 'openid profile' });
  assert.ok(tokens.access_token);
  assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
  assert.equal(tokens.claims().aud, cfg.clients.post.client_id);
});

test('authorization code + PKCE (public client, none)', async () => {
  const { tokens } = await codeFlow(pub, cfg.clients.public.redirect_uri, { scope: 'openid email' });
  assert.ok(tokens.access_token);
  assert.equal(tokens.claims().aud, cfg.clients.public.client_id);
});

test('userinfo: claims by scope, subject matches the ID token', async () => {
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  const sub = tokens.claims().sub;
  const info = await client.fetchUserInfo(basic, tokens.access_token, sub);
  assert.equal(info.sub, sub);
  assert.equal(info.name, alice.name);
  assert.equal(info.email, alice.email);
  assert.equal(info.email_verified, true);
});

test('pairwise subject (OIDC Core §8.1): its own sub, the same at userinfo and after refresh', async () => {
  const p = cfg.clients.pairwise;
  const pairwise = await client.discovery(issuer, p.client_id, p.client_secret, client.ClientSecretBasic(p.client_secret), insecure);
  client.enableNonRepudiationChecks(pairwise);
  assert.ok(pairwise.serverMetadata().subject_types_supported.includes('pairwise'), 'pairwise is advertised');
  const publicSub = (await codeFlow(basic, cfg.clients.basic.redirect_uri, { scope: 'openid' })).tokens.claims().sub;
  const { tokens } = await codeFlow(pairwise, p.redirect_uri);
  const sub = tokens.claims().sub;
  assert.notEqual(sub, publicSub, 'the pairwise sub is not the public one');
  // fetchUserInfo rejects an answer whose sub is not the expected one (OIDC Core §5.3.2).
  const info = await client.fetchUserInfo(pairwise, tokens.access_token, sub);
  assert.equal(info.sub, sub);
  assert.equal(info.email, alice.email);
  const refreshed = await client.refreshTokenGrant(pairwise, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, sub, 'a refreshed ID token keeps the pairwise sub');
  // A second sign-in gives the same sub: deterministic (OIDC Core §8.1).
  const again = await codeFlow(pairwise, p.redirect_uri, { scope: 'openid' });
  assert.equal(again.tokens.claims().sub, sub);
});

test('userinfo: a wrong subject is rejected by the client', async () => {
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri, { scope: 'openid' });
  await assert.rejects(client.fetchUserInfo(basic, tokens.access_token, 'someone-else'));
});

test('refresh: rotated refresh token, new ID token for the same subject', async () => {
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  const sub = tokens.claims().sub;
  const refreshed = await client.refreshTokenGrant(basic, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.ok(refreshed.refresh_token, 'a new refresh token is issued');
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the refresh token is rotated');
  if (refreshed.id_token) assert.equal(refreshed.claims().sub, sub); // optional (OIDC Core §12.2); compared in oauth4webapi's §12.2 test
  const info = await client.fetchUserInfo(basic, refreshed.access_token, sub);
  assert.equal(info.sub, sub);
});

test('refresh: reusing a rotated refresh token fails with invalid_grant', async () => {
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  const refreshed = await client.refreshTokenGrant(basic, tokens.refresh_token);
  await assert.rejects(client.refreshTokenGrant(basic, tokens.refresh_token), (e) => {
    assert.ok(e instanceof client.ResponseBodyError, `ResponseBodyError, got ${e}`);
    assert.equal(e.error, 'invalid_grant');
    return true;
  });
  // reuse revokes the family: the newest refresh token is dead too
  await assert.rejects(client.refreshTokenGrant(basic, refreshed.refresh_token), (e) => e.error === 'invalid_grant');
});

test('authorization code: a code is single-use', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(basic, {
    redirect_uri: cfg.clients.basic.redirect_uri, scope: 'openid', state,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const { callbackUrl } = await userAgentAuthorize(url, cfg.clients.basic.redirect_uri, { user: alice });
  await client.authorizationCodeGrant(basic, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state });
  await assert.rejects(
    client.authorizationCodeGrant(basic, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state }),
    (e) => e.error === 'invalid_grant',
  );
});

test('authorization code: a wrong PKCE verifier is rejected (invalid_grant)', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(basic, {
    redirect_uri: cfg.clients.basic.redirect_uri, scope: 'openid', state,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const { callbackUrl } = await userAgentAuthorize(url, cfg.clients.basic.redirect_uri, { user: alice });
  await assert.rejects(
    client.authorizationCodeGrant(basic, callbackUrl, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: state }),
    (e) => e.error === 'invalid_grant',
  );
});

test('consent denied: access_denied error response with iss (RFC 9207)', async () => {
  const state = client.randomState();
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(basic, {
    redirect_uri: cfg.clients.basic.redirect_uri, scope: 'openid profile', state, prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const { callbackUrl } = await userAgentAuthorize(url, cfg.clients.basic.redirect_uri, { user: alice, decision: 'deny' });
  assert.equal(callbackUrl.searchParams.get('iss'), cfg.issuer);
  await assert.rejects(
    client.authorizationCodeGrant(basic, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state }),
    (e) => {
      assert.ok(e instanceof client.AuthorizationResponseError, `AuthorizationResponseError, got ${e}`);
      assert.equal(e.error, 'access_denied');
      return true;
    },
  );
});

test('client credentials (client_secret_basic)', async () => {
  const tokens = await client.clientCredentialsGrant(basic, {});
  assert.ok(tokens.access_token);
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(tokens.id_token, undefined);
});

test('client credentials: a wrong secret is 401 invalid_client with a Basic challenge (RFC 6749 §5.2)', async () => {
  const wrong = await client.discovery(issuer, cfg.clients.basic.client_id, 'not-the-secret', client.ClientSecretBasic('not-the-secret'), insecure);
  let error;
  try { await client.clientCredentialsGrant(wrong, {}); } catch (e) { error = e; }
  assert.ok(error instanceof client.WWWAuthenticateChallengeError, `WWWAuthenticateChallengeError, got ${error}`);
  assert.equal(error.status, 401);
  assert.equal(error.cause[0].scheme, 'basic');
  const body = await error.response.json();
  assert.equal(body.error, 'invalid_client');
});

// private_key_jwt (RFC 7523 §2.2, OIDC Core §9): assertions signed with the client's ES256 key,
// whose public half interop/run.sh registered with `oxid client add --jwks-file`.
async function privateKeyJwt(key) {
  const c = cfg.clients.pkjwt;
  return client.discovery(issuer, c.client_id, undefined, client.PrivateKeyJwt({ key, kid: c.private_jwk.kid }), insecure);
}

async function registeredPrivateKey() {
  const { kid, ...jwk } = cfg.clients.pkjwt.private_jwk;
  return crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

test('private_key_jwt: code flow, refresh, client credentials and introspection with ES256 assertions', async () => {
  const md = basic.serverMetadata();
  assert.ok(md.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  assert.ok(md.token_endpoint_auth_signing_alg_values_supported.includes('ES256'));
  assert.ok(md.introspection_endpoint_auth_methods_supported.includes('private_key_jwt'));
  const conf = await privateKeyJwt(await registeredPrivateKey());
  client.enableNonRepudiationChecks(conf);
  const { tokens } = await codeFlow(conf, cfg.clients.pkjwt.redirect_uri);
  const refreshed = await client.refreshTokenGrant(conf, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  const service = await client.clientCredentialsGrant(conf, { scope: 'api:read' });
  assert.ok(service.access_token);
  const seen = await client.tokenIntrospection(conf, service.access_token);
  assert.equal(seen.active, true);
  assert.equal(seen.client_id, cfg.clients.pkjwt.client_id);
});

test('private_key_jwt: an assertion signed by another key is 401 invalid_client', async () => {
  const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const conf = await privateKeyJwt(other.privateKey);
  let error;
  try { await client.clientCredentialsGrant(conf, {}); } catch (e) { error = e; }
  assert.ok(error, 'the forged assertion is refused');
  assert.equal(error.status, 401);
  const body = error.error ? { error: error.error } : await error.response.json();
  assert.equal(body.error, 'invalid_client');
});

// Request objects (RFC 9101): openid-client signs every parameter into `request` (ES256 with
// the key run.sh registered with --request-object-signing-alg ES256), alone or pushed (PAR).
async function jarClient() {
  const c = cfg.clients.jar;
  const conf = await client.discovery(issuer, c.client_id, c.client_secret, client.ClientSecretBasic(c.client_secret), insecure);
  client.enableNonRepudiationChecks(conf);
  const { kid, ...jwk } = c.private_jwk;
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  return { conf, key: { key, kid } };
}

async function jarUrl(conf, key, { nonce, state, codeChallenge }) {
  const url = await client.buildAuthorizationUrlWithJAR(conf, {
    redirect_uri: cfg.clients.jar.redirect_uri, scope: 'openid email', state, nonce,
    code_challenge: codeChallenge, code_challenge_method: 'S256',
  }, key);
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request']);
  return url;
}

async function jarFlow({ par }) {
  const { conf, key } = await jarClient();
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  let url = await jarUrl(conf, key, { nonce, state, codeChallenge });
  if (par) {
    url = await client.buildAuthorizationUrlWithPAR(conf, url.searchParams);
    assert.ok(url.searchParams.get('request_uri').startsWith('urn:ietf:params:oauth:request_uri:'));
  }
  const redirectUri = cfg.clients.jar.redirect_uri;
  const { callbackUrl } = await userAgentAuthorize(url, redirectUri, { user: alice });
  const tokens = await client.authorizationCodeGrant(conf, callbackUrl, {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  assert.equal(tokens.claims().email, alice.email);
}

test('JAR: buildAuthorizationUrlWithJAR, an ES256 request object, the code flow', async () => {
  const md = basic.serverMetadata();
  assert.equal(md.request_parameter_supported, true);
  assert.equal(md.request_uri_parameter_supported, true);
  assert.ok(md.request_object_signing_alg_values_supported.includes('ES256'));
  await jarFlow({ par: false });
});

test('JAR with PAR: the request object pushed, then the code flow', async () => {
  await jarFlow({ par: true });
});

test('JAR: a request object signed by another key is refused (invalid_request_object, error page)', async () => {
  const { conf } = await jarClient();
  const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const url = await jarUrl(conf, { key: other.privateKey, kid: cfg.clients.jar.private_jwk.kid }, {
    nonce: client.randomNonce(), state: client.randomState(), codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  });
  // Only client_id and request beside each other: no redirect URI to trust, so the page says it.
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid_request_object/);
  // Pushed, the same object is refused at the PAR endpoint.
  let error;
  try { await client.buildAuthorizationUrlWithPAR(conf, url.searchParams); } catch (e) { error = e; }
  assert.equal(error?.error, 'invalid_request_object');
});

test('introspection: an active access token, then an unknown one', async (t) => {
  if (!basic.serverMetadata().introspection_endpoint) return skipLoud(t, 'token introspection: introspection_endpoint not advertised by the provider');
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  const active = await client.tokenIntrospection(basic, tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, cfg.clients.basic.client_id);
  assert.equal(active.sub, tokens.claims().sub);
  const unknown = await client.tokenIntrospection(basic, 'no-such-token');
  assert.equal(unknown.active, false);
});

test('revocation: a revoked refresh token no longer refreshes', async (t) => {
  if (!basic.serverMetadata().revocation_endpoint) return skipLoud(t, 'token revocation: revocation_endpoint not advertised by the provider');
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  await client.tokenRevocation(basic, tokens.refresh_token, { token_type_hint: 'refresh_token' });
  await assert.rejects(client.refreshTokenGrant(basic, tokens.refresh_token), (e) => e.error === 'invalid_grant');
  // revoking an unknown token is not an error (RFC 7009 §2.2)
  await client.tokenRevocation(basic, 'no-such-token');
});

test('revocation: a revoked access token is inactive at introspection and refused by userinfo', async (t) => {
  const md = basic.serverMetadata();
  if (!md.revocation_endpoint) return skipLoud(t, 'access token revocation: revocation_endpoint not advertised by the provider');
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  await client.tokenRevocation(basic, tokens.access_token, { token_type_hint: 'access_token' });
  await assert.rejects(client.fetchUserInfo(basic, tokens.access_token, tokens.claims().sub));
  if (md.introspection_endpoint) {
    const r = await client.tokenIntrospection(basic, tokens.access_token);
    assert.equal(r.active, false);
  }
});

test('end-session URL: built from discovery with id_token_hint', async (t) => {
  const md = basic.serverMetadata();
  if (!md.end_session_endpoint) return skipLoud(t, 'RP-initiated logout: end_session_endpoint not advertised by the provider');
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri, { scope: 'openid' });
  const url = client.buildEndSessionUrl(basic, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: cfg.clients.basic.post_logout_redirect_uri,
    state: 'bye',
  });
  assert.equal(url.origin + url.pathname, md.end_session_endpoint);
  assert.equal(url.searchParams.get('client_id'), cfg.clients.basic.client_id);
  // the provider answers the logout request with a page or a redirect, not an error
  const res = await fetch(url, { redirect: 'manual' });
  assert.ok(res.status < 400, `end_session_endpoint answered ${res.status}`);
});

for (const alg of ['PS256', 'ES256', 'EdDSA', 'HS256']) {
  test(`ID token signed with ${alg}: openid-client verifies the signature`, async () => {
    const c = cfg.alg_clients[alg];
    const conf = await client.discovery(issuer, c.client_id, { client_secret: c.client_secret, id_token_signed_response_alg: alg },
      client.ClientSecretBasic(c.client_secret), insecure);
    if (alg !== 'HS256') client.enableNonRepudiationChecks(conf); // HS256 is not a non-repudiation signature
    const { tokens } = await codeFlow(conf, c.redirect_uri, { scope: 'openid' });
    assert.equal(decodeJwtHeader(tokens.id_token).alg, alg);
    assert.equal(tokens.claims().aud, c.client_id);
  });
}

test('authorization code replay revokes the tokens issued from it (RFC 6749 §4.1.2)', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(basic, {
    redirect_uri: cfg.clients.basic.redirect_uri, scope: 'openid offline_access', state,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const { callbackUrl } = await userAgentAuthorize(url, cfg.clients.basic.redirect_uri, { user: alice });
  const tokens = await client.authorizationCodeGrant(basic, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state });
  await assert.rejects(client.authorizationCodeGrant(basic, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state }));
  await assert.rejects(client.fetchUserInfo(basic, tokens.access_token, client.skipSubjectCheck), 'the first access token is revoked');
  await assert.rejects(client.refreshTokenGrant(basic, tokens.refresh_token), (e) => e.error === 'invalid_grant');
});

test('revocation by another client leaves the token working (RFC 7009 §2.1)', async (t) => {
  if (!basic.serverMetadata().revocation_endpoint) return skipLoud(t, 'token revocation: revocation_endpoint not advertised by the provider');
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri, { scope: 'openid profile' });
  try {
    await client.tokenRevocation(post, tokens.access_token); // interop-post is not the token's client
  } catch (e) {
    // refusing is fine (RFC 7009 §2.1), as long as it is a well-formed OAuth error
    assert.ok(e instanceof client.ResponseBodyError || e instanceof client.WWWAuthenticateChallengeError, `a protocol error, got ${e}`);
  }
  const info = await client.fetchUserInfo(basic, tokens.access_token, tokens.claims().sub);
  assert.equal(info.sub, tokens.claims().sub);
});

test('introspection of a refresh token (token_type_hint=refresh_token)', async (t) => {
  if (!basic.serverMetadata().introspection_endpoint) return skipLoud(t, 'token introspection: introspection_endpoint not advertised by the provider');
  const { tokens } = await codeFlow(basic, cfg.clients.basic.redirect_uri);
  const r = await client.tokenIntrospection(basic, tokens.refresh_token, { token_type_hint: 'refresh_token' });
  assert.equal(r.active, true);
  assert.equal(r.client_id, cfg.clients.basic.client_id);
  assert.equal(r.sub, tokens.claims().sub);
  const rotated = await client.refreshTokenGrant(basic, tokens.refresh_token);
  const old = await client.tokenIntrospection(basic, tokens.refresh_token, { token_type_hint: 'refresh_token' });
  assert.equal(old.active, false, 'a rotated refresh token is inactive');
  assert.equal((await client.tokenIntrospection(basic, rotated.refresh_token)).active, true);
});

for (const v of ['redirect_uri', 'redirect_uri_v6']) {
  test(`native app: loopback ${v === 'redirect_uri' ? 'IPv4' : 'IPv6'} redirect on an ephemeral port (RFC 8252 §7.3)`, async () => {
    const n = cfg.clients.native;
    const conf = await client.discovery(issuer, n.client_id, undefined, client.None(), insecure);
    const redirect = new URL(n[v]);
    redirect.port = String(40000 + Math.floor(Math.random() * 20000)); // the port the app would listen on
    const { tokens } = await codeFlow(conf, redirect.href, { scope: 'openid' });
    assert.equal(tokens.claims().aud, n.client_id);
  });
}

// A free port on 127.0.0.1.
async function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}

// Runs `fn` against a second provider on a fresh database with alice as its user, started
// with `serveArgs` at `issuerFor(port)`; `prepare(db)` adds what else it needs first.
async function withProvider({ issuerFor, serveArgs = [], prepare = () => {} }, fn) {
  const dir = mkdtempSync(path.join(tmpdir(), 'oxid-second-'));
  const db = `sqlite://${dir}/oxid.db`;
  const port = await freePort();
  const iss = new URL(issuerFor(port));
  execFileSync(cfg.oxid_bin, ['user', 'add', '--database', db, '--username', alice.username, '--password-stdin', '--name', alice.name],
    { input: `${alice.password}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
  prepare(db);
  const child = spawn(cfg.oxid_bin, ['serve', '--database', db, '--listen', `127.0.0.1:${port}`, '--issuer', iss.href, ...serveArgs],
    { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  try {
    const wellKnown = new URL(`${iss.href.replace(/\/$/, '')}/.well-known/openid-configuration`);
    for (let i = 0; ; i++) {
      try { if ((await fetch(wellKnown)).ok) break; } catch { /* not yet */ }
      if (i > 300) throw new Error('the second provider did not start'); // key generation is slow on a busy machine
      await new Promise((r) => setTimeout(r, 100));
    }
    await fn(iss);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

// A second provider whose issuer has a path: discovery by path insertion (RFC 8414 §3.1)
// and by appending (OIDC Discovery §4), and the whole code flow under the path.
test('issuer with a path: discovery both ways and a code flow', async () => {
  const redirectUri = 'http://127.0.0.1:9/callback';
  const prepare = (db) => execFileSync(cfg.oxid_bin, ['client', 'add', '--database', db, '--client-id', 'path-rp', '--public', '--redirect-uri', redirectUri,
    '--grant-type', 'authorization_code', '--auth-method', 'none', '--scope', 'openid profile', '--skip-consent'], { stdio: 'ignore' });
  await withProvider({ issuerFor: (port) => `http://127.0.0.1:${port}/tenant/a`, prepare }, async (pathIssuer) => {
    // RFC 8414 §3.1: /.well-known/oauth-authorization-server/tenant/a
    const as = await oauth.processDiscoveryResponse(pathIssuer,
      await oauth.discoveryRequest(pathIssuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
    assert.equal(as.issuer, pathIssuer.href);
    const conf = await client.discovery(pathIssuer, 'path-rp', undefined, client.None(), insecure);
    assert.equal(conf.serverMetadata().issuer, pathIssuer.href);
    client.enableNonRepudiationChecks(conf);
    const { tokens } = await codeFlow(conf, redirectUri, { scope: 'openid profile' });
    assert.equal(tokens.claims().iss, pathIssuer.href);
    const info = await client.fetchUserInfo(conf, tokens.access_token, tokens.claims().sub);
    assert.equal(info.name, alice.name);
  });
});

// Dynamic Client Registration (RFC 7591, OIDC Registration 1.0) with an initial access
// token: openid-client registers a client, signs in with it, and reads it back (RFC 7592).
test('dynamic registration: register with the initial access token, sign in, read it back', async () => {
  const initialAccessToken = client.randomState(); // 43 base64url characters, 256 bits
  const redirectUri = 'http://127.0.0.1:9/callback';
  const serveArgs = ['--registration-token', initialAccessToken];
  await withProvider({ issuerFor: (port) => `http://127.0.0.1:${port}`, serveArgs }, async (dcrIssuer) => {
    const metadata = {
      redirect_uris: [redirectUri], client_name: 'Interop DCR', 'client_name#fr': 'Interop DCR (fr)',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post', id_token_signed_response_alg: 'ES256',
    };
    // Without the initial access token: 401 with a Bearer challenge (RFC 6750 §3).
    const endpoint = new URL('/register', dcrIssuer);
    const refused = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate'), /^Bearer/);
    const conf = await client.dynamicClientRegistration(dcrIssuer, metadata, undefined,
      { initialAccessToken, execute: [client.allowInsecureRequests] });
    const registered = conf.clientMetadata();
    assert.ok(registered.client_id && registered.client_secret, 'credentials issued');
    assert.equal(registered.client_secret_expires_at, 0);
    assert.equal(registered['client_name#fr'], 'Interop DCR (fr)');
    assert.equal(registered.id_token_signed_response_alg, 'ES256');
    client.enableNonRepudiationChecks(conf);
    const { tokens } = await codeFlow(conf, redirectUri, { scope: 'openid profile' });
    assert.equal(tokens.claims().aud, registered.client_id);
    assert.equal(decodeJwtHeader(tokens.id_token).alg, 'ES256', 'the registered ID token algorithm');
    // RFC 7592 §2.1: the client configuration endpoint, with the registration access token.
    const read = await fetch(registered.registration_client_uri,
      { headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    assert.equal(read.status, 200);
    const current = await read.json();
    assert.equal(current.client_name, 'Interop DCR');
    assert.equal(current.client_secret, undefined, 'the secret is kept only as a hash');
    // A bad redirect URI is refused with RFC 7591's error code, naming the member.
    await assert.rejects(
      client.dynamicClientRegistration(dcrIssuer, { ...metadata, redirect_uris: ['https://rp.example/cb#frag'] }, undefined,
        { initialAccessToken, execute: [client.allowInsecureRequests] }),
      (err) => err.error === 'invalid_redirect_uri' && /^redirect_uris/.test(err.error_description));
  });
});

// RFC 7591 + RFC 7523 §2.2: a client registered dynamically (at the interop provider, with its
// initial access token) with its own public key in `jwks`, then authenticating with
// private_key_jwt: code flow and refresh with ES256 assertions openid-client makes.
test('dynamic registration with private_key_jwt: register a jwks, sign in, refresh with ES256 assertions', async () => {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const kid = `dcr-${client.randomState().slice(0, 8)}`;
  const { key_ops, ext, ...pub } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const redirectUri = cfg.clients.pkjwt.redirect_uri;
  const metadata = {
    redirect_uris: [redirectUri], client_name: 'Interop DCR private_key_jwt (openid-client)',
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] },
  };
  const conf = await client.dynamicClientRegistration(issuer, metadata,
    client.PrivateKeyJwt({ key: pair.privateKey, kid }),
    { initialAccessToken: cfg.registration_token, execute: [client.allowInsecureRequests] });
  const registered = conf.clientMetadata();
  assert.ok(registered.client_id, 'a client id issued');
  assert.equal(registered.client_secret, undefined, 'no secret for a private_key_jwt client');
  assert.equal(registered.token_endpoint_auth_method, 'private_key_jwt');
  client.enableNonRepudiationChecks(conf);
  const { tokens } = await codeFlow(conf, redirectUri, { scope: 'openid profile offline_access' });
  assert.equal(tokens.claims().aud, registered.client_id);
  const refreshed = await client.refreshTokenGrant(conf, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  // An assertion signed by a key the registration does not hold is refused.
  const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const forged = new client.Configuration(conf.serverMetadata(), registered.client_id, undefined,
    client.PrivateKeyJwt({ key: other.privateKey, kid }));
  client.allowInsecureRequests(forged);
  await assert.rejects(client.refreshTokenGrant(forged, refreshed.refresh_token),
    (err) => err.status === 401 || err.error === 'invalid_client');
  // RFC 7592 §2.3: the client deletes itself.
  const gone = await fetch(registered.registration_client_uri,
    { method: 'DELETE', headers: { authorization: `Bearer ${registered.registration_access_token}` } });
  assert.equal(gone.status, 204);
});

// OIDC Core §10.2 and §5.3.2 (issue 15): a client registered with ID token and UserInfo
// encryption to its own `use: enc` key; openid-client decrypts (enableDecryptingResponses),
// then validates the signed ID token and the signed UserInfo inside.
for (const alg of ['ECDH-ES', 'RSA-OAEP-256']) {
  test(`JWE: ID token and UserInfo encrypted with ${alg}, decrypted by openid-client`, async () => {
    const md = basic.serverMetadata();
    assert.ok(md.id_token_encryption_alg_values_supported.includes(alg));
    assert.ok(md.userinfo_encryption_enc_values_supported.includes('A128GCM'));
    const rsa = alg === 'RSA-OAEP-256';
    const pair = await crypto.subtle.generateKey(
      rsa ? { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
        : { name: 'ECDH', namedCurve: 'P-256' },
      true, rsa ? ['encrypt', 'decrypt'] : ['deriveBits']);
    const kid = `jwe-${client.randomState().slice(0, 8)}`;
    const { key_ops, ext, ...pubJwk } = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const redirectUri = cfg.clients.pkjwt.redirect_uri;
    const metadata = {
      redirect_uris: [redirectUri], client_name: `Interop JWE ${alg} (openid-client)`,
      grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      jwks: { keys: [{ ...pubJwk, kid, alg, use: 'enc' }] },
      id_token_encrypted_response_alg: alg, id_token_encrypted_response_enc: 'A256GCM',
      userinfo_signed_response_alg: 'RS256',
      userinfo_encrypted_response_alg: alg, userinfo_encrypted_response_enc: 'A128GCM',
    };
    const conf = await client.dynamicClientRegistration(issuer, metadata, undefined,
      { initialAccessToken: cfg.registration_token, execute: [client.allowInsecureRequests] });
    const registered = conf.clientMetadata();
    assert.equal(registered.id_token_encrypted_response_alg, alg);
    client.enableDecryptingResponses(conf, ['A128GCM', 'A256GCM'], { key: pair.privateKey, kid });
    client.enableNonRepudiationChecks(conf);
    const { tokens } = await codeFlow(conf, redirectUri, { scope: 'openid email' });
    assert.equal(tokens.id_token.split('.').length, 5, 'the ID token is a compact JWE');
    const claims = tokens.claims();
    assert.equal(claims.aud, registered.client_id);
    const userinfo = await client.fetchUserInfo(conf, tokens.access_token, claims.sub);
    assert.equal(userinfo.sub, claims.sub);
    assert.ok(userinfo.email, 'the email scope is released');
    // Without the key, the encrypted ID token cannot be read.
    const blind = new client.Configuration(conf.serverMetadata(), registered.client_id, registered.client_secret);
    client.allowInsecureRequests(blind);
    await assert.rejects(codeFlow(blind, redirectUri, { scope: 'openid' }));
    const gone = await fetch(registered.registration_client_uri,
      { method: 'DELETE', headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    assert.equal(gone.status, 204);
  });
}

// RFC 8628: openid-client starts the device flow and polls while the user enters the code.
async function deviceConfiguration() {
  const d = cfg.clients.device;
  return client.discovery(issuer, d.client_id, undefined, client.None(), insecure);
}

test('device authorization grant (RFC 8628): the user enters the code, openid-client polls for tokens', async () => {
  const conf = await deviceConfiguration();
  assert.ok(conf.serverMetadata().device_authorization_endpoint, 'advertised in discovery');
  const started = await client.initiateDeviceAuthorization(conf, { scope: 'openid email offline_access' });
  assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  const polling = client.pollDeviceAuthorizationGrant(conf, started);
  // The code typed by hand, lower case and without its dash (RFC 8628 §6.1).
  const typed = started.user_code.toLowerCase().replace('-', '');
  const page = await userAgentVerifyDevice(started.verification_uri, { user: alice, userCode: typed });
  assert.match(page, /signed in/);
  const tokens = await polling;
  assert.ok(tokens.access_token);
  assert.ok(tokens.refresh_token, 'offline_access was granted');
  const claims = tokens.claims();
  assert.equal(claims.aud, cfg.clients.device.client_id);
  const info = await client.fetchUserInfo(conf, tokens.access_token, claims.sub);
  assert.equal(info.email, alice.email);
});

test('device authorization grant: verification_uri_complete, the user denies, polling ends in access_denied', async () => {
  const conf = await deviceConfiguration();
  const started = await client.initiateDeviceAuthorization(conf, { scope: 'openid' });
  const polling = client.pollDeviceAuthorizationGrant(conf, started).then(
    () => assert.fail('a denied request gives no tokens'),
    (e) => e,
  );
  await userAgentVerifyDevice(started.verification_uri_complete, { user: alice, decision: 'deny' });
  const error = await polling;
  assert.equal(error.error, 'access_denied', String(error));
});

test('password grant (RFC 6749 §4.3) through the generic grant: tokens, then invalid_grant for a wrong password', async () => {
  const p = cfg.clients.password;
  const conf = await client.discovery(issuer, p.client_id, p.client_secret, client.ClientSecretBasic(p.client_secret), insecure);
  assert.ok(conf.serverMetadata().grant_types_supported.includes('password'), 'enabled by grants.password');
  const tokens = await client.genericGrantRequest(conf, 'password', {
    username: alice.username, password: alice.password, scope: 'openid email offline_access',
  });
  assert.ok(tokens.access_token);
  assert.ok(tokens.refresh_token);
  assert.equal(tokens.claims().aud, p.client_id);
  await assert.rejects(
    client.genericGrantRequest(conf, 'password', { username: alice.username, password: 'wrong', scope: 'openid' }),
    (e) => e.error === 'invalid_grant',
  );
});

// RFC 8693 through openid-client's generic grant: alice's access token (password grant) is
// exchanged by interop-exchange, acting with its own client_credentials token (delegation);
// introspection shows `act` and the audience; an audience outside the policy is invalid_target.
test('token exchange (RFC 8693) through the generic grant: delegation with act, then invalid_target', async () => {
  const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
  const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
  const p = cfg.clients.password;
  const x = cfg.clients.exchange;
  const pconf = await client.discovery(issuer, p.client_id, p.client_secret, client.ClientSecretBasic(p.client_secret), insecure);
  const subject = await client.genericGrantRequest(pconf, 'password', {
    username: alice.username, password: alice.password, scope: 'openid email',
  });
  const conf = await client.discovery(issuer, x.client_id, x.client_secret, client.ClientSecretBasic(x.client_secret), insecure);
  assert.ok(conf.serverMetadata().grant_types_supported.includes(TOKEN_EXCHANGE), 'listed with a [[token_exchange]] policy');
  const actor = await client.clientCredentialsGrant(conf, { scope: 'api:read' });
  const exchanged = await client.genericGrantRequest(conf, TOKEN_EXCHANGE, {
    subject_token: subject.access_token, subject_token_type: ACCESS,
    actor_token: actor.access_token, actor_token_type: ACCESS,
    audience: x.audience, scope: 'email',
  });
  assert.equal(exchanged.issued_token_type, ACCESS);
  assert.equal(exchanged.token_type.toLowerCase(), 'bearer');
  assert.equal(exchanged.scope, 'email');
  assert.equal(exchanged.id_token, undefined);
  const seen = await client.tokenIntrospection(conf, exchanged.access_token);
  assert.equal(seen.active, true);
  assert.equal(seen.username, alice.username);
  assert.equal(seen.aud, x.audience);
  assert.deepEqual(seen.act, { sub: x.client_id, client_id: x.client_id });
  await assert.rejects(
    client.genericGrantRequest(conf, TOKEN_EXCHANGE, {
      subject_token: subject.access_token, subject_token_type: ACCESS,
      actor_token: actor.access_token, actor_token_type: ACCESS, audience: 'https://elsewhere.example',
    }),
    (e) => e.error === 'invalid_target',
  );
});

// ---- implicit and hybrid flows, form_post (OIDC Core §3.2, §3.3; Form Post Response Mode) --

// A hybrid (`code id_token`) configuration of `clientCfg`: openid-client validates the ID
// token of the authorization response (signature, nonce, c_hash, s_hash when state is
// sent) before it exchanges the code.
async function hybridConfig(clientCfg) {
  const conf = await client.discovery(issuer, clientCfg.client_id, clientCfg.client_secret,
    client.ClientSecretBasic(clientCfg.client_secret), insecure);
  client.useCodeIdTokenResponseType(conf);
  client.enableNonRepudiationChecks(conf);
  return conf;
}

async function hybridFlow(clientCfg, extra = {}) {
  const conf = await hybridConfig(clientCfg);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(conf, {
    redirect_uri: clientCfg.redirect_uri, scope: 'openid profile email', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', ...extra,
  });
  assert.equal(url.searchParams.get('response_type'), 'code id_token');
  const answer = await userAgentAuthorize(url, clientCfg.redirect_uri, { user: alice });
  const tokens = await client.authorizationCodeGrant(conf, answer.formPost ?? answer.callbackUrl, {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  return { tokens, answer, nonce };
}

test('discovery: the implicit and hybrid response types and the form_post mode are advertised', () => {
  const md = basic.serverMetadata();
  for (const rt of ['id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']) {
    assert.ok(md.response_types_supported.includes(rt), rt);
  }
  assert.deepEqual(md.response_modes_supported, ['query', 'fragment', 'form_post']);
});

test('hybrid flow (code id_token, fragment): c_hash and s_hash validated, code exchanged', async () => {
  const { tokens, answer, nonce } = await hybridFlow(cfg.clients.hybrid);
  assert.equal(answer.callbackUrl.search, '', 'nothing in the query (Multiple Response Types §7)');
  const front = new URLSearchParams(answer.callbackUrl.hash.slice(1));
  assert.ok(front.get('code') && front.get('id_token'));
  const claims = tokens.claims();
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.sub, JSON.parse(Buffer.from(front.get('id_token').split('.')[1], 'base64url')).sub);
  const info = await client.fetchUserInfo(await hybridConfig(cfg.clients.hybrid), tokens.access_token, claims.sub);
  assert.equal(info.name, alice.name);
});

test('hybrid flow (code id_token) with response_mode=form_post', async () => {
  const { tokens, answer } = await hybridFlow(cfg.clients.hybrid, { response_mode: 'form_post' });
  assert.ok(answer.formPost, 'the answer is an auto-submitting form');
  assert.match(answer.csp, /script-src 'sha256-/);
  assert.equal(new URL(answer.formPost.url).href, cfg.clients.hybrid.redirect_uri, 'nothing in the URL');
  assert.ok(tokens.access_token);
});

test('hybrid flow (code id_token) signed with EdDSA: c_hash and s_hash are the left half of SHA-512', async () => {
  const { tokens } = await hybridFlow(cfg.clients.hybrid_eddsa);
  assert.equal(decodeJwtHeader(tokens.id_token).alg, 'EdDSA');
  assert.equal(tokens.claims().aud, cfg.clients.hybrid_eddsa.client_id);
});

test('form_post (code flow): the code arrives in a POSTed form and is exchanged', async () => {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(basic, {
    redirect_uri: cfg.clients.basic.redirect_uri, scope: 'openid', state, nonce, response_mode: 'form_post',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  });
  const answer = await userAgentAuthorize(url, cfg.clients.basic.redirect_uri, { user: alice });
  assert.ok(answer.formPost, 'an auto-submitting form');
  assert.match(answer.html, /<noscript>/, 'it works without JavaScript');
  const tokens = await client.authorizationCodeGrant(basic, answer.formPost, {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  assert.equal(tokens.claims().nonce, nonce);
});

test('implicit flow (id_token): implicitAuthentication validates the ID token from the fragment', async () => {
  const i = cfg.clients.implicit;
  const conf = await client.discovery(issuer, i.client_id, i.client_secret, client.ClientSecretBasic(i.client_secret), insecure);
  client.useIdTokenResponseType(conf);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(conf, { redirect_uri: i.redirect_uri, scope: 'openid email', state, nonce });
  const { callbackUrl } = await userAgentAuthorize(url, i.redirect_uri, { user: alice });
  const claims = await client.implicitAuthentication(conf, callbackUrl, nonce, { expectedState: state });
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.email, alice.email, 'no access token: the scope claims are in the ID token (OIDC Core §5.4)');
});
