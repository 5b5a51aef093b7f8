// panva's oauth4webapi: the same flows through its processing functions, which check our
// responses strictly (status, content-type, JSON shape, iss, ID token claims, challenges).
import assert from 'node:assert/strict';
import { before } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';
import { config, suiteTest, skipLoud, userAgentAuthorize, CookieJar } from '../lib/oxid.js';

const test = suiteTest('oauth4webapi');
const cfg = config();
const issuer = new URL(cfg.issuer);
const alice = cfg.users.alice;
const opts = { [oauth.allowInsecureRequests]: true }; // the test issuer is http://127.0.0.1

let as;
const b = cfg.clients.basic;
const basicClient = { client_id: b.client_id };
const basicAuth = oauth.ClientSecretBasic(b.client_secret);
const p = cfg.clients.post;
const postClient = { client_id: p.client_id };
const postAuth = oauth.ClientSecretPost(p.client_secret);
const publicClient = { client_id: cfg.clients.public.client_id };

before(async () => {
  const response = await oauth.discoveryRequest(issuer, { ...opts, algorithm: 'oidc' });
  as = await oauth.processDiscoveryResponse(issuer, response);
});

async function authorize(client, redirectUri, { scope = 'openid profile email offline_access', decision = 'allow', extra = {}, post = false, withState = true, pkce = 'S256', jar, user = alice, onPage } = {}) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = withState ? oauth.generateRandomState() : oauth.expectNoState;
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  const params = {
    client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code', scope, nonce,
    code_challenge: pkce === 'S256' ? await oauth.calculatePKCECodeChallenge(codeVerifier) : codeVerifier,
    code_challenge_method: pkce, ...extra,
  };
  if (withState) params.state = state;
  url.search = new URLSearchParams(params).toString();
  const { callbackUrl } = await userAgentAuthorize(url, redirectUri, { user, decision, post, jar, onPage });
  return { callbackUrl, codeVerifier, state, nonce };
}

async function codeFlow(client, auth, redirectUri, options) {
  const { callbackUrl, codeVerifier, state, nonce } = await authorize(client, redirectUri, options);
  if (options?.withState === false) assert.equal(callbackUrl.searchParams.has('state'), false, 'no state sent, none returned');
  const params = oauth.validateAuthResponse(as, client, callbackUrl, state); // checks iss (RFC 9207)
  const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, codeVerifier, opts);
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
  return { result, claims: oauth.getValidatedIdTokenClaims(result), nonce };
}

test('discovery: processDiscoveryResponse accepts the OIDC document', () => {
  assert.equal(as.issuer, cfg.issuer);
  assert.ok(as.code_challenge_methods_supported.includes('S256'));
  assert.equal(as.authorization_response_iss_parameter_supported, true);
});

test('discovery: RFC 8414 document processes with the oauth2 algorithm', async () => {
  const response = await oauth.discoveryRequest(issuer, { ...opts, algorithm: 'oauth2' });
  const md = await oauth.processDiscoveryResponse(issuer, response);
  assert.equal(md.issuer, cfg.issuer);
  assert.equal(md.token_endpoint, as.token_endpoint);
});

test('authorization code + PKCE (client_secret_basic): processAuthorizationCodeResponse', async () => {
  const { result, claims, nonce } = await codeFlow(basicClient, basicAuth, b.redirect_uri);
  assert.equal(result.token_type, 'bearer'); // normalised to lower case by oauth4webapi
  assert.ok(result.access_token);
  assert.ok(result.refresh_token);
  assert.equal(claims.iss, cfg.issuer);
  assert.equal(claims.aud, b.client_id);
  assert.equal(claims.nonce, nonce);
  assert.equal(typeof claims.auth_time, 'number');
});

test('ID token signature verifies against jwks_uri (RS256, kid)', async () => {
  const { result } = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid' });
  const jwks = jose.createRemoteJWKSet(new URL(as.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(result.id_token, jwks, {
    issuer: cfg.issuer, audience: b.client_id, algorithms: ['RS256'],
  });
  assert.ok(protectedHeader.kid, 'the ID token header names its key');
  assert.ok(payload.sub);
  // at_hash (OIDC Core §3.1.3.6) when present matches the access token
  if (payload.at_hash) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(result.access_token));
    assert.equal(payload.at_hash, Buffer.from(digest).subarray(0, 16).toString('base64url'));
  }
});

test('max_age: auth_time is present and accepted', async () => {
  const { callbackUrl, codeVerifier, state, nonce } = await authorize(basicClient, b.redirect_uri, { scope: 'openid', extra: { max_age: '300' } });
  const params = oauth.validateAuthResponse(as, basicClient, callbackUrl, state);
  const response = await oauth.authorizationCodeGrantRequest(as, basicClient, basicAuth, params, b.redirect_uri, codeVerifier, opts);
  const result = await oauth.processAuthorizationCodeResponse(as, basicClient, response, { expectedNonce: nonce, maxAge: 300 });
  assert.equal(typeof oauth.getValidatedIdTokenClaims(result).auth_time, 'number');
});

test('authorization code + PKCE (client_secret_post)', async () => {
  const { result, claims } = await codeFlow(postClient, postAuth, p.redirect_uri, { scope: 'openid profile' });
  assert.ok(result.access_token);
  assert.equal(claims.aud, p.client_id);
});

test('authorization code + PKCE (public client, none)', async () => {
  const { result, claims } = await codeFlow(publicClient, oauth.None(), cfg.clients.public.redirect_uri);
  assert.ok(result.access_token);
  assert.equal(claims.aud, publicClient.client_id);
});

test('userinfo: processUserInfoResponse', async () => {
  const { result, claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri);
  const response = await oauth.userInfoRequest(as, basicClient, result.access_token, opts);
  const info = await oauth.processUserInfoResponse(as, basicClient, claims.sub, response);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.name, alice.name);
  assert.equal(info.email, alice.email);
});

test('userinfo: POST with a Bearer header works too (OIDC Core §5.3.1)', async () => {
  const { result, claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid' });
  const response = await oauth.protectedResourceRequest(result.access_token, 'POST', new URL(as.userinfo_endpoint), new Headers({ accept: 'application/json' }), null, opts);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).sub, claims.sub);
});

test('userinfo: a bad token gets a parseable Bearer challenge (RFC 6750 §3)', async () => {
  const response = await oauth.userInfoRequest(as, basicClient, 'not-a-token', opts);
  await assert.rejects(oauth.processUserInfoResponse(as, basicClient, oauth.skipSubjectCheck, response), (e) => {
    assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, `WWWAuthenticateChallengeError, got ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.cause[0].scheme, 'bearer');
    assert.equal(e.cause[0].parameters.error, 'invalid_token');
    return true;
  });
});

test('refresh: processRefreshTokenResponse, rotation', async () => {
  const { result, claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri);
  const response = await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, result.refresh_token, opts);
  const refreshed = await oauth.processRefreshTokenResponse(as, basicClient, response);
  assert.ok(refreshed.access_token);
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, result.refresh_token);
  if (refreshed.id_token) assert.equal(oauth.getValidatedIdTokenClaims(refreshed).sub, claims.sub);
});

test('refresh: reuse is an invalid_grant ResponseBodyError (RFC 6749 §5.2)', async () => {
  const { result } = await codeFlow(basicClient, basicAuth, b.redirect_uri);
  await oauth.processRefreshTokenResponse(as, basicClient, await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, result.refresh_token, opts));
  const response = await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, result.refresh_token, opts);
  await assert.rejects(oauth.processRefreshTokenResponse(as, basicClient, response), (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `ResponseBodyError, got ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_grant');
    return true;
  });
});

test('authorization response: state mismatch is caught by validateAuthResponse', async () => {
  const { callbackUrl } = await authorize(basicClient, b.redirect_uri, { scope: 'openid' });
  assert.throws(() => oauth.validateAuthResponse(as, basicClient, callbackUrl, 'another-state'));
});

test('consent denied: validateAuthResponse raises access_denied (iss checked)', async () => {
  const { callbackUrl, state } = await authorize(basicClient, b.redirect_uri, { scope: 'openid profile', decision: 'deny', extra: { prompt: 'consent' } });
  assert.throws(() => oauth.validateAuthResponse(as, basicClient, callbackUrl, state), (e) => {
    assert.ok(e instanceof oauth.AuthorizationResponseError, `AuthorizationResponseError, got ${e}`);
    assert.equal(e.error, 'access_denied');
    return true;
  });
});

test('prompt=none without a session: login_required at the redirect (OIDC Core §3.1.2.6), iss checked', async () => {
  const url = new URL(as.authorization_endpoint);
  const state = oauth.generateRandomState();
  url.search = new URLSearchParams({
    client_id: basicClient.client_id, redirect_uri: b.redirect_uri, response_type: 'code', scope: 'openid', state,
    prompt: 'none', code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256',
  }).toString();
  const { callbackUrl } = await userAgentAuthorize(url, b.redirect_uri, {});
  assert.throws(() => oauth.validateAuthResponse(as, basicClient, callbackUrl, state), (e) => e.error === 'login_required');
});

test('client credentials: processClientCredentialsResponse', async () => {
  const response = await oauth.clientCredentialsGrantRequest(as, basicClient, basicAuth, new URLSearchParams(), opts);
  const result = await oauth.processClientCredentialsResponse(as, basicClient, response);
  assert.ok(result.access_token);
  assert.equal(result.token_type, 'bearer');
  assert.ok(result.expires_in > 0);
});

test('client credentials without a scope: the response omits scope or gives a valid one (RFC 6749 §3.3, §5.1)', async () => {
  const response = await oauth.clientCredentialsGrantRequest(as, basicClient, basicAuth, new URLSearchParams(), opts);
  const body = await response.clone().json();
  await oauth.processClientCredentialsResponse(as, basicClient, response);
  // scope = scope-token *( SP scope-token ), scope-token = 1*NQCHAR: the empty string is not a scope
  if ('scope' in body) assert.match(body.scope, /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, `token response has scope ${JSON.stringify(body.scope)}`);
});

test('client credentials (client_secret_post); a user scope is a clean invalid_scope error', async () => {
  const ok = await oauth.processClientCredentialsResponse(as, postClient,
    await oauth.clientCredentialsGrantRequest(as, postClient, postAuth, new URLSearchParams(), opts));
  assert.ok(ok.access_token);
  // `profile` describes a user; a client acting for itself is refused with a spec error body
  const response = await oauth.clientCredentialsGrantRequest(as, postClient, postAuth, new URLSearchParams({ scope: 'profile' }), opts);
  await assert.rejects(oauth.processClientCredentialsResponse(as, postClient, response), (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `ResponseBodyError, got ${e}`);
    assert.equal(e.error, 'invalid_scope');
    return true;
  });
});

test('token endpoint: wrong client secret is 401 invalid_client with a Basic challenge', async () => {
  const response = await oauth.clientCredentialsGrantRequest(as, basicClient, oauth.ClientSecretBasic('wrong'), new URLSearchParams(), opts);
  await assert.rejects(oauth.processClientCredentialsResponse(as, basicClient, response), (e) => {
    assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, `WWWAuthenticateChallengeError, got ${e}`);
    assert.equal(e.status, 401);
    assert.equal(e.cause[0].scheme, 'basic');
    return true;
  });
});

test('token endpoint: unsupported grant type is a ResponseBodyError', async () => {
  const response = await oauth.genericTokenEndpointRequest(as, basicClient, basicAuth, 'urn:example:nope', new URLSearchParams(), opts);
  await assert.rejects(oauth.processGenericTokenEndpointResponse(as, basicClient, response), (e) => {
    assert.ok(e instanceof oauth.ResponseBodyError, `ResponseBodyError, got ${e}`);
    assert.equal(e.error, 'unsupported_grant_type');
    return true;
  });
});

// JWT client authentication (RFC 7523 §2.2, OIDC Core §9) with oauth4webapi's own
// assertions: aud the issuer, exp 60 s, a fresh jti each time.
test('private_key_jwt and client_secret_jwt: client credentials, introspection and revocation', async () => {
  const { kid, ...jwk } = cfg.clients.pkjwt.private_jwk;
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const clients = [
    [{ client_id: cfg.clients.pkjwt.client_id }, oauth.PrivateKeyJwt({ key, kid })],
    [{ client_id: cfg.clients.csjwt.client_id }, oauth.ClientSecretJwt(cfg.clients.csjwt.client_secret)],
  ];
  for (const [jwtClient, jwtAuth] of clients) {
    const result = await oauth.processClientCredentialsResponse(as, jwtClient,
      await oauth.clientCredentialsGrantRequest(as, jwtClient, jwtAuth, new URLSearchParams({ scope: 'api:read' }), opts));
    assert.ok(result.access_token, jwtClient.client_id);
    const seen = await oauth.processIntrospectionResponse(as, jwtClient,
      await oauth.introspectionRequest(as, jwtClient, jwtAuth, result.access_token, opts));
    assert.equal(seen.active, true, jwtClient.client_id);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, jwtClient, jwtAuth, result.access_token, opts));
    const gone = await oauth.processIntrospectionResponse(as, jwtClient,
      await oauth.introspectionRequest(as, jwtClient, jwtAuth, result.access_token, opts));
    assert.equal(gone.active, false, jwtClient.client_id);
  }
});

test('introspection: processIntrospectionResponse (active, inactive)', async (t) => {
  if (!as.introspection_endpoint) return skipLoud(t, 'token introspection: introspection_endpoint not advertised by the provider');
  const { result, claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri);
  const active = await oauth.processIntrospectionResponse(as, basicClient,
    await oauth.introspectionRequest(as, basicClient, basicAuth, result.access_token, opts));
  assert.equal(active.active, true);
  assert.equal(active.sub, claims.sub);
  assert.equal(active.client_id, b.client_id);
  const inactive = await oauth.processIntrospectionResponse(as, basicClient,
    await oauth.introspectionRequest(as, basicClient, basicAuth, 'unknown-token', opts));
  assert.equal(inactive.active, false);
});

test('revocation: processRevocationResponse, then the token is inactive', async (t) => {
  if (!as.revocation_endpoint) return skipLoud(t, 'token revocation: revocation_endpoint not advertised by the provider');
  const { result } = await codeFlow(basicClient, basicAuth, b.redirect_uri);
  const response = await oauth.revocationRequest(as, basicClient, basicAuth, result.refresh_token, { ...opts, additionalParameters: { token_type_hint: 'refresh_token' } });
  assert.equal(await oauth.processRevocationResponse(response), undefined);
  const again = await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, result.refresh_token, opts);
  await assert.rejects(oauth.processRefreshTokenResponse(as, basicClient, again), (e) => e.error === 'invalid_grant');
});

test('end-session endpoint is advertised with an absolute URL', async (t) => {
  if (!as.end_session_endpoint) return skipLoud(t, 'RP-initiated logout: end_session_endpoint not advertised by the provider');
  const url = new URL(as.end_session_endpoint);
  assert.equal(url.origin, issuer.origin);
});

for (const alg of ['PS256', 'ES256', 'EdDSA', 'HS256']) {
  test(`ID token signed with ${alg} (per-client id_token_signed_response_alg) verifies`, async () => {
    const c = cfg.alg_clients[alg];
    const algClient = { client_id: c.client_id, id_token_signed_response_alg: alg };
    const { result, claims } = await codeFlow(algClient, oauth.ClientSecretBasic(c.client_secret), c.redirect_uri, { scope: 'openid' });
    assert.equal(claims.aud, c.client_id);
    const key = alg === 'HS256'
      ? new TextEncoder().encode(c.client_secret) // OIDC Core §10.1: the client secret's octets
      : jose.createRemoteJWKSet(new URL(as.jwks_uri));
    const { protectedHeader } = await jose.jwtVerify(result.id_token, key, { issuer: cfg.issuer, audience: c.client_id, algorithms: [alg] });
    assert.equal(protectedHeader.alg, alg);
  });
}

test('authorization request by POST (OIDC Core §3.1.2.1)', async () => {
  const { claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid', post: true });
  assert.equal(claims.aud, b.client_id);
});

test('no state sent: none returned (validateAuthResponse with expectNoState)', async () => {
  const { claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid', withState: false });
  assert.ok(claims.sub);
});

test('PKCE plain (advertised in code_challenge_methods_supported)', async (t) => {
  if (!as.code_challenge_methods_supported?.includes('plain')) return skipLoud(t, 'PKCE plain: not advertised by the provider');
  const { claims } = await codeFlow(publicClient, oauth.None(), cfg.clients.public.redirect_uri, { scope: 'openid', pkce: 'plain' });
  assert.equal(claims.aud, publicClient.client_id);
});

test('client_secret_basic with an id and secret that need form-encoding (RFC 6749 §2.3.1)', async () => {
  const c = cfg.clients.special;
  const special = { client_id: c.client_id };
  const auth = oauth.ClientSecretBasic(c.client_secret);
  const { claims } = await codeFlow(special, auth, c.redirect_uri, { scope: 'openid' });
  assert.equal(claims.aud, c.client_id);
  const cc = await oauth.processClientCredentialsResponse(as, special,
    await oauth.clientCredentialsGrantRequest(as, special, auth, new URLSearchParams(), opts));
  assert.ok(cc.access_token);
});

test('public client: refresh with auth none, rotated', async () => {
  const { result } = await codeFlow(publicClient, oauth.None(), cfg.clients.public.redirect_uri);
  assert.ok(result.refresh_token);
  const refreshed = await oauth.processRefreshTokenResponse(as, publicClient,
    await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), result.refresh_token, opts));
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, result.refresh_token);
});

test('prompt=none with a session: a code without any page (OIDC Core §3.1.2.1)', async () => {
  const jar = new CookieJar();
  const first = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid', jar });
  const pages = [];
  const second = await codeFlow(basicClient, basicAuth, b.redirect_uri, {
    scope: 'openid', jar, user: null, extra: { prompt: 'none' }, onPage: (res) => pages.push(res.url),
  });
  assert.deepEqual(pages, [], 'no page is shown');
  assert.equal(second.claims.sub, first.claims.sub);
  assert.equal(second.claims.auth_time, first.claims.auth_time, 'the same authentication');
});

test('prompt=login with a session: the login page again and a newer auth_time', async () => {
  const jar = new CookieJar();
  const first = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid', jar });
  await new Promise((r) => setTimeout(r, 1100)); // auth_time has a one-second resolution
  let sawLogin = false;
  const second = await codeFlow(basicClient, basicAuth, b.redirect_uri, {
    scope: 'openid', jar, extra: { prompt: 'login' }, onPage: (res, html) => { sawLogin ||= /name="password"/.test(html); },
  });
  assert.ok(sawLogin, 'the login page was shown');
  assert.ok(second.claims.auth_time > first.claims.auth_time, `auth_time ${second.claims.auth_time} > ${first.claims.auth_time}`);
});

test('login_hint pre-fills the username on the login page', async () => {
  let html = '';
  await authorize(basicClient, b.redirect_uri, { scope: 'openid', extra: { login_hint: alice.username }, onPage: (res, h) => { html ||= h; } });
  assert.match(html, new RegExp(`name="username"[^>]*value="${alice.username}"`));
});

test('refresh with a narrower scope is granted; a wider one is invalid_scope (RFC 6749 §6)', async () => {
  const { result } = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid profile offline_access' });
  const narrow = await oauth.processRefreshTokenResponse(as, basicClient,
    await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, result.refresh_token, { ...opts, additionalParameters: { scope: 'openid offline_access' } }));
  assert.ok(narrow.access_token);
  if (narrow.scope !== undefined) assert.deepEqual(narrow.scope.split(' ').sort(), ['offline_access', 'openid']);
  const wide = await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, narrow.refresh_token, { ...opts, additionalParameters: { scope: 'openid email offline_access' } });
  await assert.rejects(oauth.processRefreshTokenResponse(as, basicClient, wide), (e) => e.error === 'invalid_scope');
});

test('userinfo with a client-credentials token: 403 insufficient_scope challenge (RFC 6750 §3.1)', async () => {
  const cc = await oauth.processClientCredentialsResponse(as, basicClient,
    await oauth.clientCredentialsGrantRequest(as, basicClient, basicAuth, new URLSearchParams(), opts));
  const response = await oauth.userInfoRequest(as, basicClient, cc.access_token, opts);
  await assert.rejects(oauth.processUserInfoResponse(as, basicClient, oauth.skipSubjectCheck, response), (e) => {
    assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, `WWWAuthenticateChallengeError, got ${e}`);
    assert.equal(e.cause[0].scheme, 'bearer');
    assert.ok(['insufficient_scope', 'invalid_token'].includes(e.cause[0].parameters.error), `error=${e.cause[0].parameters.error}`);
    return true;
  });
});

test('refreshed ID token keeps iss, sub, aud, azp and auth_time of the original (OIDC Core §12.2)', async (t) => {
  const { result, claims } = await codeFlow(basicClient, basicAuth, b.redirect_uri, { scope: 'openid offline_access' });
  await new Promise((r) => setTimeout(r, 1100)); // so a new iat differs
  const refreshed = await oauth.processRefreshTokenResponse(as, basicClient,
    await oauth.refreshTokenGrantRequest(as, basicClient, basicAuth, result.refresh_token, opts));
  if (!refreshed.id_token) return skipLoud(t, 'refreshed ID token checks: the refresh response carries no id_token (allowed by OIDC Core §12.2)');
  const again = oauth.getValidatedIdTokenClaims(refreshed);
  for (const k of ['iss', 'sub', 'aud', 'azp', 'auth_time']) assert.deepEqual(again[k], claims[k], `${k} changed`);
  assert.ok(again.iat > claims.iat, 'iat is the time the new ID token is issued');
});

// ---- hybrid flow and form_post (OIDC Core §3.3; Form Post Response Mode) ---------------

// The authorization request of `clientCfg` with `response_type` and `extra`, answered by the
// user agent: the fragment URL, or a Request POSTing the form_post fields.
async function frontAuthorize(clientCfg, responseType, extra = {}) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: clientCfg.client_id, redirect_uri: clientCfg.redirect_uri, response_type: responseType,
    scope: 'openid email', state, nonce, code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256', ...extra,
  }).toString();
  const answer = await userAgentAuthorize(url, clientCfg.redirect_uri, { user: alice });
  return { answer, codeVerifier, state, nonce };
}

// validateDetachedSignatureResponse is the strict one (FAPI 1.0 Advanced §5.2.2.1): c_hash
// and s_hash required, the ID token's signature verified with the provider's JWKS.
for (const [name, clientKey] of [['RS256', 'hybrid'], ['EdDSA', 'hybrid_eddsa']]) {
  for (const mode of ['fragment', 'form_post']) {
    test(`hybrid flow (code id_token, ${name}, ${mode}): validateDetachedSignatureResponse, then the code`, async () => {
      const h = cfg.clients[clientKey];
      const hClient = { client_id: h.client_id };
      const extra = mode === 'form_post' ? { response_mode: 'form_post' } : {};
      const { answer, codeVerifier, state, nonce } = await frontAuthorize(h, 'code id_token', extra);
      const parameters = mode === 'form_post' ? answer.formPost : answer.callbackUrl;
      assert.ok(parameters, `an answer in ${mode}`);
      const params = await oauth.validateDetachedSignatureResponse(as, hClient, parameters, nonce, state, undefined, opts);
      const response = await oauth.authorizationCodeGrantRequest(as, hClient, oauth.ClientSecretBasic(h.client_secret),
        params, h.redirect_uri, codeVerifier, opts);
      const result = await oauth.processAuthorizationCodeResponse(as, hClient, response, { expectedNonce: nonce, requireIdToken: true });
      assert.equal(oauth.getValidatedIdTokenClaims(result).nonce, nonce);
    });
  }
}

test('form_post (code): validateAuthResponse reads the POSTed form, with iss (RFC 9207)', async () => {
  const { answer, codeVerifier, state, nonce } = await frontAuthorize(b, 'code', { response_mode: 'form_post' });
  const fields = new URLSearchParams(await answer.formPost.text());
  assert.equal(fields.get('iss'), cfg.issuer);
  const params = oauth.validateAuthResponse(as, basicClient, fields, state);
  const response = await oauth.authorizationCodeGrantRequest(as, basicClient, basicAuth, params, b.redirect_uri, codeVerifier, opts);
  const result = await oauth.processAuthorizationCodeResponse(as, basicClient, response, { expectedNonce: nonce, requireIdToken: true });
  assert.ok(result.access_token);
});

test('form_post: an error (prompt=none without a session) comes back in the form, never the URL', async () => {
  const { answer, state } = await frontAuthorize(b, 'code', { response_mode: 'form_post', prompt: 'none' });
  assert.ok(answer.formPost, 'the error is POSTed too');
  assert.equal(new URL(answer.formPost.url).search, '');
  const fields = new URLSearchParams(await answer.formPost.text());
  assert.throws(() => oauth.validateAuthResponse(as, basicClient, fields, state),
    (e) => e instanceof oauth.AuthorizationResponseError && e.error === 'login_required');
});

// RFC 7591 with oauth4webapi's own registration functions (the interop provider's initial
// access token), then RFC 7523 §2.2 private_key_jwt with the key the registration carries:
// the code flow answered by form_post, and RFC 7592 read and delete.
test('dynamic registration with private_key_jwt: dynamicClientRegistrationRequest, then a form_post code flow', async () => {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const kid = `dcr-${oauth.generateRandomState().slice(0, 8)}`;
  const { key_ops, ext, ...pub } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const redirectUri = b.redirect_uri;
  const metadata = {
    redirect_uris: [redirectUri], client_name: 'Interop DCR private_key_jwt (oauth4webapi)',
    grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] },
  };
  assert.ok(as.registration_endpoint, 'registration_endpoint advertised');
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, metadata, { ...opts, initialAccessToken: cfg.registration_token }));
  assert.ok(registered.client_id);
  assert.equal(registered.token_endpoint_auth_method, 'private_key_jwt');
  assert.equal(registered.client_secret, undefined, 'no secret for a private_key_jwt client');
  const dcrClient = { client_id: registered.client_id };
  const auth = oauth.PrivateKeyJwt({ key: pair.privateKey, kid });
  const { answer, codeVerifier, state, nonce } = await frontAuthorize(
    { client_id: registered.client_id, redirect_uri: redirectUri }, 'code', { response_mode: 'form_post' });
  assert.ok(answer.formPost, 'the answer is POSTed');
  const params = oauth.validateAuthResponse(as, dcrClient, new URLSearchParams(await answer.formPost.text()), state);
  const result = await oauth.processAuthorizationCodeResponse(as, dcrClient,
    await oauth.authorizationCodeGrantRequest(as, dcrClient, auth, params, redirectUri, codeVerifier, opts),
    { expectedNonce: nonce, requireIdToken: true });
  assert.equal(oauth.getValidatedIdTokenClaims(result).aud, registered.client_id);
  // RFC 7592 §2.1 read, §2.3 delete; a deleted client cannot authenticate any more.
  const bearer = { authorization: `Bearer ${registered.registration_access_token}` };
  const read = await fetch(registered.registration_client_uri, { headers: bearer });
  assert.equal(read.status, 200);
  assert.equal((await read.json()).jwks.keys[0].kid, kid);
  assert.equal((await fetch(registered.registration_client_uri, { method: 'DELETE', headers: bearer })).status, 204);
  const refused = await oauth.clientCredentialsGrantRequest(as, dcrClient, auth, new URLSearchParams(), opts);
  assert.equal(refused.status, 401);
});

test('JWT access tokens (RFC 9068) pass validateJwtAccessToken, for the issuer and for a resource (RFC 8707)', async () => {
  const j = cfg.clients.jwtat;
  const client = { client_id: j.client_id };
  const auth = oauth.ClientSecretBasic(j.client_secret);
  const cases = [
    [{ scope: 'api:read' }, cfg.issuer],
    [{ scope: 'api:read', resource: j.resource }, j.resource],
  ];
  for (const [params, audience] of cases) {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(params), opts);
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    const request = () => new Request(`${j.resource}/records`, { headers: { authorization: `Bearer ${result.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, request(), audience, opts);
    assert.equal(claims.client_id, j.client_id);
    assert.equal(claims.sub, j.client_id, 'RFC 9068 §2.2: sub is the client without a user');
    assert.equal(claims.scope, 'api:read');
    // RFC 9068 §4: a resource server refuses a token whose aud does not name it.
    await assert.rejects(oauth.validateJwtAccessToken(as, request(), 'https://other.interop.example', opts));
  }
  // RFC 8707 §2: an unknown resource is invalid_target.
  const refused = await oauth.clientCredentialsGrantRequest(as, client, auth,
    new URLSearchParams({ scope: 'api:read', resource: 'https://unknown.interop.example' }), opts);
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).error, 'invalid_target');
});
