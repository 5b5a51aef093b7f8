//! The other endpoints a relying party calls: UserInfo (OIDC Core §5.3, JSON or signed JWT),
//! introspection (RFC 7662), revocation (RFC 7009) and the RP-initiated logout URL
//! (RP-Initiated Logout §2).

use oxid_protocol::introspection::{IntrospectionRequest, IntrospectionResponse};
use oxid_protocol::jose::CompactJws;
use oxid_protocol::logout::EndSessionRequest;
use oxid_protocol::revocation::RevocationRequest;
use oxid_protocol::token::TokenError;
use oxid_protocol::userinfo::{UserinfoErrorResponse, UserinfoResponse};
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::Value;

use crate::error::ClientError;
use crate::http::{HttpClient, HttpResponse};
use crate::id_token::IdTokenExpectations;
use crate::jwks::JwksCache;
use crate::token::{EndpointCall, post_authenticated};

fn invalid(response: &HttpResponse, detail: impl Into<String>) -> ClientError {
    ClientError::InvalidResponse {
        url: response.url.clone(),
        detail: detail.into(),
    }
}

/// Calls the UserInfo endpoint with `access_token`. A signed answer (`application/jwt`) is
/// verified like an ID token and its `iss` / `aud`, when present, must be the issuer and the
/// client (OIDC Core §5.3.2); `expected_sub`, when given, must equal `sub`.
pub async fn userinfo(
    http: &HttpClient,
    endpoint: &str,
    access_token: &str,
    jwks: &JwksCache,
    expect: &IdTokenExpectations<'_>,
    expected_sub: Option<&str>,
    now: u64,
) -> Result<UserinfoResponse, ClientError> {
    let response = http
        .get(
            endpoint,
            "application/json, application/jwt",
            Some(access_token),
        )
        .await?;
    if !(200..300).contains(&response.status) {
        return Err(userinfo_error(&response));
    }
    let claims: Value = if response.content_type == "application/jwt" {
        let text = std::str::from_utf8(&response.body)
            .map_err(|_| invalid(&response, "JWT is not UTF-8"))?;
        let jws = CompactJws::parse(text.trim())?;
        jwks.verify(http, &jws, expect.algorithms, expect.client_secret, now)
            .await?;
        let claims: Value = jws.payload_json()?;
        if let Some(iss) = claims.get("iss")
            && iss.as_str() != Some(expect.issuer)
        {
            return Err(invalid(&response, "signed UserInfo from another issuer"));
        }
        if let Some(aud) = claims.get("aud") {
            let ok = match aud {
                Value::String(a) => a == expect.client_id,
                Value::Array(list) => list.iter().any(|a| a.as_str() == Some(expect.client_id)),
                _ => false,
            };
            if !ok {
                return Err(invalid(&response, "signed UserInfo for another audience"));
            }
        }
        claims
    } else {
        response.json()?
    };
    let userinfo: UserinfoResponse = serde_json::from_value(claims)
        .map_err(|e| invalid(&response, format!("not a UserInfo response: {e}")))?;
    if let Some(sub) = expected_sub
        && userinfo.sub != sub
    {
        return Err(invalid(
            &response,
            "UserInfo sub differs from the ID token's (OIDC Core §5.3.2)",
        ));
    }
    Ok(userinfo)
}

/// A UserInfo error (OIDC Core §5.3.3): the Bearer challenge's code when the header has one
/// (RFC 6750 §3), else the JSON body's (seed 004's `UserinfoErrorResponse`, whose `error` may
/// be any code, `server_error` included), else the bare status.
fn userinfo_error(response: &HttpResponse) -> ClientError {
    let challenge = response
        .headers
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(UserinfoErrorResponse::from_www_authenticate);
    let error = challenge.or_else(|| serde_json::from_slice(&response.body).ok());
    match error {
        Some(error) => ClientError::Userinfo(error),
        None => ClientError::Status {
            url: response.url.clone(),
            status: response.status,
            body: response.body_excerpt(),
        },
    }
}

fn token_error_or_status(response: &HttpResponse) -> ClientError {
    match serde_json::from_slice::<TokenError>(&response.body) {
        Ok(error) => ClientError::Token(error),
        Err(_) => ClientError::Status {
            url: response.url.clone(),
            status: response.status,
            body: response.body_excerpt(),
        },
    }
}

/// Introspects a token (RFC 7662 §2.1) with the client's authentication.
pub async fn introspect(
    http: &HttpClient,
    call: EndpointCall<'_>,
    request: &IntrospectionRequest,
) -> Result<IntrospectionResponse, ClientError> {
    let response = post_authenticated(http, call, request.to_form_pairs()).await?;
    if !(200..300).contains(&response.status) {
        return Err(token_error_or_status(&response));
    }
    let value = Value::Object(response.json_object()?);
    serde_json::from_value(value)
        .map_err(|e| invalid(&response, format!("not an introspection response: {e}")))
}

/// Revokes a token (RFC 7009 §2.1); success is HTTP 200 whatever the token was (§2.2).
pub async fn revoke(
    http: &HttpClient,
    call: EndpointCall<'_>,
    request: &RevocationRequest,
) -> Result<(), ClientError> {
    let response = post_authenticated(http, call, request.to_form_pairs()).await?;
    if response.status == 200 {
        Ok(())
    } else {
        Err(token_error_or_status(&response))
    }
}

/// The RP-initiated logout URL (RP-Initiated Logout §2): `id_token_hint` and `client_id`
/// identify the session and the client; `post_logout_redirect_uri` and `state` come back.
pub fn logout_url(
    end_session_endpoint: &str,
    client_id: &str,
    id_token_hint: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> String {
    let request = EndSessionRequest {
        id_token_hint: id_token_hint.map(str::to_owned),
        client_id: Some(client_id.to_owned()),
        post_logout_redirect_uri: post_logout_redirect_uri.map(str::to_owned),
        state: state.map(str::to_owned),
        ..Default::default()
    };
    request.to_url(end_session_endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logout_url_carries_hint_client_and_redirect_rp_initiated_2() {
        let url = logout_url(
            "https://op.example/logout?x=1",
            "c 1",
            Some("eyJ.a.b"),
            Some("https://rp.example/bye"),
            Some("s"),
        );
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, "https://op.example/logout");
        let params = oxid_protocol::params::Params::parse_query(query).unwrap();
        assert_eq!(params.get("x"), Some("1"));
        assert_eq!(params.get("id_token_hint"), Some("eyJ.a.b"));
        assert_eq!(params.get("client_id"), Some("c 1"));
        assert_eq!(
            params.get("post_logout_redirect_uri"),
            Some("https://rp.example/bye")
        );
        assert_eq!(params.get("state"), Some("s"));
    }
}
