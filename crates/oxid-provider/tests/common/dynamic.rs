//! A client of the registration endpoint (RFC 7591 §3) and of the client configuration
//! endpoint (RFC 7592 §2), as the conformance suite's Dynamic plan and RP libraries use them.

use super::*;

/// A provider with open registration and a certification run's settings (no forced PKCE).
pub async fn open_registration_server() -> TestServer {
    TestServer::start_with(|s| {
        s.require_pkce = false;
        s.registration = oxid_provider::config::RegistrationMode::Open;
    })
    .await
}

/// One answer of the registration or configuration endpoint.
pub struct RegistrationAnswer {
    pub status: u16,
    pub cache_control: String,
    pub www_authenticate: String,
    pub body: Value,
}

/// Sends `request` with an optional Bearer token and reads the answer.
pub async fn registration_call(
    request: reqwest::RequestBuilder,
    bearer: Option<&str>,
) -> RegistrationAnswer {
    let request = match bearer {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.unwrap();
    let cache_control = header(&response, "cache-control");
    let www_authenticate = header(&response, "www-authenticate");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    // Not every answer is JSON (a 404 is a short text), so a non-JSON body is kept as text.
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    RegistrationAnswer {
        status,
        cache_control,
        www_authenticate,
        body,
    }
}

/// `POST /register` with `metadata` and an optional initial access token.
pub async fn register(
    server: &TestServer,
    bearer: Option<&str>,
    metadata: &Value,
) -> RegistrationAnswer {
    let request = reqwest::Client::new()
        .post(server.url("/register"))
        .json(metadata);
    registration_call(request, bearer).await
}

/// Registers `metadata`, which must be accepted (201), and returns the client information.
pub async fn register_ok(server: &TestServer, metadata: &Value) -> Value {
    let answer = register(server, None, metadata).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.cache_control, "no-store", "RFC 7591 §3.2.1");
    answer.body
}

/// Registers `metadata`, which must be refused with `error` (RFC 7591 §3.2.2: 400 JSON).
pub async fn register_refused(server: &TestServer, metadata: &Value, error: &str) -> String {
    let answer = register(server, None, metadata).await;
    assert_eq!(answer.status, 400, "{metadata} gave {}", answer.body);
    assert_eq!(answer.body["error"], error, "{}", answer.body);
    let description = answer.body["error_description"]
        .as_str()
        .unwrap_or_default();
    assert!(valid_error_text(description), "{description}");
    description.to_string()
}

/// The suite's relying party for a client registered dynamically with `metadata` (plus the
/// suite's redirect URI when none is given).
pub async fn dynamic_rp<'a>(server: &'a TestServer, mut metadata: Value) -> (Rp<'a>, Value) {
    if metadata.get("redirect_uris").is_none() {
        metadata["redirect_uris"] = json!([REDIRECT]);
    }
    let info = register_ok(server, &metadata).await;
    (registered_rp(server, &info), info)
}

/// The suite's relying party for the client of a client information response `info`.
pub fn registered_rp<'a>(server: &'a TestServer, info: &Value) -> Rp<'a> {
    Rp {
        server,
        client_id: info["client_id"].as_str().unwrap().to_string(),
        secret: info["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        browser: server.browser(),
    }
}

/// The stored record of client `client_id`, which must exist.
pub async fn stored_client(server: &TestServer, client_id: &str) -> oxid_store::ClientRecord {
    let store = server.provider.store();
    store
        .get_client(client_id)
        .await
        .unwrap()
        .expect("a stored client")
}
