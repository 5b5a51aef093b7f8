//! Token and device authorization requests from parameters: the per-grant required
//! parameters, client authentication, typed errors and the token response (RFC 6749 §2.3,
//! §4.1.3, §5, §6; RFC 8628 §3.1-§3.2).

use oxid_protocol::token::{ClientAuthMethod, basic_authorization, parse_basic_authorization};
use oxid_protocol::*;
use serde_json::json;

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
            code_verifier: None,
            extra: Default::default(),
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

/// Seed 004's `TokenRequest` has `extra='allow'`: a typed grant keeps the parameters it does
/// not type (RFC 8707 §2.2 `resource`, `audience`), reads them back and sends them; client
/// authentication parameters are never among them (RFC 6749 §2.3.1).
#[test]
fn typed_grants_keep_extra_parameters_seed004() {
    let body = "grant_type=client_credentials&scope=read%3Arecords&resource=https%3A%2F%2Fapi.example.com%2F&audience=records&client_id=c&client_secret=s";
    let r = TokenRequest::from_params(&form(body)).unwrap();
    let extra = r.extra().unwrap();
    assert_eq!(
        extra.iter().collect::<Vec<_>>(),
        [
            (
                &"resource".to_string(),
                &"https://api.example.com/".to_string()
            ),
            (&"audience".to_string(), &"records".to_string())
        ]
    );
    assert_eq!(TokenRequest::from_params(&form(&r.encode())).unwrap(), r);
    assert!(!r.encode().contains("client_secret"));

    // A client builds one through the type.
    let built = TokenRequest::AuthorizationCode {
        code: "c".into(),
        redirect_uri: "https://rp/cb".into(),
        code_verifier: None,
        extra: Default::default(),
    }
    .with_param("resource", "https://api.example.com/")
    // Named like a typed parameter or client authentication: never sent twice or at all.
    .with_param("code", "other")
    .with_param("client_secret", "leak");
    let sent = form(&built.encode());
    assert_eq!(sent.get("resource"), Some("https://api.example.com/"));
    assert_eq!(sent.get("code"), Some("c"));
    assert_eq!(sent.get("client_secret"), None);

    // The grant with no typed fields keeps everything in `params`.
    let other = TokenRequest::from_params(&form("grant_type=urn%3Ax&a=1"))
        .unwrap()
        .with_param("resource", "https://api.example.com/");
    assert_eq!(other.extra(), None);
    assert_eq!(
        form(&other.encode()).get("resource"),
        Some("https://api.example.com/")
    );
}
