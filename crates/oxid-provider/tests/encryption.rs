//! Encryption (JWE, RFC 7516) over HTTP, read back by an independent implementation (panva's
//! `jose`, interop/node/lib/jwe.mjs): ID tokens signed then encrypted (OIDC Core §10.2, a
//! nested JWT), UserInfo answers encrypted (§5.3.2), for every `alg`/`enc` pair; the
//! registration rules of OIDC Registration §2; and JWEs made by `jose` to our published
//! `use: enc` keys (encrypted request objects, OIDC Core §6.1) decrypted by
//! `jwe_decrypt_with_our_keys`.

mod common;

use common::jwe::jose;

use common::front::{FrontRp, Variant};
use common::trusted::jose_available;
use common::*;
use serde_json::{Value, json};

const ALGS: [&str; 4] = [
    "RSA-OAEP-256",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A256KW",
];
const ENCS: [&str; 3] = ["A128CBC-HS256", "A128GCM", "A256GCM"];

/// A client's key pairs made by `jose`: an RSA key and a P-256 key, both `use: enc`, and a
/// signing key beside them that must never be encrypted to.
struct ClientKeys {
    rsa: Value,
    ec: Value,
    public: Value,
}

fn client_keys() -> ClientKeys {
    let made = jose(&[
        json!({"op": "keys", "alg": "RSA-OAEP-256", "kid": "rsa-enc"}),
        json!({"op": "keys", "alg": "ECDH-ES", "kid": "ec-enc", "crv": "P-256"}),
        json!({"op": "keys", "alg": "ECDH-ES", "kid": "ec-sig", "crv": "P-256"}),
    ]);
    let mut sig = made[2]["jwk"].clone();
    sig["use"] = json!("sig");
    sig["alg"] = json!("ES256");
    // The EC key is published without `alg`, so it serves the whole ECDH-ES family.
    let mut ec = made[1]["jwk"].clone();
    ec.as_object_mut().unwrap().remove("alg");
    ClientKeys {
        rsa: made[0]["key"].clone(),
        ec: made[1]["key"].clone(),
        public: json!({"keys": [sig, made[0]["jwk"], ec]}),
    }
}

impl ClientKeys {
    fn private_for(&self, alg: &str) -> &Value {
        if alg == "RSA-OAEP-256" {
            &self.rsa
        } else {
            &self.ec
        }
    }
}

fn decrypt_op(jwe: &str, keys: &ClientKeys, alg: &str) -> Value {
    json!({"op": "decrypt", "jwe": jwe, "key": keys.private_for(alg), "alg": alg})
}

async fn server() -> TestServer {
    TestServer::start_with(|s| {
        s.require_pkce = false;
        s.registration = oxid_provider::config::RegistrationMode::Open;
        s.keys.encryption_algs = vec!["RSA-OAEP-256".into(), "ECDH-ES".into()];
    })
    .await
}

/// OIDC Core §10.2 and §5.3.2: for every `alg` and `enc`, the token endpoint's ID token is a
/// JWE (`cty: JWT`, the client's `kid`) whose plaintext is our signed ID token, and UserInfo
/// answers `application/jwt`: signed then encrypted, or encrypted JSON.
#[tokio::test]
async fn id_tokens_and_userinfo_are_encrypted_for_every_alg_and_enc() {
    if !jose_available() {
        return;
    }
    let server = server().await;
    let keys = client_keys();
    let mut checks = Vec::new();
    for (i, (alg, enc)) in ALGS
        .iter()
        .flat_map(|a| ENCS.iter().map(move |e| (*a, *e)))
        .enumerate()
    {
        // Half the clients also sign UserInfo (a nested JWT); the others get encrypted JSON.
        let signed_userinfo = i % 2 == 0;
        let id = format!("enc-{i}");
        let rp = Rp::with_client(&server, &id, |c| {
            c.jwks = Some(keys.public.clone());
            c.id_token_encrypted_response_alg = Some(alg.into());
            c.id_token_encrypted_response_enc = Some(enc.into());
            c.userinfo_encrypted_response_alg = Some(alg.into());
            c.userinfo_encrypted_response_enc = Some(enc.into());
            c.userinfo_signed_response_alg = signed_userinfo.then(|| "ES256".into());
        })
        .await;
        let params = rp.authorize(&rp.request("openid email")).await;
        let answer = rp.exchange(params.get("code").unwrap()).await;
        let tokens = check_token_response(&answer);
        let id_token = tokens["id_token"].as_str().unwrap().to_string();
        assert_eq!(id_token.split('.').count(), 5, "a compact JWE: {id_token}");
        let access_token = tokens["access_token"].as_str().unwrap().to_string();
        let response = reqwest::Client::new()
            .get(server.url("/userinfo"))
            .bearer_auth(&access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), "application/jwt");
        let userinfo = response.text().await.unwrap();
        checks.push((
            id,
            alg,
            enc,
            signed_userinfo,
            id_token,
            access_token,
            userinfo,
        ));
    }
    let ops: Vec<Value> = checks
        .iter()
        .flat_map(|(_, alg, _, _, id_token, _, userinfo)| {
            [
                decrypt_op(id_token, &keys, alg),
                decrypt_op(userinfo, &keys, alg),
            ]
        })
        .collect();
    let answers = jose(&ops);
    for (n, (id, alg, enc, signed_userinfo, _, access_token, _)) in checks.iter().enumerate() {
        let (id_token, userinfo) = (&answers[2 * n], &answers[2 * n + 1]);
        let what = format!("{alg} {enc}");
        assert!(id_token.get("error").is_none(), "{what}: {id_token}");
        let header = &id_token["header"];
        assert_eq!(
            (&header["alg"], &header["enc"]),
            (&json!(alg), &json!(enc)),
            "{what}"
        );
        assert_eq!(header["cty"], "JWT", "OIDC Core §10.2: a nested JWT");
        let kid = if *alg == "RSA-OAEP-256" {
            "rsa-enc"
        } else {
            "ec-enc"
        };
        assert_eq!(header["kid"], kid, "{what}: the client's use=enc key");
        // The plaintext is our signed ID token: it verifies with the JWKS and is the client's.
        let signed = id_token["plaintext"].as_str().unwrap();
        let claims = check_id_token(&server, signed, id, Some(NONCE), Some(access_token)).await;
        assert!(claims["sub"].is_string(), "{what}");

        assert!(userinfo.get("error").is_none(), "{what}: {userinfo}");
        let plaintext = userinfo["plaintext"].as_str().unwrap();
        let released = if *signed_userinfo {
            assert_eq!(userinfo["header"]["cty"], "JWT");
            verify_jws_with_jwks(&server, plaintext).await
        } else {
            assert!(userinfo["header"].get("cty").is_none());
            serde_json::from_str(plaintext).unwrap()
        };
        assert_eq!(released["sub"], claims["sub"], "{what}: OIDC Core §5.3.2");
        assert_eq!(released["email"], "alice@example.com", "{what}");
    }
}

/// OIDC Core §3.3.2.11: in the hybrid flow the front-channel ID token is encrypted as well.
#[tokio::test]
async fn front_channel_id_tokens_are_encrypted_too() {
    if !jose_available() {
        return;
    }
    let server = server().await;
    let keys = client_keys();
    let variant = Variant {
        response_type: "code id_token",
        form_post: false,
    };
    let rp = Rp::with_client(&server, "hybrid-enc", |c| {
        c.response_types = vec![variant.response_type.into()];
        c.grant_types = vec!["authorization_code".into(), "implicit".into()];
        c.jwks = Some(keys.public.clone());
        c.id_token_encrypted_response_alg = Some("ECDH-ES+A256KW".into());
        c.id_token_encrypted_response_enc = Some("A256GCM".into());
    })
    .await;
    let front = FrontRp { rp, variant };
    let response = front
        .rp
        .interact(front.send(&front.request("openid")).await)
        .await;
    let params = front.answer(response).await;
    let id_token = params.get("id_token").expect("an ID token in the fragment");
    assert_eq!(id_token.split('.').count(), 5, "a compact JWE");
    let answer = &jose(&[decrypt_op(id_token, &keys, "ECDH-ES+A256KW")])[0];
    assert!(answer.get("error").is_none(), "{answer}");
    let signed = answer["plaintext"].as_str().unwrap();
    let claims = check_id_token(&server, signed, "hybrid-enc", Some(NONCE), None).await;
    assert_eq!(
        claims["c_hash"].as_str().unwrap(),
        half_hash(signed, params.get("code").unwrap()),
        "OIDC Core §3.3.2.11"
    );
}

/// OIDC Registration §2: `_enc` needs `_alg` and defaults to A128CBC-HS256; only the
/// algorithms discovery lists; a key to encrypt to must be registered.
#[tokio::test]
async fn registration_checks_the_encryption_members() {
    let server = server().await;
    let rsa_only = json!({"keys": [{"kty": "RSA", "use": "enc", "kid": "r", "e": "AQAB",
        "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw"}]});
    let base = |extra: Value| {
        let mut metadata = json!({"redirect_uris": [REDIRECT], "jwks": rsa_only});
        metadata
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        metadata
    };
    // An alg alone: registered, with the default enc spelled out.
    let info = register_ok(
        &server,
        &base(json!({"id_token_encrypted_response_alg": "RSA-OAEP-256",
                     "userinfo_encrypted_response_alg": "RSA-OAEP-256",
                     "userinfo_encrypted_response_enc": "A256GCM"})),
    )
    .await;
    assert_eq!(info["id_token_encrypted_response_alg"], "RSA-OAEP-256");
    assert_eq!(info["id_token_encrypted_response_enc"], "A128CBC-HS256");
    assert_eq!(info["userinfo_encrypted_response_enc"], "A256GCM");

    for (extra, member, why) in [
        (
            json!({"id_token_encrypted_response_enc": "A128GCM"}),
            "id_token_encrypted_response_enc",
            "needs id_token_encrypted_response_alg",
        ),
        (
            json!({"userinfo_encrypted_response_enc": "A256GCM"}),
            "userinfo_encrypted_response_enc",
            "needs userinfo_encrypted_response_alg",
        ),
        (
            // RFC 7518 §4.2: RSA1_5 is not offered.
            json!({"id_token_encrypted_response_alg": "RSA1_5"}),
            "id_token_encrypted_response_alg",
            "is not one of",
        ),
        (
            json!({"userinfo_encrypted_response_alg": "RSA-OAEP-256",
                   "userinfo_encrypted_response_enc": "A192GCM"}),
            "userinfo_encrypted_response_enc",
            "is not one of",
        ),
        (
            // An RSA key cannot receive ECDH-ES.
            json!({"id_token_encrypted_response_alg": "ECDH-ES"}),
            "id_token_encrypted_response_alg",
            "no key",
        ),
    ] {
        let description =
            register_refused(&server, &base(extra.clone()), "invalid_client_metadata").await;
        assert!(description.starts_with(member), "{extra}: {description}");
        assert!(description.contains(why), "{extra}: {description}");
    }
    // No keys at all.
    let no_keys = json!({"redirect_uris": [REDIRECT],
                         "id_token_encrypted_response_alg": "RSA-OAEP-256"});
    let description = register_refused(&server, &no_keys, "invalid_client_metadata").await;
    assert!(description.contains("jwks or jwks_uri"), "{description}");
    // Only a signing key.
    let mut sig_only = rsa_only.clone();
    sig_only["keys"][0]["use"] = json!("sig");
    let description = register_refused(
        &server,
        &json!({"redirect_uris": [REDIRECT], "jwks": sig_only,
                "id_token_encrypted_response_alg": "RSA-OAEP-256"}),
        "invalid_client_metadata",
    )
    .await;
    assert!(description.contains("no key with use enc"), "{description}");
}

/// OIDC Discovery §3: what is listed is what registration takes, and what request objects
/// encrypted to our keys may use (`features.request_object_encryption`).
#[tokio::test]
async fn discovery_lists_the_encryption_algorithms_and_jwks_publishes_our_enc_keys() {
    let server = server().await;
    let document = discovery(&server).await;
    for member in ["id_token_encryption", "userinfo_encryption"] {
        assert_eq!(
            document[format!("{member}_alg_values_supported")],
            json!(ALGS)
        );
        assert_eq!(
            document[format!("{member}_enc_values_supported")],
            json!(ENCS)
        );
    }
    // Request objects encrypted to us: the algs our keys serve (this ring has an RSA and an
    // EC key), and only the GCM encs, which are decrypted in constant time.
    assert_eq!(
        document["request_object_encryption_alg_values_supported"],
        json!(ALGS)
    );
    assert_eq!(
        document["request_object_encryption_enc_values_supported"],
        json!(["A128GCM", "A256GCM"])
    );
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enc: Vec<&Value> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == "enc")
        .collect();
    // A current and a next key of each kind (RFC 7517 §4.2 `use`, §4.4 `alg`).
    let algs: Vec<&str> = enc.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(
        algs.iter().filter(|a| **a == "RSA-OAEP-256").count(),
        2,
        "{algs:?}"
    );
    assert_eq!(
        algs.iter().filter(|a| **a == "ECDH-ES").count(),
        2,
        "{algs:?}"
    );
    assert!(
        enc.iter()
            .all(|k| k.get("d").is_none() && k["kid"].is_string())
    );
}

/// OIDC Core §6.1 / RFC 9101 §6.1: a request object encrypted by `jose` to any of our
/// published `use: enc` keys, with any `alg` they serve and a GCM `enc`, decrypts with
/// `jwe_decrypt_with_our_keys`; an unknown `kid`, CBC-HMAC and a tampered JWE do not.
#[tokio::test]
async fn jwes_made_by_jose_to_our_keys_decrypt_with_our_keys() {
    if !jose_available() {
        return;
    }
    let server = server().await;
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ops = Vec::new();
    let mut expected = Vec::new();
    for key in jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["use"] == "enc")
    {
        let algs: &[&str] = if key["kty"] == "RSA" {
            &ALGS[..1]
        } else {
            &ALGS[1..]
        };
        for alg in algs {
            let mut jwk = key.clone();
            jwk["alg"] = json!(alg);
            for (enc, kid) in [("A128GCM", key["kid"].clone()), ("A256GCM", Value::Null)] {
                let plaintext = format!("request object {alg} {enc} {kid}");
                ops.push(json!({"op": "encrypt", "plaintext": plaintext, "jwk": jwk,
                                "alg": alg, "enc": enc, "kid": kid, "cty": "JWT"}));
                expected.push(plaintext);
            }
        }
    }
    assert_eq!(expected.len(), 16);
    // Refused: an unknown kid, CBC-HMAC (not decrypted, see crypto::jwe).
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RSA-OAEP-256")
        .unwrap()
        .clone();
    ops.push(
        json!({"op": "encrypt", "plaintext": "x", "jwk": rsa, "alg": "RSA-OAEP-256",
                    "enc": "A128GCM", "kid": "not-ours"}),
    );
    ops.push(
        json!({"op": "encrypt", "plaintext": "x", "jwk": rsa, "alg": "RSA-OAEP-256",
                    "enc": "A128CBC-HS256", "kid": rsa["kid"]}),
    );
    let made = jose(&ops);
    for (answer, plaintext) in made.iter().zip(&expected) {
        let jwe = answer["jwe"].as_str().unwrap_or_else(|| panic!("{answer}"));
        let decrypted = server.provider.jwe_decrypt_with_our_keys(jwe).unwrap();
        assert_eq!(String::from_utf8(decrypted).unwrap(), *plaintext);
    }
    for refused in &made[expected.len()..] {
        let jwe = refused["jwe"].as_str().unwrap();
        assert!(server.provider.jwe_decrypt_with_our_keys(jwe).is_err());
    }
    let good = made[0]["jwe"].as_str().unwrap();
    let mut parts: Vec<&str> = good.split('.').collect();
    let tag = "AAAAAAAAAAAAAAAAAAAAAA";
    parts[4] = tag;
    assert!(
        server
            .provider
            .jwe_decrypt_with_our_keys(&parts.join("."))
            .is_err()
    );
}

/// Back-Channel Logout §2.4: the logout token is encrypted as the client's ID tokens are;
/// RP-Initiated Logout §2: the signed ID token, re-encrypted by the client to our `use: enc`
/// key, is a good `id_token_hint`.
#[tokio::test]
async fn logout_tokens_are_encrypted_and_encrypted_hints_are_read() {
    if !jose_available() {
        return;
    }
    let server = TestServer::start_with(|s| {
        s.outbound.allow_private_addresses = true;
        s.keys.encryption_algs = vec!["RSA-OAEP-256".into()];
    })
    .await;
    let keys = client_keys();
    let (uri, mut received) = receiver().await;
    let after = "https://app.example.com/logged-out";
    let secret = server
        .add_client("app", |c| {
            c.backchannel_logout_uri = Some(uri.clone());
            c.post_logout_redirect_uris = vec![after.into()];
            c.jwks = Some(keys.public.clone());
            c.id_token_encrypted_response_alg = Some("RSA-OAEP-256".into());
            c.id_token_encrypted_response_enc = Some("A128GCM".into());
        })
        .await;
    let browser = server.browser();
    let code = obtain_code(&server, &browser, "app", "openid").await;
    let (_, tokens) = exchange_code(&server, "app", &secret, &code).await;
    let encrypted = tokens["id_token"].as_str().unwrap();
    let signed = jose(&[decrypt_op(encrypted, &keys, "RSA-OAEP-256")])[0]["plaintext"]
        .as_str()
        .unwrap()
        .to_string();
    let id_claims = verify_jws_with_jwks(&server, &signed).await;
    // The client re-encrypts the signed ID token to our published RSA encryption key.
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ours = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RSA-OAEP-256")
        .unwrap();
    let hint = jose(&[json!({"op": "encrypt", "plaintext": signed, "jwk": ours,
        "alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": ours["kid"], "cty": "JWT"})])[0]["jwe"]
        .as_str()
        .unwrap()
        .to_string();
    let query = oxid_protocol::params::encode_pairs([
        ("id_token_hint", hint.as_str()),
        ("post_logout_redirect_uri", after),
        ("state", "s"),
    ]);
    let response = browser
        .get(server.url(&format!("/logout?{query}")))
        .send()
        .await
        .unwrap();
    // A hint we could read: no confirmation page, straight back to the client.
    assert_eq!(response.headers()["location"], format!("{after}?state=s"));

    let (_, body) = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    let form = oxid_protocol::params::Params::parse_form(body.as_bytes()).unwrap();
    let token = form.get("logout_token").expect("logout_token");
    assert_eq!(token.split('.').count(), 5, "an encrypted logout token");
    let answer = &jose(&[decrypt_op(token, &keys, "RSA-OAEP-256")])[0];
    assert_eq!(answer["header"]["cty"], "JWT", "{answer}");
    let logout = verify_jws_with_jwks(&server, answer["plaintext"].as_str().unwrap()).await;
    assert_eq!(logout["sid"], id_claims["sid"]);
    assert!(logout["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
}
