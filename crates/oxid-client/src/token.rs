//! Token endpoint calls (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6) with client authentication,
//! and the parsing of their answers (§5.1, §5.2).

use oxid_protocol::token::{TokenError, TokenRequest, TokenResponse};

use crate::client_auth::ClientAuth;
use crate::error::ClientError;
use crate::http::{HttpClient, HttpResponse};

/// Where and as whom to call an endpoint that authenticates clients.
#[derive(Debug, Clone, Copy)]
pub struct EndpointCall<'a> {
    /// The endpoint URL.
    pub endpoint: &'a str,
    /// The assertion audience (the token endpoint URL, OIDC Core §9).
    pub audience: &'a str,
    /// The client identifier.
    pub client_id: &'a str,
    /// The client authentication method.
    pub auth: &'a ClientAuth,
    /// Now, for assertions.
    pub now: u64,
}

/// POSTs `form` to an endpoint with the client's authentication added.
pub async fn post_authenticated(
    http: &HttpClient,
    call: EndpointCall<'_>,
    mut form: Vec<(String, String)>,
) -> Result<HttpResponse, ClientError> {
    let mut headers = Vec::new();
    call.auth.apply(
        call.client_id,
        call.audience,
        call.now,
        &mut form,
        &mut headers,
    )?;
    http.post_form(call.endpoint, &form, &headers).await
}

/// Sends a token request and reads the answer: a [`TokenResponse`] on success, the
/// provider's [`TokenError`] as [`ClientError::Token`] when it sent one.
pub async fn request_token(
    http: &HttpClient,
    call: EndpointCall<'_>,
    request: &TokenRequest,
    extra: &[(String, String)],
) -> Result<TokenResponse, ClientError> {
    let mut form = request.to_form_pairs();
    form.extend(extra.iter().cloned());
    let response = post_authenticated(http, call, form).await?;
    parse_token_response(&response)
}

/// Reads a token endpoint answer (RFC 6749 §5.1 / §5.2).
pub fn parse_token_response(response: &HttpResponse) -> Result<TokenResponse, ClientError> {
    let invalid = |detail: String| ClientError::InvalidResponse {
        url: response.url.clone(),
        detail,
    };
    if !(200..300).contains(&response.status) {
        return Err(match serde_json::from_slice::<TokenError>(&response.body) {
            Ok(error) => ClientError::Token(error),
            Err(_) => ClientError::Status {
                url: response.url.clone(),
                status: response.status,
                body: response.body_excerpt(),
            },
        });
    }
    let object = response.json_object()?;
    let token: TokenResponse = serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| invalid(format!("not a token response: {e}")))?;
    if token.access_token.is_empty() {
        return Err(invalid("empty access_token".into()));
    }
    // RFC 6749 §7.1: a client must not use a token whose type it does not understand.
    if !token.is_bearer() {
        return Err(invalid(format!(
            "token_type {:?} is not Bearer",
            token.token_type
        )));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxid_protocol::token::TokenErrorCode;
    use reqwest::header::HeaderMap;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            url: "https://op.example/token".into(),
            status,
            content_type: "application/json".into(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn success_is_parsed_rfc6749_5_1() {
        let t = parse_token_response(&response(
            200,
            r#"{"access_token":"at","token_type":"bearer","expires_in":"60","refresh_token":"rt","x":1}"#,
        ))
        .unwrap();
        assert_eq!(t.access_token, "at");
        assert_eq!(t.expires_in, Some(60));
        assert_eq!(t.refresh_token.as_deref(), Some("rt"));
    }

    #[test]
    fn error_is_the_protocol_error_rfc6749_5_2() {
        match parse_token_response(&response(
            400,
            r#"{"error":"invalid_grant","error_description":"used"}"#,
        )) {
            Err(ClientError::Token(e)) => assert_eq!(e.error, TokenErrorCode::InvalidGrant),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            parse_token_response(&response(502, "<html>bad gateway</html>")),
            Err(ClientError::Status { status: 502, .. })
        ));
    }

    #[test]
    fn hostile_success_bodies_are_errors() {
        for body in [
            "",
            "[]",
            "null",
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":"","token_type":"Bearer"}"#,
            r#"{"access_token":"a","token_type":"MAC"}"#,
            r#"{"access_token":5,"token_type":"Bearer"}"#,
        ] {
            assert!(
                parse_token_response(&response(200, body)).is_err(),
                "{body}"
            );
        }
    }
}
