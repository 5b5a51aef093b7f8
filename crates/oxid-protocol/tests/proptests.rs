//! Property tests: random values encode and decode to themselves; random junk is refused or
//! accepted, never a panic (params, requests, metadata, JWS, JWK, claims).

use oxid_protocol::authorization::is_valid_pkce_value;
use oxid_protocol::*;
use proptest::prelude::*;

fn token_str() -> impl Strategy<Value = String> {
    // Any printable text, including characters that need percent-encoding.
    "[ -~\\u{a0}-\\u{2fff}]{1,24}"
}

fn scope_token() -> impl Strategy<Value = String> {
    "[!#-\\[\\]-~]{1,12}"
}

fn scope_strategy() -> impl Strategy<Value = Scope> {
    prop::collection::vec(scope_token(), 0..5).prop_map(|v| Scope::from_tokens(v).unwrap())
}

fn pkce() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{43,128}"
}

fn abs_uri() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,10}",
        "[a-z0-9/]{0,10}",
        prop::option::of("[a-z]=[a-z0-9]{1,4}"),
    )
        .prop_map(|(h, p, q)| match q {
            Some(q) => format!("https://{h}.example/{p}?{q}"),
            None => format!("https://{h}.example/{p}"),
        })
}

fn response_type() -> impl Strategy<Value = ResponseType> {
    prop::sample::select(vec![
        ResponseType::CODE,
        ResponseType::TOKEN,
        ResponseType::ID_TOKEN,
        ResponseType::ID_TOKEN_TOKEN,
        ResponseType::CODE_ID_TOKEN,
        ResponseType::CODE_TOKEN,
        ResponseType::CODE_ID_TOKEN_TOKEN,
        ResponseType::NONE,
    ])
}

fn prompt() -> impl Strategy<Value = PromptSet> {
    prop_oneof![
        Just(PromptSet::new()),
        Just(PromptSet::parse("none").unwrap()),
        prop::sample::subsequence(
            vec![
                Prompt::Login,
                Prompt::Consent,
                Prompt::SelectAccount,
                Prompt::Create
            ],
            1..4
        )
        .prop_map(|v| PromptSet::from_values(v).unwrap()),
    ]
}

prop_compose! {
    fn auth_request()(
        // Seed 004: the scope is required.
        scope in scope_strategy().prop_filter("a request has a scope", |s| !s.is_empty()),
        response_type in response_type(),
        client_id in token_str(),
        redirect_uri in abs_uri(),
        state in prop::option::of(token_str()),
        response_mode in prop::option::of(prop::sample::select(ResponseMode::ALL.to_vec())),
        nonce in token_str(),
        display in prop::collection::vec(prop::sample::select(Display::ALL.to_vec()), 0..2),
        prompt in prompt(),
        max_age in prop::option::of(any::<u64>()),
        ui_locales in prop::collection::vec("[a-z]{2}(-[A-Z]{2})?", 0..3),
        login_hint in prop::option::of(token_str()),
        acr_values in prop::collection::vec("[a-z:0-9]{1,8}", 0..3),
        code_challenge in prop::option::of(pkce()),
        s256 in any::<bool>(),
        request_uri in prop::option::of(abs_uri()),
        claims in prop::option::of(prop::collection::btree_map("[a-z_]{1,8}", any::<i32>(), 0..3)),
        resource in prop::option::of(abs_uri()),
        extra in prop::collection::btree_map("x_[a-z]{1,6}", token_str(), 0..3),
    ) -> AuthenticationRequest {
        let dedup_display = {
            let mut d = display;
            d.dedup();
            d
        };
        AuthenticationRequest {
            scope,
            response_type,
            client_id,
            redirect_uri,
            state,
            response_mode,
            nonce: Some(nonce),
            display: dedup_display,
            prompt,
            max_age,
            ui_locales: ui_locales.into_iter().collect(),
            claims_locales: vec![],
            id_token_hint: None,
            login_hint,
            acr_values,
            registration: None,
            code_challenge_method: code_challenge.as_ref().map(|_| if s256 { CodeChallengeMethod::S256 } else { CodeChallengeMethod::Plain }),
            code_challenge,
            request: None,
            request_uri,
            claims: claims.map(|m| serde_json::to_value(m).unwrap()),
            resource,
            extra: extra.into_iter().collect(),
        }
    }
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=n for more.

    #[test]
    fn params_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        match Params::parse_form(&bytes) {
            Ok(p) => {
                // Whatever parsed re-encodes and parses to the same thing.
                let again = Params::parse_form(p.encode().as_bytes()).unwrap();
                prop_assert_eq!(again, p);
            }
            Err(e) => prop_assert!(is_valid_error_text(&e.description())),
        }
    }

    #[test]
    fn params_query_junk(s in "[a-z=&%+0-9A-F\\u{0}-\\u{7f}]{0,80}") {
        let _ = Params::parse_query(&s);
    }

    #[test]
    fn params_round_trip(pairs in prop::collection::btree_map(token_str(), token_str(), 0..8)) {
        let p = Params::from_pairs(pairs.iter()).unwrap();
        let back = Params::parse_form(p.encode().as_bytes()).unwrap();
        prop_assert_eq!(&back, &p);
        for (k, v) in &pairs {
            prop_assert_eq!(back.get(k), Some(v.as_str()));
        }
    }

    #[test]
    fn sanitizer_always_valid(s in any::<String>()) {
        let t = sanitize_error_text(&s);
        prop_assert!(is_valid_error_text(&t));
        if is_valid_error_text(&s) {
            prop_assert_eq!(t, s);
        }
    }

    #[test]
    fn scope_round_trip(s in scope_strategy()) {
        prop_assert_eq!(Scope::parse(&s.to_string()).unwrap(), s.clone());
        let json = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
    }

    #[test]
    fn scope_junk(s in any::<String>()) {
        let _ = Scope::parse(&s);
    }

    #[test]
    fn authentication_request_round_trip(r in auth_request()) {
        let encoded = r.encode();
        let back = AuthenticationRequest::from_params(&Params::parse_query(&encoded).unwrap());
        prop_assert_eq!(back, Ok(r));
    }

    #[test]
    fn authentication_request_junk(pairs in prop::collection::btree_map(
        prop::sample::select(vec!["response_type", "client_id", "redirect_uri", "scope", "state", "prompt",
            "max_age", "display", "response_mode", "nonce", "claims", "code_challenge", "code_challenge_method",
            "request", "request_uri", "resource", "ui_locales"]),
        any::<String>(), 0..12)) {
        let p = Params::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        match AuthenticationRequest::from_params(&p) {
            Ok(r) => {
                let back = AuthenticationRequest::from_params(&Params::parse_query(&r.encode()).unwrap());
                prop_assert_eq!(back, Ok(r));
            }
            Err(e) => {
                prop_assert!(is_valid_error_text(e.error_description.as_deref().unwrap_or("")));
                prop_assert_eq!(e.state.as_deref(), p.get("state"));
            }
        }
    }

    #[test]
    fn token_request_round_trip(
        which in 0usize..8,
        a in token_str(), b in token_str(), uri in abs_uri(), verifier in prop::option::of(pkce()),
        scope in prop::option::of(scope_strategy().prop_filter("non-empty", |s| !s.is_empty())),
        extra_value in prop::option::of(token_str()),
    ) {
        // Seed 004's extra='allow': a parameter the grant does not type survives the trip.
        let extra: indexmap::IndexMap<String, String> =
            extra_value.into_iter().map(|v| ("x_extra".to_string(), v)).collect();
        let r = match which {
            0 => TokenRequest::AuthorizationCode { code: a, redirect_uri: uri, code_verifier: verifier, extra },
            1 => TokenRequest::RefreshToken { refresh_token: a, scope, extra },
            2 => TokenRequest::ClientCredentials { scope, extra },
            3 => TokenRequest::Password { username: a, password: b, scope, extra },
            4 => TokenRequest::JwtBearer { assertion: a, scope, extra },
            5 => TokenRequest::DeviceCode { device_code: a, extra },
            6 => TokenRequest::TokenExchange {
                subject_token: a, subject_token_type: b, actor_token: None, actor_token_type: None,
                requested_token_type: verifier, resource: Some(uri), audience: None, scope, extra,
            },
            _ => TokenRequest::Other {
                grant_type: format!("urn:x:{}", a.len()),
                params: Params::from_pairs([("assertion", b.as_str())]).unwrap(),
            },
        };
        let back = TokenRequest::from_params(&Params::parse_form(r.encode().as_bytes()).unwrap()).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn token_request_junk(pairs in prop::collection::btree_map(
        prop::sample::select(vec!["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope",
            "username", "password", "assertion", "device_code", "subject_token", "subject_token_type", "actor_token",
            "client_id", "client_secret", "client_assertion", "client_assertion_type"]),
        prop_oneof![any::<String>(), Just("authorization_code".to_string()), Just("refresh_token".to_string()),
            Just("password".to_string()), Just("urn:ietf:params:oauth:grant-type:token-exchange".to_string())],
        0..10)) {
        let p = Params::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        if let Err(e) = TokenRequest::from_params(&p) {
            prop_assert!(is_valid_error_text(e.error_description.as_deref().unwrap_or("")));
        }
        if let Err(e) = ClientAuthParams::from_params(&p) {
            prop_assert!(is_valid_error_text(e.error_description.as_deref().unwrap_or("")));
        }
    }

    #[test]
    fn basic_auth_round_trip(id in token_str(), secret in any::<String>()) {
        let h = token::basic_authorization(&id, &secret);
        prop_assert_eq!(token::parse_basic_authorization(&h).unwrap(), (id, secret));
    }

    #[test]
    fn basic_auth_junk(s in any::<String>()) {
        let _ = token::parse_basic_authorization(&s);
        let _ = bearer::parse_bearer_authorization(&s);
        let _ = BearerChallenge::parse(&s);
    }

    #[test]
    fn metadata_junk_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = ProviderMetadata::parse_lenient(&bytes);
        let _ = ProviderMetadata::from_json(&bytes);
    }

    #[test]
    fn metadata_json_values_never_panic(v in json_value(3)) {
        let bytes = serde_json::to_vec(&v).unwrap();
        if let Ok((md, _)) = ProviderMetadata::parse_lenient(&bytes) {
            let _ = md.check_strict("https://op.example.com");
            // Lenient parse loses nothing.
            // (Compared with a plain parse of the same bytes: serde_json's default float
            // parsing may differ from the generated f64 by one ULP.)
            let plain: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(serde_json::to_value(&md).unwrap(), strip_nulls(&plain));
            let _ = v;
        }
    }

    #[test]
    fn jws_junk_never_panics(s in "[A-Za-z0-9_.=+/-]{0,120}") {
        let _ = CompactJws::parse(&s);
    }

    #[test]
    fn jws_round_trip(alg in "[A-Z]{2}[0-9]{3}", kid in prop::option::of(token_str()),
                      payload in prop::collection::vec(any::<u8>(), 0..64),
                      sig in prop::collection::vec(any::<u8>(), 0..64)) {
        let h = JoseHeader::new(alg, kid, Some("JWT".into()));
        let si = CompactJws::signing_input_for(&h, &payload);
        let t = CompactJws::assemble(&si, &sig);
        let j = CompactJws::parse(&t).unwrap();
        prop_assert_eq!(j.header(), &h);
        prop_assert_eq!(j.payload(), &payload[..]);
        prop_assert_eq!(j.signature(), &sig[..]);
        prop_assert_eq!(j.signing_input(), si.as_bytes());
        prop_assert_eq!(j.to_string(), t);
    }

    #[test]
    fn claims_junk_never_panics(v in json_value(3)) {
        let _ = serde_json::from_value::<IdTokenClaims>(v.clone());
        let _ = serde_json::from_value::<AccessTokenClaims>(v.clone());
        let _ = serde_json::from_value::<LogoutTokenClaims>(v.clone());
        let _ = serde_json::from_value::<Jwk>(v.clone());
        let _ = serde_json::from_value::<JwkSet>(v.clone());
        let _ = serde_json::from_value::<TokenResponse>(v.clone());
        let _ = serde_json::from_value::<ClientMetadata>(v.clone());
        let _ = serde_json::from_value::<IntrospectionResponse>(v);
    }

    #[test]
    fn id_token_round_trip_and_validation_never_panics(
        iss in token_str(), sub in token_str(), aud in prop::collection::vec(token_str(), 1..3),
        exp in any::<u64>(), iat in any::<u64>(), auth_time in prop::option::of(any::<u64>()),
        nonce in prop::option::of(token_str()), azp in prop::option::of(token_str()),
        now in any::<u64>(), leeway in any::<u64>(), min_iat in any::<u64>(), min_auth_time in any::<u64>(),
    ) {
        let t = IdTokenClaims {
            iss, sub, aud: Audience(aud.clone()), exp, iat, auth_time, nonce, acr: None, amr: None, azp,
            sid: None, at_hash: None, c_hash: None, extra: Default::default(),
        };
        let back: IdTokenClaims = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        prop_assert_eq!(&back, &t);
        let v = Validation { now, leeway };
        let _ = t.validate_extern(&IdTokenRules { nonce: t.nonce.as_deref(), extra_trusted_audiences: &aud, min_iat, min_auth_time, ..IdTokenRules::new(&t.iss, &aud[0]) }, &v);
        let _ = t.validate_extern(&IdTokenRules { nonce: Some("z"), min_iat, min_auth_time, ..IdTokenRules::new("x", "y") }, &v);
    }

    #[test]
    fn pkce_checker_agrees_with_strategy(s in pkce()) {
        prop_assert!(is_valid_pkce_value(&s));
    }
}

fn strip_nulls(v: &serde_json::Value) -> serde_json::Value {
    // Typed members that are null parse as absent; other nulls stay.
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter(|(k, val)| {
                    !(val.is_null() && ProviderMetadata::MEMBERS.contains(&k.as_str()))
                })
                .map(|(k, val)| (k.clone(), val.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn json_value(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "https://op.example.com",
            "/rel",
            "RS256",
            "none",
            "code",
            "openid"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    let keys = prop::sample::select(vec![
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "scopes_supported",
        "response_types_supported",
        "grant_types_supported",
        "claims_parameter_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nonce",
        "events",
        "kty",
        "n",
        "e",
        "crv",
        "x",
        "y",
        "keys",
        "access_token",
        "token_type",
        "expires_in",
        "redirect_uris",
        "active",
        "scope",
        "other_endpoint",
        "x",
    ]);
    leaf.prop_recursive(depth, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}
