// Shared helpers for the Node interop suites: the run's configuration (written by
// interop/run.sh), an HTTP "user agent" that fills Oxid's login and consent forms with a
// cookie jar, known-failing bookkeeping and loud skips.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import test from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));

export function config() {
  const file = process.env.OXID_INTEROP_CONFIG;
  if (!file) {
    throw new Error('OXID_INTEROP_CONFIG is not set: run the suites through interop/run.sh');
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

// ---- known-failing tests (interop/known-failing.txt) ----------------------------------
// A line is `suite: test name  # reason`. A listed test still runs: when it fails it is
// reported as TODO ("KNOWN-FAILING"), when it passes it FAILS, so the list is kept honest.
function knownFailing() {
  const file = path.join(here, '..', '..', 'known-failing.txt');
  const map = new Map();
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { return map; }
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [entry, ...reason] = line.split(' # ');
    const i = entry.indexOf(':');
    if (i < 0) continue;
    map.set(`${entry.slice(0, i).trim()}\u0000${entry.slice(i + 1).trim()}`, reason.join(' # ').trim());
  }
  return map;
}
const KNOWN = knownFailing();

// `itest(suite)` returns a `test`-like function that honours the known-failing list.
export function suiteTest(suite) {
  return function t(name, fn) {
    const reason = KNOWN.get(`${suite}\u0000${name}`);
    if (reason === undefined) return test(name, fn);
    return test(name, async (ctx) => {
      let failure;
      try { await fn(ctx); } catch (e) { failure = e; }
      if (failure) {
        ctx.todo(`KNOWN-FAILING: ${reason}`);
        console.log(`!!! KNOWN-FAILING ${suite}: ${name}\n!!!   reason: ${reason}\n!!!   error: ${failure?.message ?? failure}`);
        throw failure;
      }
      throw new Error(`${suite}: "${name}" is listed in interop/known-failing.txt but now PASSES: remove it from the list`);
    });
  };
}

// A loud skip: prints a SKIPPED line and marks the test skipped (never a silent pass).
export function skipLoud(ctx, what) {
  const line = `SKIPPED: ${what}`;
  console.log(line);
  ctx.skip(line);
}

// ---- a minimal user agent -------------------------------------------------------------
export class CookieJar {
  constructor() { this.cookies = new Map(); }
  store(response) {
    for (const c of response.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('max-age='));
      if (maxAge && Number(maxAge.slice(8)) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, 'i'));
  return m ? decodeEntities(m[1]) : undefined;
}

// The first <form> of an HTML page: action, method and its hidden inputs.
export function parseForm(html, base) {
  const form = html.match(/<form\b[^>]*>/i);
  if (!form) return undefined;
  const body = html.slice(form.index, html.indexOf('</form>', form.index));
  const fields = {};
  for (const input of body.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attr(input, 'name');
    if (name && (attr(input, 'type') ?? 'text').toLowerCase() === 'hidden') fields[name] = attr(input, 'value') ?? '';
  }
  const buttons = (body.match(/<button\b[^>]*>/gi) ?? []).map((b) => ({ name: attr(b, 'name'), value: attr(b, 'value') }));
  return {
    action: new URL(attr(form[0], 'action') ?? base, base).href,
    method: (attr(form[0], 'method') ?? 'get').toUpperCase(),
    fields,
    buttons,
    hasPassword: /<input\b[^>]*name\s*=\s*"password"/i.test(body),
    hasDecision: buttons.some((b) => b.name === 'decision'),
  };
}

// Drive the browser side of the authorization code flow over plain HTTP: follow redirects
// by hand, fill the login form with `user`, answer the consent form with `decision`, and
// return the URL the provider finally redirects to at `redirectUri` (never fetched).
// With `post: true` the authorization request itself is sent as a form POST (OIDC Core §3.1.2.1).
// A `response_mode=form_post` answer (the provider's auto-submitting form to `redirectUri`)
// is returned as `formPost`: a `Request` POSTing its fields there, as a browser would.
export async function userAgentAuthorize(authorizationUrl, redirectUri, { user, decision = 'allow', jar = new CookieJar(), onPage, post = false } = {}) {
  let url = String(authorizationUrl);
  let init = { method: 'GET' };
  if (post) {
    const u = new URL(url);
    init = { method: 'POST', body: u.searchParams.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    u.search = '';
    url = u.href;
  }
  const seen = [];
  for (let step = 0; step < 12; step++) {
    if (url.startsWith(redirectUri)) return { callbackUrl: new URL(url), jar, seen };
    const headers = { ...(init.headers ?? {}), cookie: jar.header() };
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(res);
    seen.push(`${init.method} ${url} -> ${res.status}`);
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      url = new URL(res.headers.get('location'), url).href;
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    onPage?.(res, html);
    if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${url}: ${html.slice(0, 300)}`);
    const form = parseForm(html, url);
    if (!form) throw new Error(`no form on the page at ${url}: ${html.slice(0, 300)}`);
    const body = new URLSearchParams(form.fields);
    if (form.method === 'POST' && form.action.startsWith(redirectUri) && !form.hasPassword && !form.hasDecision) {
      const formPost = new Request(form.action, {
        method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      return { formPost, fields: body, csp: res.headers.get('content-security-policy'), html, jar, seen };
    }
    if (form.hasPassword) {
      if (!user) throw new Error('login page shown but no user given');
      body.set('username', user.username);
      body.set('password', user.password);
    } else if (form.hasDecision) {
      body.set('decision', decision);
    } else {
      throw new Error(`unrecognised form at ${url}`);
    }
    url = form.action;
    init = { method: form.method, body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many steps in the authorization flow');
}

export function decodeJwtPayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}
export function decodeJwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

// The user's side of the device flow (RFC 8628 §3.3) over plain HTTP: open
// `verificationUri` (the complete one pre-fills the code; else `userCode` is typed), send the
// code form, log in with `user` when asked, answer the confirmation with `decision`, and
// return the final page's HTML.
export async function userAgentVerifyDevice(verificationUri, { user, userCode, decision = 'allow', jar = new CookieJar() } = {}) {
  let url = String(verificationUri);
  let init = { method: 'GET' };
  for (let step = 0; step < 6; step++) {
    const headers = { ...(init.headers ?? {}), cookie: jar.header() };
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(res);
    const html = await res.text();
    if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${url}: ${html.slice(0, 300)}`);
    const form = parseForm(html, url);
    if (!form) return html;
    const body = new URLSearchParams(form.fields);
    const codeInput = html.match(/<input\b[^>]*name\s*=\s*"user_code"[^>]*>/i);
    if (codeInput) {
      body.set('user_code', userCode ?? attr(codeInput[0], 'value') ?? '');
    } else if (form.hasPassword) {
      body.set('username', user.username);
      body.set('password', user.password);
    } else if (form.hasDecision) {
      body.set('decision', decision);
    } else {
      throw new Error(`unrecognised form at ${url}`);
    }
    url = form.action;
    init = { method: form.method, body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many steps in the device verification');
}
