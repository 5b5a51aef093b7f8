// JWE (RFC 7516) with panva's `jose`, an implementation independent of Oxid, for the
// provider's Rust tests of encrypted ID tokens, UserInfo and request objects.
// stdin: a JSON array of operations; stdout: a JSON array of their answers, in order.
//   {"op": "keys", "alg": "RSA-OAEP-256", "kid": "k1", "crv": "P-256"}
//       -> {"jwk": <public JWK, use enc>, "key": <private JWK>}   (a new key pair)
//   {"op": "decrypt", "jwe": "<compact>", "key": <private JWK>, "alg": "..."}
//       -> {"plaintext": "...", "header": {...}}   or {"error": "..."}
//   {"op": "encrypt", "plaintext": "...", "jwk": <public JWK>, "alg": "...", "enc": "...",
//    "kid": "... (optional)", "cty": "... (optional)"}  -> {"jwe": "<compact>"}
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK } from 'jose';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const answers = [];
for (const op of JSON.parse(input)) {
  try {
    answers.push(await run(op));
  } catch (e) {
    answers.push({ error: `${e.code ?? e.name}: ${e.message}` });
  }
}
process.stdout.write(JSON.stringify(answers));

async function run(op) {
  switch (op.op) {
    case 'keys': {
      const options = { extractable: true };
      if (op.crv) options.crv = op.crv;
      const { privateKey } = await generateKeyPair(op.alg, options);
      const key = await exportJWK(privateKey);
      const { d, p, q, dp, dq, qi, ...pub } = key;
      return { jwk: { ...pub, kid: op.kid, use: 'enc', alg: op.alg }, key };
    }
    case 'decrypt': {
      const key = await importJWK(op.key, op.alg);
      const { plaintext, protectedHeader } = await compactDecrypt(op.jwe, key);
      return { plaintext: new TextDecoder().decode(plaintext), header: protectedHeader };
    }
    case 'encrypt': {
      const key = await importJWK(op.jwk, op.alg);
      const header = { alg: op.alg, enc: op.enc };
      if (op.kid) header.kid = op.kid;
      if (op.cty) header.cty = op.cty;
      const jwe = await new CompactEncrypt(new TextEncoder().encode(op.plaintext))
        .setProtectedHeader(header)
        .encrypt(key);
      return { jwe };
    }
    default:
      throw new Error(`unknown op ${op.op}`);
  }
}
