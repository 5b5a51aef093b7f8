// A real browser (Debian's Chromium through playwright-core) signs in to a tiny relying party
// served by this test on 127.0.0.1: login page, consent page, back to the RP signed in; a
// wrong password shows the message on the login page; logout with confirmation when the
// provider advertises end_session_endpoint. Every page is screenshotted, and any console
// error or failed request fails the test.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import http from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import * as client from 'openid-client';
import { config, suiteTest, skipLoud } from '../lib/oxid.js';

const test = suiteTest('browser');
const cfg = config();
const rpCfg = cfg.clients.browser;
const alice = cfg.users.alice;
const here = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = process.env.OXID_SCREENSHOTS ?? path.join(here, '..', '..', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

// ---- a single-page app: oauth4webapi running in the page, cross-origin calls (CORS) ----
const require = createRequire(import.meta.url);
const OAUTH4WEBAPI_JS = readFileSync(require.resolve('oauth4webapi'), 'utf8');
const spaCfg = cfg.clients.spa;
const SPA_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Interop SPA</title>
<link rel="icon" href="data:,"></head><body><h1>Interop SPA</h1><p id="status">Loading…</p>
<p><button id="login" hidden>Sign in with Oxid</button></p>
<script type="module">
import * as oauth from '/oauth4webapi.js';
const issuer = new URL(${JSON.stringify(cfg.issuer)});
const client = { client_id: ${JSON.stringify(spaCfg.client_id)} };
const redirectUri = ${JSON.stringify(spaCfg.redirect_uri)};
const opts = { [oauth.allowInsecureRequests]: true };
const status = document.getElementById('status');
try {
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, opts));
  const here = new URL(location.href);
  if (here.searchParams.has('code') || here.searchParams.has('error')) {
    const saved = JSON.parse(sessionStorage.getItem('pending'));
    const params = oauth.validateAuthResponse(as, client, here, saved.state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, saved.verifier, opts),
      { expectedNonce: saved.nonce, requireIdToken: true });
    const sub = oauth.getValidatedIdTokenClaims(tokens).sub;
    const info = await oauth.processUserInfoResponse(as, client, sub, await oauth.userInfoRequest(as, client, tokens.access_token, opts));
    const refreshed = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, opts));
    status.innerHTML = 'Signed in as <strong id="user-name"></strong> <span id="refreshed"></span>';
    document.getElementById('user-name').textContent = info.name;
    document.getElementById('refreshed').textContent = refreshed.access_token ? '(token refreshed)' : '';
    history.replaceState(null, '', '/spa');
  } else {
    status.textContent = 'Not signed in.';
    const button = document.getElementById('login');
    button.hidden = false;
    button.onclick = async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      const pending = { verifier, state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce() };
      sessionStorage.setItem('pending', JSON.stringify(pending));
      const url = new URL(as.authorization_endpoint);
      url.search = new URLSearchParams({ client_id: client.client_id, redirect_uri: redirectUri, response_type: 'code',
        scope: 'openid profile offline_access', state: pending.state, nonce: pending.nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
      location.assign(url);
    };
  }
} catch (e) {
  status.innerHTML = '<span id="spa-error"></span>';
  document.getElementById('spa-error').textContent = 'SPA error: ' + (e?.error ?? '') + ' ' + e;
  console.error('SPA error', e);
}
</script></body></html>`;

// ---- the relying party --------------------------------------------------------------
let oidc; // openid-client Configuration
const rpSessions = new Map(); // rp_sid -> { pending?, user?, idToken? }
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<link rel="icon" href="data:,">
<style>body{font-family:sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
a.button,button{display:inline-block;padding:.5rem 1rem;border:1px solid #345;border-radius:4px;background:#fff;color:#345;text-decoration:none;cursor:pointer}</style>
</head><body><h1>Interop RP</h1>${body}</body></html>`;
}

function rpSession(req, res) {
  const m = /(?:^|;\s*)rp_sid=([^;]+)/.exec(req.headers.cookie ?? '');
  let sid = m?.[1];
  if (!sid || !rpSessions.has(sid)) {
    sid = randomBytes(16).toString('base64url');
    rpSessions.set(sid, {});
    res.setHeader('set-cookie', `rp_sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  }
  return rpSessions.get(sid);
}

// The POSTed form of a form_post answer as a fetch Request, as openid-client reads it.
async function formPostRequest(req, url) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new Request(url.href, {
    method: 'POST', headers: { 'content-type': req.headers['content-type'] }, body: Buffer.concat(chunks),
  });
}

async function rpHandler(req, res) {
  const url = new URL(req.url, rpCfg.rp_origin);
  const session = rpSession(req, res);
  const send = (status, html) => { res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }); res.end(html); };
  const redirect = (to) => { res.writeHead(302, { location: String(to) }); res.end(); };
  try {
    switch (url.pathname) {
      case '/': {
        if (session.user) {
          const logout = oidc.serverMetadata().end_session_endpoint ? '<p><a class="button" id="logout" href="/logout">Sign out</a></p>' : '';
          return send(200, page('Signed in', `<p id="status">Signed in as <strong id="user-name">${escape(session.user.name)}</strong> (${escape(session.user.email)})</p>${logout}`));
        }
        const error = session.error ? `<p id="error">The provider said: ${escape(session.error)}</p>` : '';
        return send(200, page('Not signed in', `${error}<p id="status">Not signed in.</p><p><a class="button" id="login" href="/login">Sign in with Oxid</a></p>`));
      }
      case '/login': {
        const codeVerifier = client.randomPKCECodeVerifier();
        session.pending = { codeVerifier, state: client.randomState(), nonce: client.randomNonce() };
        session.error = undefined;
        const params = {
          redirect_uri: rpCfg.redirect_uri, scope: 'openid profile email',
          state: session.pending.state, nonce: session.pending.nonce,
          code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
        };
        for (const k of ['prompt', 'ui_locales', 'response_mode']) if (url.searchParams.get(k)) params[k] = url.searchParams.get(k);
        return redirect(client.buildAuthorizationUrl(oidc, params));
      }
      case '/callback': {
        const pending = session.pending;
        session.pending = undefined;
        if (!pending) return send(400, page('Error', '<p>No login in progress.</p>'));
        // response_mode=form_post: the provider's page POSTed the answer here.
        const callback = req.method === 'POST' ? await formPostRequest(req, url) : url;
        try {
          const tokens = await client.authorizationCodeGrant(oidc, callback, {
            pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
          });
          const claims = tokens.claims();
          session.user = await client.fetchUserInfo(oidc, tokens.access_token, claims.sub);
          session.idToken = tokens.id_token;
        } catch (e) {
          if (!(e instanceof client.AuthorizationResponseError)) throw e;
          session.error = e.error; // e.g. access_denied: shown on the home page
        }
        return redirect('/');
      }
      case '/logout': {
        const idToken = session.idToken;
        session.user = undefined;
        session.idToken = undefined;
        const params = { post_logout_redirect_uri: rpCfg.post_logout_redirect_uri, state: 'rp-logout' };
        if (url.searchParams.get('hint') !== '0') params.id_token_hint = idToken; // else client_id identifies the RP
        return redirect(client.buildEndSessionUrl(oidc, params));
      }
      case '/logged-out':
        return send(200, page('Signed out', `<p id="status">Signed out (state ${escape(url.searchParams.get('state') ?? '')}).</p>`));
      case '/spa':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); return res.end(SPA_HTML);
      case '/oauth4webapi.js':
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }); return res.end(OAUTH4WEBAPI_JS);
      case '/favicon.ico':
        res.writeHead(204); return res.end();
      default:
        return send(404, page('Not found', '<p>Not found.</p>'));
    }
  } catch (e) {
    console.error('RP error:', e);
    return send(500, page('RP error', `<pre>${escape(e?.stack ?? e)}</pre>`));
  }
}

// ---- the browser --------------------------------------------------------------------
let server;
let context;
let userDataDir;
let problems = []; // console errors and failed requests, checked after every test
let allowedStatuses = []; // [{ status, urlPart }] provoked on purpose by the running test

before(async () => {
  oidc = await client.discovery(new URL(cfg.issuer), rpCfg.client_id, rpCfg.client_secret,
    client.ClientSecretBasic(rpCfg.client_secret), { execute: [client.allowInsecureRequests] });
  faviconMissing = (await fetch(new URL('/favicon.ico', cfg.issuer))).status === 404;
  server = http.createServer((req, res) => { rpHandler(req, res); });
  await new Promise((resolve) => server.listen(rpCfg.rp_port, '127.0.0.1', resolve));
  userDataDir = mkdtempSync(path.join(tmpdir(), 'oxid-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.OXID_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 900, height: 700 },
  });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function newPage() {
  problems = [];
  allowedStatuses = [];
  await context.clearCookies();
  const p = await context.newPage();
  p.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${p.url()}: ${m.text()}`); });
  p.on('pageerror', (e) => problems.push(`page error on ${p.url()}: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  p.on('response', (r) => {
    if (r.status() >= 400 && !allowedStatuses.some((a) => a.status === r.status() && r.url().includes(a.urlPart))) {
      problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
    }
  });
  return p;
}

async function shot(p, name) {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// The provider's stylesheet must have loaded (CSP, path, content type): the card is styled.
async function assertStyled(p) {
  const styled = await p.evaluate(() => {
    const card = document.querySelector('main.card') ?? document.querySelector('main');
    if (!card) return 'no <main> element';
    const s = getComputedStyle(card);
    return s.maxWidth !== 'none' || s.backgroundColor !== 'rgba(0, 0, 0, 0)' || s.borderStyle !== 'none' ? true : 'main is unstyled';
  });
  assert.equal(styled, true, `provider page ${p.url()} looks unstyled: ${styled}`);
}

let faviconMissing; // set in before(): does the provider answer /favicon.ico with 404?

// Browsers fetch /favicon.ico for every provider page; that request is not reported to
// Playwright, only its console error ("Failed to load resource: ... 404"). While the
// provider has no favicon those errors are set aside here (and printed), and the
// dedicated favicon test below reports the bug; every other problem fails the test.
function assertNoProblems() {
  const issuerPrefix = `console error on ${cfg.issuer}/`;
  const favicon = (x) => faviconMissing && x.startsWith(issuerPrefix) && /Failed to load resource: the server responded with a status of 404/.test(x);
  const setAside = problems.filter(favicon);
  if (setAside.length) console.log(`NOTE: ${setAside.length} console error(s) from the provider's missing /favicon.ico set aside (see the favicon test)`);
  const rest = problems.filter((x) => !favicon(x));
  assert.deepEqual(rest, [], `console errors or failed requests:\n${rest.join('\n')}`);
}

test('sign in: login page, consent page, back at the RP signed in', async () => {
  const p = await newPage();
  await p.goto(`${rpCfg.rp_origin}/`);
  await shot(p, '01-rp-signed-out');
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.locator('#login').click()]);

  // the login page
  assert.equal(await p.title(), 'Sign in');
  await p.getByLabel('Username').waitFor();
  await assertStyled(p);
  assert.match(await p.locator('main').innerText(), /Interop Browser RP/);
  await shot(p, '02-login');
  await p.getByLabel('Username').fill(alice.username);
  await p.getByLabel('Password').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);

  // the consent page
  await p.getByRole('button', { name: 'Allow' }).waitFor();
  await assertStyled(p);
  const consent = await p.locator('main').innerText();
  assert.match(consent, /Interop Browser RP/);
  assert.match(consent, /name|profile/i);
  assert.match(consent, /email/i);
  await shot(p, '03-consent');
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.getByRole('button', { name: 'Allow' }).click()]);

  // back at the RP, signed in; the RP exchanged the code server-side and read userinfo
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
  await shot(p, '04-rp-signed-in');
  assertNoProblems();
  await p.close();
});

test('wrong password: the login page says so, then the right one signs in', async () => {
  const p = await newPage();
  await p.goto(`${rpCfg.rp_origin}/`);
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/login?prompt=consent`)]);
  await p.getByLabel('Username').fill(alice.username);
  await p.getByLabel('Password').fill('definitely-not-the-password');
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
  const alert = p.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /not correct|invalid|incorrect|wrong/i);
  assert.equal(await p.getByLabel('Username').inputValue(), alice.username, 'the username is kept');
  assert.equal(await p.getByLabel('Password').inputValue(), '', 'the password is not echoed back');
  await assertStyled(p);
  await shot(p, '05-login-wrong-password');
  await p.getByLabel('Password').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
  await p.getByRole('button', { name: 'Allow' }).waitFor();
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.getByRole('button', { name: 'Allow' }).click()]);
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
  assertNoProblems();
  await p.close();
});

test('consent denied: the RP is told access_denied', async () => {
  const p = await newPage();
  await p.goto(`${rpCfg.rp_origin}/`);
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/login?prompt=consent`)]);
  await p.getByLabel('Username').fill(alice.username);
  await p.getByLabel('Password').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.getByRole('button', { name: 'Deny' }).click()]);
  assert.match(await p.locator('#error').innerText(), /access_denied/);
  assert.match(await p.locator('#status').innerText(), /Not signed in/);
  await shot(p, '06-rp-consent-denied');
  assertNoProblems();
  await p.close();
});

test('ui_locales=fr: the login and consent pages are in French', async () => {
  const p = await newPage();
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/login?prompt=consent&ui_locales=fr`)]);
  await p.locator('input[name=username]').waitFor();
  assert.equal(await p.getAttribute('html', 'lang'), 'fr');
  assert.equal(await p.title(), 'Connexion');
  await assertStyled(p);
  await shot(p, '07-login-fr');
  await p.locator('input[name=username]').fill(alice.username);
  await p.locator('input[name=password]').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Se connecter' }).click()]);
  await p.locator('button[name=decision][value=allow]').waitFor();
  assert.equal(await p.getAttribute('html', 'lang'), 'fr');
  await shot(p, '08-consent-fr');
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.locator('button[name=decision][value=allow]').click()]);
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
  assertNoProblems();
  await p.close();
});

test('single-page app: oauth4webapi in the browser, cross-origin discovery, token, userinfo, refresh (CORS)', async () => {
  const p = await newPage();
  await p.goto(`${rpCfg.rp_origin}/spa`);
  await p.locator('#login').waitFor();
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.locator('#login').click()]);
  await p.getByLabel('Username').fill(alice.username);
  await p.getByLabel('Password').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
  await Promise.all([p.waitForURL((u) => u.href.startsWith(spaCfg.redirect_uri)), p.getByRole('button', { name: 'Allow' }).click()]);
  await p.locator('#user-name, #spa-error').first().waitFor();
  const error = await p.locator('#spa-error').count() ? await p.locator('#spa-error').innerText() : '';
  assert.equal(error, '', 'the SPA failed');
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
  assert.equal(await p.locator('#refreshed').innerText(), '(token refreshed)');
  await shot(p, '11-spa-signed-in');
  assertNoProblems();
  await p.close();
});

test('an unregistered redirect_uri: the provider shows its error page and does not redirect (RFC 6749 §4.1.2.1)', async () => {
  const p = await newPage();
  const url = new URL(oidc.serverMetadata().authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: rpCfg.client_id, redirect_uri: 'http://127.0.0.1:9/not-registered', response_type: 'code', scope: 'openid',
    state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  }).toString();
  allowedStatuses.push({ status: 400, urlPart: '/authorize' }); // provoked on purpose
  const response = await p.goto(url.href);
  assert.equal(response.status(), 400);
  assert.ok(p.url().startsWith(cfg.issuer), `stayed at the provider, now at ${p.url()}`);
  await assertStyled(p);
  const text = await p.locator('main').innerText();
  assert.match(text, /error|went wrong/i);
  await shot(p, '12-error-unregistered-redirect-uri');
  // a 400 page load also logs "Failed to load resource: 400" in the console: provoked too
  problems = problems.filter((x) => !(x.startsWith(`console error on ${cfg.issuer}/authorize`) && /status of 400/.test(x)));
  assertNoProblems();
  await p.close();
});

async function signIn(p) {
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/login?prompt=consent`)]);
  await p.getByLabel('Username').fill(alice.username);
  await p.getByLabel('Password').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.getByRole('button', { name: 'Allow' }).click()]);
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
}

// After logout the provider session is gone: a new sign-in asks for the password again.
async function assertProviderSignedOut(p) {
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/login`)]);
  await p.getByLabel('Password').waitFor();
}

test('logout without id_token_hint: the provider asks for confirmation, then back at the RP signed out', async (t) => {
  if (!oidc.serverMetadata().end_session_endpoint) {
    return skipLoud(t, 'browser logout: end_session_endpoint not advertised by the provider');
  }
  const p = await newPage();
  await signIn(p);
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/logout?hint=0`)]);
  // RP-Initiated Logout §2/§6: without a hint the OP must not log out silently
  const confirm = p.getByRole('button', { name: /^(sign out|log ?out|yes)/i }).first();
  await confirm.waitFor();
  await assertStyled(p);
  await shot(p, '09-logout-confirm');
  await Promise.all([p.waitForURL((u) => u.href.startsWith(rpCfg.post_logout_redirect_uri)), confirm.click()]);
  assert.match(await p.locator('#status').innerText(), /Signed out \(state rp-logout\)/);
  await shot(p, '10-rp-signed-out-after-logout');
  await assertProviderSignedOut(p);
  assertNoProblems();
  await p.close();
});

test('logout with id_token_hint: back at the RP signed out (confirming if asked)', async (t) => {
  if (!oidc.serverMetadata().end_session_endpoint) {
    return skipLoud(t, 'browser logout: end_session_endpoint not advertised by the provider');
  }
  const p = await newPage();
  await signIn(p);
  await Promise.all([
    p.waitForURL((u) => u.href.startsWith(rpCfg.post_logout_redirect_uri) || u.href.startsWith(cfg.issuer)),
    p.locator('#logout').click(),
  ]);
  if (p.url().startsWith(cfg.issuer)) {
    const confirm = p.getByRole('button', { name: /^(sign out|log ?out|yes)/i }).first();
    await Promise.all([p.waitForURL((u) => u.href.startsWith(rpCfg.post_logout_redirect_uri)), confirm.click()]);
  }
  assert.match(await p.locator('#status').innerText(), /Signed out \(state rp-logout\)/);
  await assertProviderSignedOut(p);
  assertNoProblems();
  await p.close();
});

test('logout confirmation declined: the provider session stays', async (t) => {
  if (!oidc.serverMetadata().end_session_endpoint) {
    return skipLoud(t, 'browser logout: end_session_endpoint not advertised by the provider');
  }
  const p = await newPage();
  await signIn(p);
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/logout?hint=0`)]);
  const stay = p.getByRole('button', { name: /stay|cancel|no/i }).first();
  await stay.waitFor();
  await Promise.all([p.waitForLoadState('load'), stay.click()]);
  await p.waitForTimeout(200);
  // still signed in at the provider: prompt=none gives a code, the RP signs in without any page
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.goto(`${rpCfg.rp_origin}/login?prompt=none`)]);
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
  assertNoProblems();
  await p.close();
});

test('form_post: the answer comes back in an auto-submitting form (response_mode=form_post)', async () => {
  const p = await newPage();
  const posted = [];
  p.on('request', (r) => { if (r.url().startsWith(rpCfg.redirect_uri)) posted.push(`${r.method()} ${r.url()}`); });
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.goto(`${rpCfg.rp_origin}/login?prompt=consent&response_mode=form_post`)]);
  await p.getByLabel('Username').fill(alice.username);
  await p.getByLabel('Password').fill(alice.password);
  await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
  // Allow: the provider's page posts the code to the RP by itself (its one script, allowed by
  // its CSP hash; a CSP violation would be a console error here).
  await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), p.getByRole('button', { name: 'Allow' }).click()]);
  assert.equal(await p.locator('#user-name').innerText(), alice.name);
  assert.deepEqual(posted, [`POST ${rpCfg.redirect_uri}`], 'one POST to the redirect URI, nothing in its URL');
  await shot(p, '13-rp-signed-in-form-post');
  assertNoProblems();
  await p.close();
});

test('form_post without JavaScript: the Continue button of the page posts the answer', async () => {
  // A separate browser with JavaScript off (Form Post Response Mode §2 wants the form to
  // work without it: the provider shows a Continue button inside <noscript>).
  const browser = await chromium.launch({
    executablePath: process.env.OXID_CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 900, height: 700 } });
    const p = await ctx.newPage();
    await p.goto(`${rpCfg.rp_origin}/login?prompt=consent&response_mode=form_post`);
    await p.getByLabel('Username').fill(alice.username);
    await p.getByLabel('Password').fill(alice.password);
    await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Sign in' }).click()]);
    await Promise.all([p.waitForLoadState('load'), p.getByRole('button', { name: 'Allow' }).click()]);
    assert.ok(p.url().startsWith(cfg.issuer), `the form_post page of the provider, at ${p.url()}`);
    const button = p.getByRole('button', { name: 'Continue' });
    await button.waitFor();
    await shot(p, '14-form-post-without-javascript');
    await Promise.all([p.waitForURL(`${rpCfg.rp_origin}/`), button.click()]);
    assert.equal(await p.locator('#user-name').innerText(), alice.name);
    await ctx.close();
  } finally {
    await browser.close();
  }
});

test('provider pages: the browser finds a favicon (no 404 console error on every page)', async () => {
  const p = await newPage();
  await p.goto(`${rpCfg.rp_origin}/`);
  await Promise.all([p.waitForURL((u) => u.href.startsWith(cfg.issuer)), p.locator('#login').click()]);
  await p.getByLabel('Username').waitFor();
  await p.waitForTimeout(300); // the favicon is fetched after load
  const res = await fetch(new URL('/favicon.ico', cfg.issuer));
  assert.notEqual(res.status, 404, 'GET /favicon.ico is 404: Chromium logs "Failed to load resource: 404" on the login and consent pages');
  assert.deepEqual(problems, [], `console errors or failed requests:\n${problems.join('\n')}`);
  await p.close();
});
