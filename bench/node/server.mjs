// panva's oidc-provider as the comparison server of bench/run, configured like the Oxid it is
// measured against (bench/run sets both up):
//
//   node server.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD
//
// One confidential client (client_secret_basic) with client_credentials, authorization_code
// and refresh_token, scopes `openid profile email offline_access read:records`; one user.
// Lifetimes as Oxid's defaults: access tokens 3600 s, codes 60 s, ID tokens 3600 s, refresh
// tokens 30 days, always rotated (Oxid rotates every refresh, RFC 9700 §4.14.2). Access
// tokens are opaque (the library's default format). Introspection is on.
//
// Login and consent are two small HTML pages of our own (the library's devInteractions are
// not for production): a login form with a CSRF field (an HMAC of the interaction id) that
// checks the password against an scrypt hash (OWASP's scrypt parameters, as Oxid checks an
// argon2id hash with OWASP's argon2id parameters), then a consent form with the same field.
//
// JWT access tokens (the JWT rows): three resources, https://bench.example/rs256, /es256 and
// /eddsa, each accepting `read:records` and signing RFC 9068 tokens with that algorithm
// (resourceIndicators, as Oxid's `[[resources]]`); the key set has one RSA 2048, one P-256 and
// one Ed25519 key, made at start.
//
// Storage: the library's default in-memory adapter (development-only in its own words: an
// LRU, lost on restart). Prints one line "listening ISSUER" once it accepts connections.
import crypto from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';
import Provider, { errors } from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, username, password] = process.argv.slice(2);
if (!password) {
  process.stderr.write(
    'usage: node server.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI USERNAME PASSWORD\n',
  );
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const scrypt = promisify(crypto.scrypt);
// OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1.
const SCRYPT = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 };
const salt = crypto.randomBytes(16);
const passwordHash = await scrypt(password, salt, 32, SCRYPT);
const csrfKey = crypto.randomBytes(32);
const jwk = (type, options) => ({
  ...crypto.generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  kid: `${type}-${crypto.randomBytes(4).toString('hex')}`,
});
const jwks = {
  keys: [
    { ...jwk('rsa', { modulusLength: 2048 }), use: 'sig', alg: 'RS256' },
    { ...jwk('ec', { namedCurve: 'P-256' }), use: 'sig', alg: 'ES256' },
    { ...jwk('ed25519'), use: 'sig', alg: 'EdDSA' },
  ],
};
const RESOURCE_ALGS = {
  'https://bench.example/rs256': 'RS256',
  'https://bench.example/es256': 'ES256',
  'https://bench.example/eddsa': 'EdDSA',
};
const ACCOUNT = {
  sub: 'bench-user',
  name: 'Bench User',
  email: 'bench@example.com',
  email_verified: true,
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile email offline_access read:records',
    },
  ],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'read:records'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  findAccount: (_ctx, sub) =>
    sub === ACCOUNT.sub ? { accountId: sub, claims: () => ({ ...ACCOUNT }) } : undefined,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 30 * 24 * 3600,
    Interaction: 600,
    Session: 14 * 24 * 3600,
    Grant: 30 * 24 * 3600,
  },
  rotateRefreshToken: true,
  pkce: { required: () => true },
  features: {
    clientCredentials: { enabled: true },
    // Like Oxid: any confidential client may introspect (RFC 7662 §2.1).
    introspection: { enabled: true, allowedPolicy: (_ctx, client) => client.clientAuthMethod !== 'none' },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      getResourceServerInfo: (_ctx, indicator) => {
        const alg = RESOURCE_ALGS[indicator];
        if (!alg) throw new errors.InvalidTarget();
        return {
          scope: 'read:records',
          audience: indicator,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
  jwks,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
});

const csrfFor = (uid) => crypto.createHmac('sha256', csrfKey).update(uid).digest('base64url');

function page(res, status, title, body) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(`<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`);
}

function form(uid, action, fields) {
  return `<form method="post" action="/interaction/${uid}/${action}">` +
    `<input type="hidden" name="csrf_token" value="${csrfFor(uid)}">${fields}</form>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      return page(res, 200, 'Sign in', form(uid, 'login',
        '<input name="username"><input name="password" type="password">' +
        '<button type="submit">Sign in</button>'));
    }
    return page(res, 200, 'Consent', form(uid, 'confirm',
      `<p>${params.client_id} asks for ${params.scope}</p>` +
      '<button type="submit" name="decision" value="allow">Allow</button>'));
  }
  const fields = await readForm(req);
  const csrf = Buffer.from(fields.get('csrf_token') ?? '');
  const expected = Buffer.from(csrfFor(uid));
  if (csrf.length !== expected.length || !crypto.timingSafeEqual(csrf, expected)) {
    return page(res, 403, 'Forbidden', 'bad csrf_token');
  }
  if (req.url.endsWith('/login') && prompt.name === 'login') {
    const given = await scrypt(fields.get('password') ?? '', salt, 32, SCRYPT);
    if (fields.get('username') !== username || !crypto.timingSafeEqual(given, passwordHash)) {
      return page(res, 200, 'Sign in', 'wrong username or password');
    }
    return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.sub } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (req.url.endsWith('/confirm') && prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  return page(res, 400, 'Bad request', `unexpected step for prompt ${prompt.name}`);
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      if (!res.headersSent) page(res, 400, 'Error', String(err && err.message));
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});

// Keep-alive connections would hold server.close() open: leave promptly.
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
