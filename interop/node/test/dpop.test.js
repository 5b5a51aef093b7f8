// DPoP (RFC 9449) and PAR (RFC 9126) with panva's oauth4webapi and openid-client, each against
// a provider of its own started here: one that requires DPoP nonces (`[dpop] require_nonce`),
// so the clients' nonce retries run, and one in the FAPI 2.0 mode (`profile = "fapi2"`).
// Tokens bound to one key are refused with another.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { config, suiteTest, userAgentAuthorize, decodeJwtHeader } from '../lib/oxid.js';

const test = suiteTest('dpop');
const cfg = config();
const alice = cfg.users.alice;
const CB = 'http://127.0.0.1:9/callback';
const opts = { [oauth.allowInsecureRequests]: true }; // the test issuers are http://127.0.0.1
const insecure = { execute: [client.allowInsecureRequests] };

async function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}

// A client key pair for private_key_jwt, its public JWK Set written to `file`.
async function clientKey(file) {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { key_ops, ext, ...pub } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  writeFileSync(file, JSON.stringify({ keys: [{ ...pub, kid: 'k1', alg: 'ES256', use: 'sig' }] }));
  return { key: pair.privateKey, kid: 'k1' };
}

// Runs `fn(issuer, prepared)` against `oxid serve` with the configuration `toml` on a fresh
// database with alice; `prepare({ cli, dir })` adds clients with the CLI first.
async function withProvider(toml, prepare, fn) {
  const dir = mkdtempSync(path.join(tmpdir(), 'oxid-dpop-'));
  const db = `sqlite://${dir}/oxid.db`;
  const file = path.join(dir, 'oxid.toml');
  writeFileSync(file, toml);
  const env = { ...process.env, NO_COLOR: '1', OXID_CONFIG: file, OXID_DATABASE: db };
  const cli = (args, input = '') => execFileSync(cfg.oxid_bin, args, { env, input, stdio: ['pipe', 'ignore', 'inherit'] });
  cli(['user', 'add', '--database', db, '--username', alice.username, '--password-stdin', '--name', alice.name], `${alice.password}\n`);
  const prepared = await prepare({ cli: (args) => cli([...args.slice(0, 2), '--database', db, ...args.slice(2)]), dir });
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(cfg.oxid_bin, ['serve', '--database', db, '--listen', `127.0.0.1:${port}`, '--issuer', issuer],
    { stdio: 'ignore', env });
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) break; } catch { /* not yet */ }
      if (i > 600) throw new Error('the provider did not start'); // key generation is slow on a busy machine
      await new Promise((r) => setTimeout(r, 100));
    }
    await fn(new URL(issuer), prepared);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const NONCE_TOML = '[keys]\nalgs = ["RS256", "ES256"]\n\n[dpop]\nrequire_nonce = true\n';

// Retries `fn` once when the answer asks for a DPoP nonce (RFC 9449 §8, §9); counts the asks.
function nonceRetry(counter) {
  return async (fn) => {
    try { return await fn(); } catch (e) {
      if (!oauth.isDPoPNonceError(e)) throw e;
      counter.asked += 1;
      return fn();
    }
  };
}

test('oauth4webapi: PAR and the code flow with DPoP, nonce retries, key-bound tokens and refresh', async () => {
  const prepare = ({ cli }) => cli(['client', 'add', '--client-id', 'dpop-spa', '--public', '--redirect-uri', CB,
    '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--auth-method', 'none',
    '--scope', 'openid offline_access', '--skip-consent', '--dpop-bound-access-tokens']);
  await withProvider(NONCE_TOML, prepare, async (issuer) => {
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, opts));
    assert.ok(as.dpop_signing_alg_values_supported.includes('ES256'));
    const c = { client_id: 'dpop-spa' };
    const DPoP = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    const counter = { asked: 0 };
    const retry = nonceRetry(counter);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const parameters = {
      redirect_uri: CB, response_type: 'code', scope: 'openid offline_access', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    };
    // RFC 9449 §10.1: the proof at PAR binds the code; the first push is asked for a nonce.
    const pushed = await retry(async () => oauth.processPushedAuthorizationResponse(as, c,
      await oauth.pushedAuthorizationRequest(as, c, oauth.None(), parameters, { ...opts, DPoP })));
    assert.equal(counter.asked, 1, 'the first push gets use_dpop_nonce');
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', c.client_id);
    url.searchParams.set('request_uri', pushed.request_uri);
    const { callbackUrl } = await userAgentAuthorize(url, CB, { user: alice });
    const params = oauth.validateAuthResponse(as, c, callbackUrl, state);
    const tokens = await retry(async () => oauth.processAuthorizationCodeResponse(as, c,
      await oauth.authorizationCodeGrantRequest(as, c, oauth.None(), params, CB, verifier, { ...opts, DPoP })));
    assert.equal(tokens.token_type, 'dpop');
    assert.equal(counter.asked, 1, 'the nonce of the push answer is reused at the token endpoint');
    const sub = oauth.getValidatedIdTokenClaims(tokens).sub;
    const info = await retry(async () => oauth.processUserInfoResponse(as, c, sub,
      await oauth.userInfoRequest(as, c, tokens.access_token, { ...opts, DPoP })));
    assert.equal(info.sub, sub);

    // Another key: UserInfo refuses the token (after its own nonce retry), as does the bearer scheme.
    const other = oauth.DPoP(c, await oauth.generateKeyPair('ES256'));
    await assert.rejects(retry(async () => oauth.processUserInfoResponse(as, c, sub,
      await oauth.userInfoRequest(as, c, tokens.access_token, { ...opts, DPoP: other }))),
    (e) => e instanceof oauth.WWWAuthenticateChallengeError && e.cause.some((ch) => ch.parameters.error === 'invalid_token'));
    await assert.rejects(async () => oauth.processUserInfoResponse(as, c, sub,
      await oauth.userInfoRequest(as, c, tokens.access_token, opts)),
    (e) => e instanceof oauth.WWWAuthenticateChallengeError);

    // RFC 9449 §5: the public client's refresh token is bound too.
    await assert.rejects(retry(async () => oauth.processRefreshTokenResponse(as, c,
      await oauth.refreshTokenGrantRequest(as, c, oauth.None(), tokens.refresh_token, { ...opts, DPoP: other }))),
    (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant');
    const refreshed = await retry(async () => oauth.processRefreshTokenResponse(as, c,
      await oauth.refreshTokenGrantRequest(as, c, oauth.None(), tokens.refresh_token, { ...opts, DPoP })));
    assert.equal(refreshed.token_type, 'dpop');
  });
});

test('openid-client: buildAuthorizationUrlWithPAR and getDPoPHandle with private_key_jwt, nonces required', async () => {
  const prepare = async ({ cli, dir }) => {
    const key = await clientKey(path.join(dir, 'jwks.json'));
    cli(['client', 'add', '--client-id', 'dpop-rp', '--redirect-uri', CB, '--grant-type', 'authorization_code',
      '--auth-method', 'private_key_jwt', '--jwks-file', path.join(dir, 'jwks.json'), '--scope', 'openid', '--skip-consent']);
    return key;
  };
  await withProvider(NONCE_TOML, prepare, async (issuer, key) => {
    const conf = await client.discovery(issuer, 'dpop-rp', undefined, client.PrivateKeyJwt(key), insecure);
    const DPoP = client.getDPoPHandle(conf, await client.randomDPoPKeyPair('ES256'));
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = await client.buildAuthorizationUrlWithPAR(conf, {
      redirect_uri: CB, scope: 'openid', state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP });
    const { callbackUrl } = await userAgentAuthorize(url, CB, { user: alice });
    const tokens = await client.authorizationCodeGrant(conf, callbackUrl,
      { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
    assert.equal(tokens.token_type, 'dpop');
    const sub = tokens.claims().sub;
    const info = await client.fetchUserInfo(conf, tokens.access_token, sub, { DPoP });
    assert.equal(info.sub, sub);
    const other = client.getDPoPHandle(conf, await client.randomDPoPKeyPair('ES256'));
    await assert.rejects(client.fetchUserInfo(conf, tokens.access_token, sub, { DPoP: other }),
      (e) => e instanceof client.WWWAuthenticateChallengeError);
  });
});

test('openid-client against profile = "fapi2": PAR, DPoP, private_key_jwt, no RS256', async () => {
  const prepare = async ({ cli, dir }) => {
    const key = await clientKey(path.join(dir, 'jwks.json'));
    cli(['client', 'add', '--client-id', 'fapi-rp', '--redirect-uri', CB, '--grant-type', 'authorization_code',
      '--auth-method', 'private_key_jwt', '--jwks-file', path.join(dir, 'jwks.json'), '--scope', 'openid', '--skip-consent']);
    return key;
  };
  await withProvider('profile = "fapi2"\n\n[keys]\nalgs = ["RS256", "ES256"]\n', prepare, async (issuer, key) => {
    const conf = await client.discovery(issuer, 'fapi-rp', undefined, client.PrivateKeyJwt(key), insecure);
    const md = conf.serverMetadata();
    assert.equal(md.require_pushed_authorization_requests, true);
    assert.deepEqual(md.response_types_supported, ['code']);
    assert.deepEqual(md.token_endpoint_auth_methods_supported, ['private_key_jwt']);
    // A request without PAR is refused at the redirect URI.
    const direct = client.buildAuthorizationUrl(conf, {
      redirect_uri: CB, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const refused = await fetch(direct, { redirect: 'manual' });
    assert.equal(new URL(refused.headers.get('location')).searchParams.get('error'), 'invalid_request');

    const DPoP = client.getDPoPHandle(conf, await client.randomDPoPKeyPair('ES256'));
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = await client.buildAuthorizationUrlWithPAR(conf, {
      redirect_uri: CB, scope: 'openid', nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP });
    const { callbackUrl } = await userAgentAuthorize(url, CB, { user: alice });
    const tokens = await client.authorizationCodeGrant(conf, callbackUrl,
      { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true }, undefined, { DPoP });
    assert.equal(tokens.token_type, 'dpop');
    assert.equal(decodeJwtHeader(tokens.id_token).alg, 'ES256');
    const info = await client.fetchUserInfo(conf, tokens.access_token, tokens.claims().sub, { DPoP });
    assert.equal(info.sub, tokens.claims().sub);
  });
});
