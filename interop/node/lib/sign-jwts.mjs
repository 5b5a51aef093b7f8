// Signs JWTs with panva's `jose`, an implementation independent of Oxid, for the provider's
// Rust tests of the JWT bearer grant (RFC 7523) and token exchange (RFC 8693).
// stdin: {"alg": "ES256", "kid": "k1", "claims": [{...}, ...], "key": <private JWK, optional>}
// stdout: {"jwk": <public JWK>, "key": <private JWK>, "jwts": ["<compact JWS>", ...]}
// Without "key", a new key pair is made.
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { alg, kid, claims, key } = JSON.parse(input);
let privateKey;
if (key) {
  privateKey = await importJWK(key, alg, { extractable: true });
} else {
  ({ privateKey } = await generateKeyPair(alg, { extractable: true }));
}
const privateJwk = await exportJWK(privateKey);
const { d, p, q, dp, dq, qi, ...publicJwk } = privateJwk;
const jwk = { ...publicJwk, kid, alg, use: 'sig' };
const jwts = [];
for (const payload of claims) {
  jwts.push(await new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(privateKey));
}
process.stdout.write(JSON.stringify({ jwk, key: privateJwk, jwts }));
