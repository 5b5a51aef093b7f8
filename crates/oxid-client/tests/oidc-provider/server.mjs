// panva's oidc-provider on 127.0.0.1 with a random port, for the oxid-client interop test.
// Prints one JSON line {"issuer": ...} once it listens; stops when stdin closes.
import http from 'node:http';
import Provider from 'oidc-provider';

const CLIENT = {
  client_id: 'oxid-rp',
  client_secret: 'oxid-rp-secret-with-enough-entropy-0123456789',
  redirect_uris: ['https://rp.example/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [CLIENT],
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      async claims() {
        return { sub, email: `${sub}@example.com`, email_verified: true };
      },
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'email'],
    features: { devInteractions: { enabled: true } },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    cookies: { keys: ['oxid-client-interop-cookie-key'] },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, redirect_uri: CLIENT.redirect_uris[0] })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
