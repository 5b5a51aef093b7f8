//! Round trips of the remaining messages: UserInfo (OIDC Core §5.3), introspection
//! (RFC 7662), revocation (RFC 7009), registration (RFC 7591, OIDC Registration), logout
//! (RP-Initiated, Front-/Back-Channel), Bearer challenges (RFC 6750 §3), JWK (RFC 7517).

use oxid_protocol::bearer::parse_bearer_authorization;
use oxid_protocol::registration::RegistrationErrorCode;
use oxid_protocol::*;
use serde_json::{Value, json};

fn rt<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) {
    let s = serde_json::to_string(v).unwrap();
    let back: T = serde_json::from_str(&s).unwrap();
    assert_eq!(&back, v, "{s}");
}

fn same_json<T: serde::Serialize + serde::de::DeserializeOwned>(doc: &Value) -> T {
    let t: T = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(
        &serde_json::to_value(&t).unwrap(),
        doc,
        "re-serialization changed the document"
    );
    t
}

#[test]
fn userinfo_response() {
    // OIDC Core §5.3.2 example.
    let doc = json!({"sub": "248289761001", "name": "Jane Doe", "given_name": "Jane",
        "family_name": "Doe", "preferred_username": "j.doe", "email": "janedoe@example.com",
        "email_verified": true, "picture": "http://example.com/janedoe/me.jpg",
        "address": {"country": "DE"}, "updated_at": 1311280970});
    let u: UserinfoResponse = same_json(&doc);
    assert_eq!(u.get_str("email"), Some("janedoe@example.com"));
    assert_eq!(u.get_bool("email_verified"), Some(true));
    assert!(u.matches_subject("248289761001"));
    rt(&u);
    assert!(serde_json::from_value::<UserinfoResponse>(json!({"name": "x"})).is_err());
}

#[test]
fn userinfo_request_and_errors() {
    let r = UserinfoRequest::from_parts(Some("Bearer SlAV32hkKG"), None).unwrap();
    assert_eq!(r.access_token, "SlAV32hkKG");
    assert_eq!(r.authorization_header(), "Bearer SlAV32hkKG");
    let f = Params::parse_form(b"access_token=abc").unwrap();
    assert_eq!(
        UserinfoRequest::from_parts(None, Some(&f))
            .unwrap()
            .access_token,
        "abc"
    );
    let both = UserinfoRequest::from_parts(Some("Bearer x"), Some(&f)).unwrap_err();
    assert_eq!(both.error, Some(BearerErrorCode::InvalidRequest));
    assert_eq!(both.http_status(), 400);
    let none = UserinfoRequest::from_parts(None, None).unwrap_err();
    assert_eq!(none.http_status(), 401);
    assert_eq!(none.www_authenticate(Some("oxid")), "Bearer realm=\"oxid\"");
    // OIDC Core §5.3.3 example.
    let e = UserinfoError::invalid_token("The Access Token expired");
    let h = e.www_authenticate(None);
    assert_eq!(
        h,
        "Bearer error=\"invalid_token\", error_description=\"The Access Token expired\""
    );
    assert_eq!(UserinfoError::from_www_authenticate(&h).unwrap(), e);
    assert_eq!(e.http_status(), 401);
    assert_eq!(e.body().unwrap().bearer_code(), e.error);
}

#[test]
fn bearer_codes() {
    assert_eq!(BearerErrorCode::InvalidRequest.http_status(), 400);
    assert_eq!(BearerErrorCode::InvalidToken.http_status(), 401);
    assert_eq!(BearerErrorCode::InsufficientScope.http_status(), 403);
    // RFC 6750 §3 example.
    let c = BearerChallenge::parse(
        r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
    )
    .unwrap();
    assert_eq!(c.realm.as_deref(), Some("example"));
    assert_eq!(c.error, Some(BearerErrorCode::InvalidToken));
    let c = BearerChallenge::error(BearerErrorCode::InsufficientScope, "need \"more\"")
        .with_scope("read:records");
    let h = c.www_authenticate();
    assert!(h.contains("scope=\"read:records\"") && h.contains("need 'more'"));
    assert!(BearerChallenge::parse("Basic realm=\"x\"").is_none());
    assert_eq!(
        parse_bearer_authorization("Bearer mF_9.B5f-4.1JqM"),
        Some("mF_9.B5f-4.1JqM")
    );
}

#[test]
fn introspection() {
    let p = Params::parse_form(
        b"token=mF_9.B5f-4.1JqM&token_type_hint=access_token&client_id=rs&foo=bar",
    )
    .unwrap();
    let r = IntrospectionRequest::from_params(&p).unwrap();
    assert_eq!(r.token_type_hint.as_deref(), Some("access_token"));
    assert_eq!(r.extra.get("foo").map(String::as_str), Some("bar"));
    assert!(!r.extra.contains_key("client_id"));
    assert_eq!(
        IntrospectionRequest::from_params(&Params::parse_form(r.encode().as_bytes()).unwrap())
            .unwrap(),
        r
    );
    assert_eq!(
        IntrospectionRequest::from_params(&Params::new())
            .unwrap_err()
            .parameter,
        "token"
    );
    // RFC 7662 §2.2 example, plus an extension member.
    let doc = json!({"active": true, "client_id": "l238j323ds-23ij4", "username": "jdoe",
        "scope": "read write dolphin", "sub": "Z5O3upPC88QrAjx00dis", "aud": "https://protected.example.net/resource",
        "iss": "https://server.example.com/", "exp": 1419356238, "iat": 1419350238,
        "extension_field": "twenty-seven"});
    let resp: IntrospectionResponse = same_json(&doc);
    assert!(resp.scope.as_ref().unwrap().contains("dolphin"));
    assert_eq!(
        resp.extra.get("extension_field"),
        Some(&json!("twenty-seven"))
    );
    assert_eq!(
        IntrospectionResponse::inactive().to_json(),
        r#"{"active":false}"#
    );
    let e: introspection::IntrospectionError = TokenError::invalid_client("who are you");
    assert_eq!(e.http_status(), 401);
}

#[test]
fn revocation() {
    let p =
        Params::parse_form(b"token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token").unwrap();
    let r = RevocationRequest::from_params(&p).unwrap();
    assert_eq!(r.token, "45ghiukldjahdnhzdauz");
    assert_eq!(
        RevocationRequest::from_params(&Params::parse_form(r.encode().as_bytes()).unwrap())
            .unwrap(),
        r
    );
    let e = RevocationError::bare(TokenErrorCode::UnsupportedTokenType);
    assert_eq!(e.to_json(), r#"{"error":"unsupported_token_type"}"#);
}

#[test]
fn registration_round_trip_and_defaults() {
    // OIDC Registration §3.1 example request (trimmed), with a language-tagged member.
    let doc = json!({
        "application_type": "web",
        "redirect_uris": ["https://client.example.org/callback", "https://client.example.org/callback2"],
        "client_name": "My Example",
        "client_name#ja-Jpan-JP": "クライアント名",
        "logo_uri": "https://client.example.org/logo.png",
        "subject_type": "pairwise",
        "sector_identifier_uri": "https://other.example.net/file_of_redirect_uris.json",
        "token_endpoint_auth_method": "client_secret_basic",
        "jwks_uri": "https://client.example.org/my_public_keys.jwks",
        "userinfo_encrypted_response_alg": "RSA1_5",
        "userinfo_encrypted_response_enc": "A128CBC-HS256",
        "contacts": ["ve7jtb@example.org", "mary@example.org"],
        "request_uris": ["https://client.example.org/rf.txt#qpXaRLh_n93TTR9F252ValdatUQvQiJi5BDub2BeznA"],
        "default_max_age": 3600,
        "post_logout_redirect_uris": ["https://client.example.org/bye"],
        "backchannel_logout_uri": "https://client.example.org/bc",
        "backchannel_logout_session_required": true
    });
    let m: ClientMetadata = same_json(&doc);
    assert_eq!(
        m.extra.get("client_name#ja-Jpan-JP"),
        Some(&json!("クライアント名"))
    );
    assert_eq!(m.grant_types(), ["authorization_code"]);
    assert_eq!(m.response_types(), ["code"]);
    assert_eq!(m.id_token_signed_response_alg(), "RS256");
    assert!(m.backchannel_logout_session_required());
    assert_eq!(m.validate(), Ok(()));
    assert_eq!(
        ClientMetadata::default().token_endpoint_auth_method(),
        "client_secret_basic"
    );
    assert_eq!(ClientMetadata::default().application_type(), "web");

    let resp = RegistrationResponse {
        client_id: "s6BhdRkqt3".into(),
        client_secret: Some("ZJYCqe3GGRvdrudKyZS0XhGv_Z45DuKhCUk0gBR1vZk".into()),
        client_id_issued_at: Some(2893256800),
        client_secret_expires_at: Some(0),
        registration_access_token: Some("this.is.an.access.token.value.ffx83".into()),
        registration_client_uri: Some(
            "https://server.example.com/connect/register?client_id=s6BhdRkqt3".into(),
        ),
        metadata: m,
    };
    rt(&resp);
    let v = serde_json::to_value(&resp).unwrap();
    assert_eq!(v["client_secret_expires_at"], json!(0));
    assert_eq!(v["client_name#ja-Jpan-JP"], json!("クライアント名"));
}

fn meta(doc: Value) -> ClientMetadata {
    serde_json::from_value(doc).unwrap()
}

#[test]
fn registration_validation_errors() {
    use RegistrationErrorCode::*;
    let cases = [
        (json!({}), InvalidRedirectUri),
        (json!({"redirect_uris": ["/relative"]}), InvalidRedirectUri),
        (
            json!({"redirect_uris": ["https://rp/cb#f"]}),
            InvalidRedirectUri,
        ),
        (
            json!({"redirect_uris": ["http://rp.example.com/cb"], "grant_types": ["implicit"], "response_types": ["id_token"]}),
            InvalidRedirectUri,
        ),
        (
            json!({"redirect_uris": ["http://rp.example.com/cb"], "application_type": "native"}),
            InvalidRedirectUri,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "response_types": ["id_token"]}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["implicit"], "response_types": ["code"]}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "response_types": ["code magic"]}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "token_endpoint_auth_method": "magic"}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "jwks_uri": "https://rp/j", "jwks": {"keys": []}}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "subject_type": "secret"}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "application_type": "tv"}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "logo_uri": "logo.png"}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "scope": "a\"b"}),
            InvalidClientMetadata,
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "post_logout_redirect_uris": ["bye"]}),
            InvalidClientMetadata,
        ),
    ];
    for (doc, code) in cases {
        let e = meta(doc.clone()).validate().unwrap_err();
        assert_eq!(e.error, code, "{doc}: {e}");
        assert!(is_valid_error_text(
            e.error_description.as_deref().unwrap_or("")
        ));
        assert_eq!(e.http_status(), 400);
        rt(&e);
    }
    // Accepted shapes.
    for doc in [
        json!({"grant_types": ["client_credentials"], "response_types": [], "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []}}),
        json!({"redirect_uris": ["http://127.0.0.1:8765/cb", "com.example.app:/cb"], "application_type": "native", "token_endpoint_auth_method": "none"}),
        json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["authorization_code", "implicit", "refresh_token"], "response_types": ["code", "code id_token", "id_token"]}),
    ] {
        assert_eq!(meta(doc.clone()).validate(), Ok(()), "{doc}");
    }
    let e = ClientMetadata::from_json(br#"{"redirect_uris": "https://rp/cb"}"#).unwrap_err();
    assert_eq!(e.error, InvalidClientMetadata);
    assert_eq!(
        serde_json::to_string(&RegistrationError::invalid_redirect_uri("bad")).unwrap(),
        r#"{"error":"invalid_redirect_uri","error_description":"bad"}"#
    );
}

#[test]
fn logout_messages() {
    let p = Params::parse_query(
        "id_token_hint=eyJ.e30.s&logout_hint=jane&client_id=c1&post_logout_redirect_uri=https%3A%2F%2Frp%2Fbye&state=xyz&ui_locales=de%20en&x=1",
    )
    .unwrap();
    let r = EndSessionRequest::from_params(&p).unwrap();
    assert_eq!(r.ui_locales, ["de", "en"]);
    assert_eq!(r.extra.get("x").map(String::as_str), Some("1"));
    let url = r.to_url("https://op.example.com/logout");
    let back = EndSessionRequest::from_params(
        &Params::parse_query(url.split_once('?').unwrap().1).unwrap(),
    )
    .unwrap();
    assert_eq!(back, r);
    assert_eq!(
        r.post_logout_redirect().as_deref(),
        Some("https://rp/bye?state=xyz")
    );
    assert!(
        EndSessionRequest::from_params(
            &Params::parse_query("post_logout_redirect_uri=bye").unwrap()
        )
        .is_err()
    );
    assert_eq!(
        EndSessionRequest::from_params(&Params::new()).unwrap(),
        EndSessionRequest::default()
    );

    let b = BackchannelLogoutRequest {
        logout_token: "eyJhbGci.eyJpc3Mi.sig".into(),
    };
    assert_eq!(
        BackchannelLogoutRequest::from_params(&Params::parse_form(b.encode().as_bytes()).unwrap())
            .unwrap(),
        b
    );
    assert_eq!(
        BackchannelLogoutRequest::from_params(&Params::new())
            .unwrap_err()
            .parameter,
        "logout_token"
    );

    // Front-Channel Logout §2 example.
    let f = FrontchannelLogoutNotification {
        iss: Some("https://server.example.com".into()),
        sid: Some("08a5019c-17e1-4977-8f42-65a12843ea02".into()),
    };
    let url = f.to_url("https://rp.example.org/frontchannel_logout?tenant=1");
    assert_eq!(
        url,
        "https://rp.example.org/frontchannel_logout?tenant=1&iss=https%3A%2F%2Fserver.example.com&sid=08a5019c-17e1-4977-8f42-65a12843ea02"
    );
    let back = FrontchannelLogoutNotification::from_params(
        &Params::parse_query(url.split_once('?').unwrap().1).unwrap(),
    )
    .unwrap();
    assert_eq!(back, f);
    assert!(
        FrontchannelLogoutNotification::from_params(&Params::parse_query("iss=x").unwrap())
            .is_err()
    );
}

#[test]
fn jwk_kinds_round_trip() {
    let set = JwkSet::new(vec![
        Jwk::rsa("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw", "AQAB")
            .with_kid("rsa1").with_alg("RS256").with_use("sig"),
        Jwk::ec_p256("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0").with_kid("ec1"),
        Jwk::ed25519("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").with_kid("ed1"),
    ]);
    rt(&set);
    let v = serde_json::to_value(&set).unwrap();
    assert_eq!(v["keys"][0]["kty"], json!("RSA"));
    assert_eq!(v["keys"][1]["crv"], json!("P-256"));
    assert_eq!(v["keys"][2]["kty"], json!("OKP"));
    assert_eq!(set.find("ec1").unwrap().kty(), "EC");
    assert_eq!(set.candidates(Some("ed1"), "EdDSA").count(), 1);
    assert_eq!(set.candidates(None, "RS256").count(), 1);
    assert_eq!(set.candidates(None, "ES256").count(), 1);
    assert_eq!(set.candidates(Some("rsa1"), "ES256").count(), 0);
    // RFC 7638 §3.1 thumbprint input of the RFC 7517 key.
    assert!(
        set.keys[0]
            .thumbprint_input()
            .unwrap()
            .starts_with("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7")
    );
    // Unknown members survive.
    let doc = json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "x5t#S256": "t", "kid": "k"}], "meta": 1});
    let s: JwkSet = same_json(&doc);
    assert_eq!(s.keys[0].extra.get("x5t#S256"), Some(&json!("t")));
}

#[test]
fn scope_and_enums_serde() {
    rt(&Scope::parse("openid read:records").unwrap());
    rt(&PromptSet::parse("login consent").unwrap());
    assert_eq!(
        serde_json::to_string(&Prompt::SelectAccount).unwrap(),
        "\"select_account\""
    );
    assert_eq!(
        serde_json::to_string(&CodeChallengeMethod::S256).unwrap(),
        "\"S256\""
    );
    assert_eq!(
        serde_json::to_string(&ResponseMode::FormPost).unwrap(),
        "\"form_post\""
    );
    assert_eq!(serde_json::to_string(&Display::Touch).unwrap(), "\"touch\"");
    assert!(serde_json::from_str::<PromptSet>("\"none login\"").is_err());
    assert_eq!(
        "S256".parse::<CodeChallengeMethod>().unwrap(),
        CodeChallengeMethod::S256
    );
    assert_eq!(
        "s256".parse::<CodeChallengeMethod>().unwrap_err().found,
        "s256"
    );
    rt(&Audience(vec!["a".into(), "b".into()]));
    rt(&AuthorizationError::new(AuthErrorCode::ConsentRequired, "x").with_state(Some("s")));
    rt(&AuthorizationResponse::code(
        "c",
        Some("s".into()),
        Some("https://op".into()),
    ));
}

#[test]
fn error_responses_keep_unknown_members() {
    let doc = json!({"error": "invalid_grant", "error_description": "expired", "trace_id": "abc", "retry": 3});
    let e: TokenError = same_json(&doc);
    assert_eq!(e.extra.get("trace_id"), Some(&json!("abc")));
    let doc = json!({"error": "invalid_client_metadata", "vendor_hint": {"field": "logo_uri"}});
    let _: RegistrationError = same_json(&doc);
    let doc = json!({"error": "invalid_token", "error_description": "gone", "x": 1});
    let _: UserinfoErrorResponse = same_json(&doc);
    let p = Params::parse_query(
        "error=access_denied&state=s&session_state=abc.def&iss=https%3A%2F%2Fop",
    )
    .unwrap();
    let a = AuthorizationError::from_params(&p).unwrap().unwrap();
    assert_eq!(
        a.extra.get("session_state").map(String::as_str),
        Some("abc.def")
    );
    assert_eq!(Params::parse_query(&a.encode()).unwrap(), p);
}
