//! Authorization requests from parameters: every parameter, typed `invalid_request` errors
//! that name the parameter, request objects and authorization responses (RFC 6749 §3.1,
//! §4.1.2.1; OIDC Core §3.1.2.1, §3.1.2.6). Token requests are in `token_requests.rs`.

use oxid_protocol::authorization::{AuthorizationResult, request_object_to_params};
use oxid_protocol::*;
use serde_json::json;

fn q(s: &str) -> Params {
    Params::parse_query(s).unwrap()
}

const BASE: &str = "response_type=code&client_id=s6BhdRkqt3&redirect_uri=https%3A%2F%2Fclient.example.org%2Fcb&scope=openid%20profile&state=af0ifjsldkj";

#[test]
fn oidc_core_example_request() {
    // OIDC Core §3.1.2.1 non-normative example.
    let r = AuthenticationRequest::from_params(&q(&format!("{BASE}&nonce=n-0S6_WzA2Mj"))).unwrap();
    assert_eq!(r.response_type, ResponseType::CODE);
    assert_eq!(r.client_id, "s6BhdRkqt3");
    assert_eq!(r.redirect_uri, "https://client.example.org/cb");
    assert!(r.scope.is_openid() && r.scope.contains("profile"));
    assert_eq!(r.state.as_deref(), Some("af0ifjsldkj"));
    assert_eq!(r.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(r.effective_response_mode(), ResponseMode::Query);
}

#[test]
fn every_parameter_round_trips() {
    let claims = json!({"userinfo": {"email": {"essential": true}}, "id_token": {"auth_time": {"essential": true}}});
    let p = Params::from_pairs([
        ("response_type", "id_token code"),
        ("client_id", "c1"),
        ("redirect_uri", "https://rp.example.com/cb?x=1"),
        ("scope", "openid email read:records"),
        ("state", "st"),
        ("response_mode", "form_post"),
        ("nonce", "no"),
        ("display", "popup"),
        ("prompt", "login consent"),
        ("max_age", "3600"),
        ("ui_locales", "fr-CA fr en"),
        ("claims_locales", "de en"),
        ("id_token_hint", "eyJ.e30.x"),
        ("login_hint", "user@example.com"),
        ("acr_values", "urn:a urn:b"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("claims", &claims.to_string()),
        ("resource", "https://api.example.com/"),
        ("custom_param", "kept"),
    ])
    .unwrap();
    let r = AuthenticationRequest::from_params(&p).unwrap();
    assert_eq!(r.response_type, ResponseType::CODE_ID_TOKEN);
    assert_eq!(r.response_type.to_string(), "code id_token");
    assert_eq!(r.response_mode, Some(ResponseMode::FormPost));
    assert_eq!(r.display, vec![Display::Popup]);
    assert!(r.prompt.contains(Prompt::Login) && r.prompt.contains(Prompt::Consent));
    assert_eq!(r.max_age, Some(3600));
    assert_eq!(r.ui_locales, ["fr-CA", "fr", "en"]);
    assert_eq!(r.claims_locales, ["de", "en"]);
    assert_eq!(r.acr_values, ["urn:a", "urn:b"]);
    assert_eq!(r.code_challenge_method, Some(CodeChallengeMethod::S256));
    assert_eq!(
        r.effective_code_challenge_method(),
        Some(CodeChallengeMethod::S256)
    );
    assert_eq!(r.claims, Some(claims));
    assert_eq!(r.resource.as_deref(), Some("https://api.example.com/"));
    assert_eq!(
        r.extra.get("custom_param").map(String::as_str),
        Some("kept")
    );

    // Encode and decode again: identical.
    let again =
        AuthenticationRequest::from_params(&Params::parse_query(&r.encode()).unwrap()).unwrap();
    assert_eq!(again, r);
    let url = r.to_url("https://op.example.com/authorize?tenant=a");
    assert!(
        url.starts_with("https://op.example.com/authorize?tenant=a&response_type=code+id_token&")
    );
    let query = url.split_once('?').unwrap().1;
    let parsed = Params::parse_query(query).unwrap();
    assert_eq!(parsed.get("tenant"), Some("a"));
    assert_eq!(parsed.get("prompt"), Some("login consent"));
}

#[test]
fn response_type_is_order_insensitive() {
    for (s, want) in [
        ("code", ResponseType::CODE),
        ("token id_token", ResponseType::ID_TOKEN_TOKEN),
        ("id_token token", ResponseType::ID_TOKEN_TOKEN),
        ("token code id_token", ResponseType::CODE_ID_TOKEN_TOKEN),
        ("none", ResponseType::NONE),
    ] {
        assert_eq!(ResponseType::parse(s).unwrap(), want, "{s}");
    }
    assert_eq!(
        ResponseType::CODE_ID_TOKEN_TOKEN.to_string(),
        "code id_token token"
    );
    assert!(ResponseType::parse("code code").is_err());
    assert!(ResponseType::parse("none code").is_err());
    assert!(ResponseType::parse("").is_err());
    assert!(ResponseType::parse("device_code").is_err());
    assert_eq!(
        ResponseType::ID_TOKEN.default_response_mode(),
        ResponseMode::Fragment
    );
    assert_eq!(
        serde_json::to_string(&ResponseType::CODE_TOKEN).unwrap(),
        "\"code token\""
    );
}

fn auth_err(query: &str) -> AuthorizationError {
    AuthenticationRequest::from_params(&q(query)).unwrap_err()
}

#[test]
fn authorization_errors_are_typed_and_keep_state() {
    let e = auth_err("client_id=c&redirect_uri=https://rp/cb&state=s1");
    assert_eq!(e.error, AuthErrorCode::InvalidRequest);
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("response_type")
    );
    assert_eq!(e.state.as_deref(), Some("s1"));

    let e = auth_err("response_type=code%20device&client_id=c&redirect_uri=https://rp/cb");
    assert_eq!(e.error, AuthErrorCode::UnsupportedResponseType);

    let e = auth_err("response_type=code&redirect_uri=https://rp/cb");
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("client_id")
    );

    let e = auth_err("response_type=code&client_id=c");
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("redirect_uri")
    );

    let e = auth_err("response_type=code&client_id=c&redirect_uri=/relative");
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("redirect_uri")
    );
    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb%23frag");
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("redirect_uri")
    );

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=open%22id");
    assert_eq!(e.error, AuthErrorCode::InvalidScope);

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&prompt=none%20login",
    );
    assert_eq!(e.error, AuthErrorCode::InvalidRequest);
    assert!(e.error_description.as_deref().unwrap().contains("prompt"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&prompt=maybe",
    );
    assert!(e.error_description.as_deref().unwrap().contains("prompt"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&max_age=-1",
    );
    assert!(e.error_description.as_deref().unwrap().contains("max_age"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&response_mode=jwt",
    );
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("response_mode")
    );

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&display=tv",
    );
    assert!(e.error_description.as_deref().unwrap().contains("display"));

    let e = auth_err("response_type=id_token&client_id=c&redirect_uri=https://rp/cb&scope=openid");
    assert!(e.error_description.as_deref().unwrap().contains("nonce"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&code_challenge=short",
    );
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("code_challenge")
    );
    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&code_challenge_method=S512&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("code_challenge_method")
    );

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&claims=%5B1%5D",
    );
    assert!(e.error_description.as_deref().unwrap().contains("claims"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&request=a.b.c&request_uri=https://rp/r",
    );
    assert!(e.error_description.as_deref().unwrap().contains("request"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&resource=api",
    );
    assert!(e.error_description.as_deref().unwrap().contains("resource"));

    // Every description is within RFC 6749 §5.2's characters.
    let e = auth_err("response_type=%22%5C%C3%A9&client_id=c&redirect_uri=https://rp/cb");
    assert!(is_valid_error_text(e.error_description.as_deref().unwrap()));
}

#[test]
fn repeated_or_malformed_parameters_become_invalid_request_naming_them() {
    for (query, name) in [
        ("response_type=code&client_id=a&client_id=b", "client_id"),
        ("scope=openid&scope=openid", "scope"),
        ("state=%ZZ", "state"),
        ("nonce=%C3%28", "nonce"),
        ("redirect_uri=%", "redirect_uri"),
    ] {
        let e = Params::parse_query(query).unwrap_err();
        assert_eq!(e.parameter, name);
        let a: AuthorizationError = e.clone().into();
        assert_eq!(a.error, AuthErrorCode::InvalidRequest);
        assert!(a.error_description.unwrap().contains(name));
        let t: TokenError = e.into();
        assert_eq!(t.error, TokenErrorCode::InvalidRequest);
        assert!(t.error_description.unwrap().contains(name));
    }
}

#[test]
fn pkce_plain_is_the_default_method() {
    let r = AuthenticationRequest::from_params(&q(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&code_challenge=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    ))
    .unwrap();
    assert_eq!(r.code_challenge_method, None);
    assert_eq!(
        r.effective_code_challenge_method(),
        Some(CodeChallengeMethod::Plain)
    );
    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&scope=openid&code_challenge_method=S256",
    );
    assert!(e.error_description.unwrap().contains("code_challenge"));
}

#[test]
fn request_object_claims_become_params() {
    let claims = json!({"response_type": "code", "client_id": "c", "redirect_uri": "https://rp/cb",
        "scope": "openid", "max_age": 60, "claims": {"id_token": {"acr": null}}, "nonce": null});
    let p = request_object_to_params(claims.as_object().unwrap());
    let r = AuthenticationRequest::from_params(&p).unwrap();
    assert_eq!(r.max_age, Some(60));
    assert_eq!(r.claims, Some(json!({"id_token": {"acr": null}})));
    assert_eq!(r.nonce, None);
}

#[test]
fn authorization_responses() {
    // RFC 6749 §4.1.2 example plus RFC 9207 iss.
    let p = q("code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fop.example.com");
    match AuthorizationResult::from_params(&p).unwrap() {
        AuthorizationResult::Success(s) => {
            assert_eq!(s.code.as_deref(), Some("SplxlOBeZQQYbYS6WxSbIA"));
            assert_eq!(s.iss.as_deref(), Some("https://op.example.com"));
            let url = s.redirect_url("https://client.example.com/cb", ResponseMode::Query);
            assert_eq!(
                url,
                "https://client.example.com/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss=https%3A%2F%2Fop.example.com"
            );
            assert_eq!(
                AuthorizationResponse::from_params(&q(&s.encode())).unwrap(),
                s
            );
        }
        other => panic!("{other:?}"),
    }
    let e = AuthorizationError::new(AuthErrorCode::LoginRequired, "log in \"first\"")
        .with_state(Some("xyz"))
        .with_iss("https://op.example.com");
    assert_eq!(e.error_description.as_deref(), Some("log in 'first'"));
    let frag = e.redirect_url("https://client.example.com/cb", ResponseMode::Fragment);
    assert!(frag.starts_with("https://client.example.com/cb#error=login_required&"));
    let back = AuthorizationResult::from_params(&q(frag.split_once('#').unwrap().1)).unwrap();
    assert_eq!(back, AuthorizationResult::Error(e.clone()));
    assert_eq!(back.state(), Some("xyz"));
    assert!(e.is_redirectable());
    assert!(!AuthorizationError::bare(AuthErrorCode::InvalidClient).is_redirectable());
    assert!(AuthorizationResult::from_params(&q("error=made_up")).is_err());
    // The error enum holds exactly the issue's codes, and RFC 8707 §2's invalid_target.
    let codes: Vec<&str> = AuthErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "access_denied",
            "account_selection_required",
            "consent_required",
            "interaction_required",
            "invalid_request",
            "invalid_request_object",
            "invalid_request_uri",
            "invalid_scope",
            "invalid_target",
            "login_required",
            "registration_not_supported",
            "request_not_supported",
            "request_uri_not_supported",
            "server_error",
            "temporarily_unavailable",
            "unauthorized_client",
            "unsupported_response_type",
            "invalid_client"
        ]
    );
}

#[test]
fn authentication_request_serde_for_storage() {
    let r = AuthenticationRequest::from_params(&q(&format!(
        "{BASE}&nonce=n&max_age=10&claims=%7B%22userinfo%22%3A%7B%7D%7D&x_extra=1"
    )))
    .unwrap();
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["max_age"], json!("10"));
    assert_eq!(json["x_extra"], json!("1"));
    let back: AuthenticationRequest = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
    // A Request Object's claims (numbers, objects) read the same way.
    let ro: AuthenticationRequest = serde_json::from_value(json!({
        "response_type": "code", "client_id": "c", "redirect_uri": "https://rp/cb", "max_age": 10,
        "scope": "openid", "claims": {"userinfo": {}}
    }))
    .unwrap();
    assert_eq!(ro.max_age, Some(10));
    assert!(serde_json::from_value::<AuthenticationRequest>(json!({"client_id": "c"})).is_err());
    let par: authorization::PushedAuthorizationResponse =
        serde_json::from_value(json!({"request_uri": "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c", "expires_in": 60})).unwrap();
    assert!(
        par.request_uri
            .starts_with(authorization::PAR_REQUEST_URI_PREFIX)
    );
}
