// panva's oidc-provider as the comparison server of bench/token: one confidential client with
// the client_credentials grant (client_secret_basic, scope read:records), on 127.0.0.1.
//
//   node server.mjs PORT CLIENT_ID CLIENT_SECRET
//
// Prints one line "listening ISSUER" once it accepts connections. Access tokens are opaque
// (the library's default format) and kept by its default in-memory adapter (an LRU of 1,000
// entries): nothing is written to disk. Stops on SIGTERM / SIGINT.
import http from 'node:http';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret] = process.argv.slice(2);
if (!port || !clientId || !clientSecret) {
  process.stderr.write('usage: node server.mjs PORT CLIENT_ID CLIENT_SECRET\n');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read:records',
    },
  ],
  scopes: ['read:records'],
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
  },
  cookies: { keys: ['oxid-bench-token-cookie-key-not-used-by-this-grant'] },
});

const server = http.createServer(provider.callback());
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
