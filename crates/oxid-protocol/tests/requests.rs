//! Authorization and token requests from parameters: every parameter, the per-grant
//! required parameters, and typed `invalid_request` errors that name the parameter
//! (RFC 6749 §3.1, §4.1.2.1, §5.2; OIDC Core §3.1.2.1, §3.1.2.6).

use oxid_protocol::authorization::{AuthorizationResult, request_object_to_params};
use oxid_protocol::token::{ClientAuthMethod, basic_authorization, parse_basic_authorization};
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

    let e =
        auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&prompt=none%20login");
    assert_eq!(e.error, AuthErrorCode::InvalidRequest);
    assert!(e.error_description.as_deref().unwrap().contains("prompt"));

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&prompt=maybe");
    assert!(e.error_description.as_deref().unwrap().contains("prompt"));

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&max_age=-1");
    assert!(e.error_description.as_deref().unwrap().contains("max_age"));

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&response_mode=jwt");
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("response_mode")
    );

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&display=tv");
    assert!(e.error_description.as_deref().unwrap().contains("display"));

    let e = auth_err("response_type=id_token&client_id=c&redirect_uri=https://rp/cb&scope=openid");
    assert!(e.error_description.as_deref().unwrap().contains("nonce"));

    let e =
        auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&code_challenge=short");
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("code_challenge")
    );
    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&code_challenge_method=S512&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    assert!(
        e.error_description
            .as_deref()
            .unwrap()
            .contains("code_challenge_method")
    );

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&claims=%5B1%5D");
    assert!(e.error_description.as_deref().unwrap().contains("claims"));

    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&request=a.b.c&request_uri=https://rp/r",
    );
    assert!(e.error_description.as_deref().unwrap().contains("request"));

    let e = auth_err("response_type=code&client_id=c&redirect_uri=https://rp/cb&resource=api");
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
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&code_challenge=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    ))
    .unwrap();
    assert_eq!(r.code_challenge_method, None);
    assert_eq!(
        r.effective_code_challenge_method(),
        Some(CodeChallengeMethod::Plain)
    );
    let e = auth_err(
        "response_type=code&client_id=c&redirect_uri=https://rp/cb&code_challenge_method=S256",
    );
    assert!(e.error_description.unwrap().contains("code_challenge"));
}

#[test]
fn request_object_claims_become_params() {
    let claims = json!({"response_type": "code", "client_id": "c", "redirect_uri": "https://rp/cb",
        "max_age": 60, "claims": {"id_token": {"acr": null}}, "nonce": null});
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
    // The error enum holds exactly the issue's codes.
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

fn form(s: &str) -> Params {
    Params::parse_form(s.as_bytes()).unwrap()
}

fn token_err(s: &str) -> TokenError {
    TokenRequest::from_params(&form(s)).unwrap_err()
}

#[test]
fn token_requests_per_grant() {
    // RFC 6749 §4.1.3 example.
    let r = TokenRequest::from_params(&form(
        "grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fclient%2Eexample%2Ecom%2Fcb",
    ))
    .unwrap();
    assert_eq!(
        r,
        TokenRequest::AuthorizationCode {
            code: "SplxlOBeZQQYbYS6WxSbIA".into(),
            redirect_uri: "https://client.example.com/cb".into(),
            code_verifier: None
        }
    );
    let cases = [
        "grant_type=authorization_code&code=c&redirect_uri=https%3A%2F%2Frp%2Fcb&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "grant_type=refresh_token&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA&scope=openid",
        "grant_type=client_credentials&scope=read%3Arecords",
        "grant_type=client_credentials",
        "grant_type=password&username=johndoe&password=A3ddj3w",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ.e30.sig",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=abc&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&audience=api&actor_token=x&actor_token_type=urn%3Ax",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Asaml2-bearer&assertion=PHNhbWw",
    ];
    for c in cases {
        let r = TokenRequest::from_params(&form(c)).unwrap();
        // Encode and decode: identical.
        let again = TokenRequest::from_params(&form(&r.encode())).unwrap();
        assert_eq!(again, r, "{c}");
        assert_eq!(form(c).get("grant_type"), Some(r.grant_type()));
    }
    match TokenRequest::from_params(&form(cases[8])).unwrap() {
        TokenRequest::Other { grant_type, params } => {
            assert_eq!(grant_type, "urn:ietf:params:oauth:grant-type:saml2-bearer");
            assert_eq!(params.get("assertion"), Some("PHNhbWw"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        TokenRequest::from_params(&form(cases[1]))
            .unwrap()
            .scope()
            .map(|s| s.to_string())
            .as_deref(),
        Some("openid")
    );
}

#[test]
fn token_request_required_parameters() {
    for (body, missing) in [
        ("code=x", "grant_type"),
        (
            "grant_type=authorization_code&redirect_uri=https%3A%2F%2Frp",
            "code",
        ),
        ("grant_type=authorization_code&code=x", "redirect_uri"),
        ("grant_type=refresh_token", "refresh_token"),
        ("grant_type=password&password=p", "username"),
        ("grant_type=password&username=u", "password"),
        (
            "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion",
        ),
        (
            "grant_type=urn:ietf:params:oauth:grant-type:device_code",
            "device_code",
        ),
        (
            "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token_type=t",
            "subject_token",
        ),
        (
            "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=t",
            "subject_token_type",
        ),
        (
            "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=t&subject_token_type=t&actor_token=a",
            "actor_token_type",
        ),
        (
            "grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Frp&code_verifier=short",
            "code_verifier",
        ),
    ] {
        let e = token_err(body);
        assert_eq!(e.error, TokenErrorCode::InvalidRequest, "{body}");
        assert!(
            e.error_description.as_deref().unwrap().contains(missing),
            "{body}: {e:?}"
        );
        assert_eq!(e.http_status(), 400);
    }
    let e = token_err("grant_type=client_credentials&scope=a%5Cb");
    assert_eq!(e.error, TokenErrorCode::InvalidScope);
}

#[test]
fn client_authentication_parameters() {
    let p = form(
        "grant_type=client_credentials&client_id=s6BhdRkqt3&client_secret=7Fjfp0ZBr1KtDRbnfVdmIw",
    );
    let c = ClientAuthParams::from_params(&p).unwrap();
    assert_eq!(c.client_id.as_deref(), Some("s6BhdRkqt3"));
    assert_eq!(c.method(false).unwrap(), ClientAuthMethod::ClientSecretPost);
    assert_eq!(
        c.method(true).unwrap_err().error,
        TokenErrorCode::InvalidRequest
    );
    let c = ClientAuthParams::from_params(&form(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJ.e30.s",
    ))
    .unwrap();
    assert_eq!(c.method(false).unwrap(), ClientAuthMethod::JwtAssertion);
    assert_eq!(
        ClientAuthParams::default().method(true).unwrap(),
        ClientAuthMethod::ClientSecretBasic
    );
    assert_eq!(
        ClientAuthParams::default().method(false).unwrap(),
        ClientAuthMethod::None
    );
    assert!(ClientAuthParams::from_params(&form("client_assertion=x")).is_err());
    assert_eq!(
        ClientAuthParams::from_params(&form("client_assertion=x&client_assertion_type=urn:other"))
            .unwrap_err()
            .error,
        TokenErrorCode::InvalidClient
    );
    // RFC 6749 §2.3.1 example header.
    assert_eq!(
        parse_basic_authorization("Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3").unwrap(),
        (
            "s6BhdRkqt3".to_string(),
            "7Fjfp0ZBr1KtDRbnfVdmIw".to_string()
        )
    );
    assert_eq!(
        basic_authorization("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
        "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3"
    );
}

#[test]
fn token_errors_and_statuses() {
    use TokenErrorCode::*;
    for (code, status) in [
        (InvalidRequest, 400),
        (InvalidClient, 401),
        (InvalidGrant, 400),
        (UnauthorizedClient, 400),
        (UnsupportedGrantType, 400),
        (InvalidScope, 400),
        (AuthorizationPending, 400),
        (SlowDown, 400),
        (ExpiredToken, 400),
        (AccessDenied, 400),
    ] {
        let e = TokenError::bare(code);
        assert_eq!(e.http_status(), status);
        let json = e.to_json();
        assert_eq!(serde_json::from_str::<TokenError>(&json).unwrap(), e);
    }
    let e = TokenError::invalid_client("bad secret");
    assert_eq!(
        e.www_authenticate("oxid").as_deref(),
        Some("Basic realm=\"oxid\"")
    );
    assert_eq!(
        TokenError::invalid_grant("x").www_authenticate("oxid"),
        None
    );
    // RFC 6749 §5.2 example.
    let e: TokenError = serde_json::from_str(r#"{"error":"invalid_request"}"#).unwrap();
    assert_eq!(e, TokenError::bare(InvalidRequest));
    assert!(serde_json::from_str::<TokenError>(r#"{"error":"nope"}"#).is_err());
    let e = TokenError::new(InvalidGrant, "bad \\ \"code\"\n");
    assert!(is_valid_error_text(e.error_description.as_deref().unwrap()));
}

#[test]
fn token_response_json() {
    // RFC 6749 §5.1 example with OIDC id_token and an extra member.
    let body = r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600,
        "refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value","id_token":"a.b.c",
        "scope":"openid email","refresh_expires_in":86400}"#;
    let r: TokenResponse = serde_json::from_str(body).unwrap();
    assert_eq!(r.expires_in, Some(3600));
    assert_eq!(r.refresh_expires_in, Some(86400));
    assert_eq!(
        r.extra.get("example_parameter"),
        Some(&json!("example_value"))
    );
    assert!(r.scope.as_ref().unwrap().contains("email"));
    let out: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(
        out,
        serde_json::from_str::<serde_json::Value>(body).unwrap()
    );
    assert_eq!(out["expires_in"], json!(3600), "integers as JSON numbers");
    // Lenient: expires_in as a string.
    let r: TokenResponse =
        serde_json::from_str(r#"{"access_token":"a","token_type":"Bearer","expires_in":"60"}"#)
            .unwrap();
    assert_eq!(r.expires_in, Some(60));
    assert!(r.is_bearer());
    assert!(serde_json::from_str::<TokenResponse>(r#"{"token_type":"Bearer"}"#).is_err());
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
        "claims": {"userinfo": {}}
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

#[test]
fn device_authorization() {
    use oxid_protocol::device::*;
    let r =
        DeviceAuthorizationRequest::from_params(&form("client_id=1406020730&scope=example_scope"))
            .unwrap();
    assert_eq!(
        DeviceAuthorizationRequest::from_params(&form(&r.encode())).unwrap(),
        r
    );
    // RFC 8628 §3.2 example.
    let doc = json!({"device_code": "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS", "user_code": "WDJB-MJHT",
        "verification_uri": "https://example.com/device", "verification_uri_complete": "https://example.com/device?user_code=WDJB-MJHT",
        "expires_in": 1800, "interval": 5});
    let resp: DeviceAuthorizationResponse = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(serde_json::to_value(&resp).unwrap(), doc);
    assert_eq!(resp.interval(), 5);
}
