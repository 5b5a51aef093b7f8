//! Request objects (OIDC Core §6, RFC 9101): an authorization request's parameters in a JWT,
//! by value (`request`) or by reference (`request_uri`, one of the client's pre-registered
//! `request_uris`). The object is verified with the client's keys (`request_object_verify`)
//! and its parameters then replace those sent beside it.
//!
//! Which parameters are used (OIDC Core §6.3.3 and RFC 9101 §6.3 differ; this is the rule):
//! - the object's parameters always win over the same ones outside it;
//! - an OpenID request (the `scope` outside holds `openid`, as OIDC Core §6.1 requires of
//!   one) also keeps the parameters sent only outside (OIDC Core §6.3.3);
//! - any other request (plain RFC 9101, as openid-client's `buildAuthorizationUrlWithJAR`
//!   sends it: `client_id` and `request` only) uses the object's parameters alone, with the
//!   outer `client_id` (RFC 9101 §6.3: "MUST only use the parameters in the Request Object");
//! - `client_id` and `response_type`, when inside and outside, must be equal (OIDC Core §6.1,
//!   RFC 9101 §5); an object holding `request` or `request_uri` is refused (RFC 9101 §4).

use oxid_protocol::authorization::{
    AuthErrorCode, AuthorizationError, PAR_REQUEST_URI_PREFIX, ResponseMode, ResponseType,
};
use oxid_protocol::params::{Params, encode_pairs, split_space_list};
use serde_json::{Map, Value};

use crate::authorize::AuthorizeOutcome;
use crate::authorize_request::{ReceivedAuthorization, Single};
use crate::client::Client;
use crate::error::OAuthError;
use crate::front_channel::{error_to_client, response_mode};
use crate::state::Provider;

pub(crate) use crate::request_object_verify::verify;

/// Why a request object (or its absence) is refused: the code of OIDC Core §3.1.2.6 /
/// RFC 9101 §6.2 and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `invalid_request_object`, `invalid_request_uri` or `invalid_request`.
    pub code: AuthErrorCode,
    /// What is wrong.
    pub description: String,
}

impl Refusal {
    /// `invalid_request_object` (RFC 9101 §6.2).
    pub fn object(description: impl Into<String>) -> Self {
        Refusal {
            code: AuthErrorCode::InvalidRequestObject,
            description: description.into(),
        }
    }

    /// `invalid_request_uri` (OIDC Core §3.1.2.6).
    pub fn uri(description: impl Into<String>) -> Self {
        Refusal {
            code: AuthErrorCode::InvalidRequestUri,
            description: description.into(),
        }
    }

    /// `invalid_request`.
    pub fn request(description: impl Into<String>) -> Self {
        Refusal {
            code: AuthErrorCode::InvalidRequest,
            description: description.into(),
        }
    }
}

/// An encrypted (5-part JWE) request object decrypted with our own `use: enc` keys (OIDC
/// Core §6.1, RFC 9101 §6.1); a signed or unsigned one (3 parts) as it is. A signed-then-
/// encrypted object yields the signed JWT, checked next as any other; an object encrypted
/// without a signature yields its claims, which are then an unsigned object (`alg: none`,
/// accepted only from a client that registered `none`): encryption to our public key does not
/// say who wrote it.
pub(crate) fn decrypt_if_encrypted(provider: &Provider, jwt: &str) -> Result<String, Refusal> {
    if jwt.split('.').count() != 5 {
        return Ok(jwt.to_string());
    }
    if !provider.capabilities().features.request_object_encryption {
        return Err(Refusal::object(
            "encrypted request objects are not accepted here",
        ));
    }
    let plaintext = provider.jwe_decrypt_with_our_keys(jwt).map_err(|_| {
        Refusal::object("the encrypted request object cannot be decrypted with our keys")
    })?;
    let text = String::from_utf8(plaintext)
        .map_err(|_| Refusal::object("the decrypted request object is not UTF-8"))?;
    if text.split('.').count() == 3 && !text.trim_start().starts_with('{') {
        return Ok(text);
    }
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Ok(format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none"}"#),
        b64.encode(text.as_bytes())
    ))
}

/// What a client registered about request objects (kept in its metadata JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestObjectPolicy {
    /// `request_object_signing_alg` (OIDC Registration §2): the only algorithm accepted when
    /// registered; `none` is accepted only when registered.
    pub alg: Option<String>,
    /// `request_uris`: the only `request_uri` values fetched (OIDC Registration §2).
    pub request_uris: Vec<String>,
    /// `require_signed_request_object` (RFC 9101 §10.5), the client's or the deployment's.
    pub require_signed: bool,
}

impl RequestObjectPolicy {
    /// The policy of `client` under this deployment's `require_signed_request_object`.
    pub fn of(provider: &Provider, client: &Client) -> Self {
        let metadata = &client.record().metadata;
        RequestObjectPolicy {
            alg: metadata
                .get("request_object_signing_alg")
                .and_then(Value::as_str)
                .map(str::to_string),
            request_uris: metadata
                .get("request_uris")
                .and_then(Value::as_array)
                .map(|uris| {
                    uris.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            require_signed: provider.config().require_signed_request_object
                || metadata
                    .get("require_signed_request_object")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
        }
    }
}

/// The request as the authorization endpoint goes on with it: `received` itself when it
/// names no request object, else the parameters the verified object gives (see the module
/// comment). A client, or a `client_id`, that cannot be found is left for the endpoint's
/// trust check to refuse on its error page.
pub(crate) async fn expand(
    provider: &Provider,
    received: ReceivedAuthorization,
) -> Result<Result<ReceivedAuthorization, Refusal>, OAuthError> {
    let Ok(Some(client_id)) = received.client_id.clone() else {
        return Ok(Ok(received));
    };
    // The cached registration: this runs on every authorization request.
    let Some(client) = provider.client(&client_id).await? else {
        return Ok(Ok(received));
    };
    let policy = RequestObjectPolicy::of(provider, &client);
    // PAR's own URNs were taken before (`par::open`); any other is the client's.
    let request_uri: Single = match &received.request_uri {
        Ok(Some(uri)) if uri.starts_with(PAR_REQUEST_URI_PREFIX) => Ok(None),
        other => other.clone(),
    };
    let jwt = match (&received.request_object, &request_uri) {
        (Err(why), _) | (_, Err(why)) => return Ok(Err(Refusal::request(why.clone()))),
        (Ok(Some(_)), Ok(Some(_))) => {
            return Ok(Err(Refusal::request(
                "request and request_uri must not be used together (OIDC Core §6)",
            )));
        }
        (Ok(None), Ok(None)) if policy.require_signed => {
            return Ok(Err(Refusal::request(
                "this client must send its authorization requests in a signed request \
                 object (RFC 9101 §10.5 require_signed_request_object)",
            )));
        }
        (Ok(None), Ok(None)) => return Ok(Ok(received)),
        (Ok(Some(jwt)), Ok(None)) => jwt.clone(),
        (Ok(None), Ok(Some(uri))) => {
            match crate::request_uri::fetch(provider, &policy, uri).await {
                Ok(jwt) => jwt,
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
    };
    let claims = match verify(provider, &client, &policy, &jwt).await? {
        Ok(claims) => claims,
        Err(refusal) => return Ok(Err(refusal)),
    };
    Ok(merge(&received.pairs, &client_id, &claims)
        .map(|pairs| ReceivedAuthorization::from_form(encode_pairs(pairs).as_bytes())))
}

/// What the browser sent beside a request object, kept to say why the object is refused.
pub(crate) struct OuterRequest {
    client_id: Single,
    redirect_uri: Single,
    state: Option<String>,
    response_type: Option<ResponseType>,
    response_mode: Option<ResponseMode>,
}

impl OuterRequest {
    pub(crate) fn of(received: &ReceivedAuthorization) -> Self {
        OuterRequest {
            client_id: received.client_id.clone(),
            redirect_uri: received.redirect_uri.clone(),
            state: received.state.clone(),
            response_type: received.response_type,
            response_mode: received.response_mode,
        }
    }
}

/// A refused request object (OIDC Core §3.1.2.6, RFC 9101 §6.2): back to the client only when
/// the client and the redirect URI beside the object are trusted, else the error page.
pub(crate) async fn refuse(
    provider: &Provider,
    outer: OuterRequest,
    refusal: Refusal,
) -> Result<AuthorizeOutcome, OAuthError> {
    Ok(
        match crate::authorize::trust(provider, outer.client_id, outer.redirect_uri).await? {
            Ok((_, redirect_uri)) => error_to_client(
                provider,
                &redirect_uri,
                response_mode(outer.response_type, outer.response_mode),
                AuthorizationError::new(refusal.code, refusal.description),
                outer.state,
            ),
            Err(_) => AuthorizeOutcome::ErrorPage {
                error: refusal.code,
                description: refusal.description,
            },
        },
    )
}

/// The parameters a pushed request holds (RFC 9126 §3: a request object may be pushed with
/// `request`): those of its verified request object, merged as at the authorization
/// endpoint; unchanged without one, unless the client must send signed objects.
pub(crate) async fn expand_pushed(
    provider: &Provider,
    client: &Client,
    params: Params,
) -> Result<Params, OAuthError> {
    let policy = RequestObjectPolicy::of(provider, client);
    let Some(jwt) = params.get("request").map(str::to_string) else {
        if policy.require_signed {
            return Err(OAuthError::invalid_request(
                "this client must push its authorization requests in a signed request object \
                 (RFC 9101 §10.5 require_signed_request_object)",
            ));
        }
        return Ok(params);
    };
    let refused = |r: Refusal| OAuthError::authorization(r.code, r.description);
    let claims = verify(provider, client, &policy, &jwt)
        .await?
        .map_err(refused)?;
    let merged = merge(&params.to_pairs(), client.id(), &claims).map_err(refused)?;
    Params::from_pairs(merged).map_err(|e| OAuthError::invalid_request(e.description()))
}

/// JWT claims (RFC 7519 §4.1) that are not authorization request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

/// The parameters of the request: the object's, with the outer ones it lacks for an
/// OpenID request (see the module comment).
pub(crate) fn merge(
    outer: &[(String, String)],
    client_id: &str,
    claims: &Map<String, Value>,
) -> Result<Vec<(String, String)>, Refusal> {
    // RFC 9101 §4: "The Request Object MUST NOT include the request and request_uri".
    for nested in ["request", "request_uri"] {
        if claims.contains_key(nested) {
            return Err(Refusal::object(format!(
                "a request object must not hold {nested} (RFC 9101 §4)"
            )));
        }
    }
    let inner: Vec<(String, String)> =
        oxid_protocol::authorization::request_object_to_params(claims)
            .to_pairs()
            .into_iter()
            .filter(|(name, _)| !JWT_CLAIMS.contains(&name.as_str()))
            .collect();
    let inside = |name: &str| inner.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let outside = |name: &str| outer.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    // RFC 9101 §5 and OIDC Core §6.1: the same client inside and outside.
    if inside("client_id").is_some_and(|inner| inner != client_id) {
        return Err(Refusal::object(
            "client_id in the request object differs from the client_id parameter \
             (RFC 9101 §5)",
        ));
    }
    // OIDC Core §6.1: response_type outside "MUST match" the one inside.
    if let (Some(inner), Some(outer)) = (inside("response_type"), outside("response_type"))
        && split_sorted(inner) != split_sorted(outer)
    {
        return Err(Refusal::object(
            "response_type in the request object differs from the response_type parameter \
             (OIDC Core §6.1)",
        ));
    }
    let openid =
        outside("scope").is_some_and(|s| split_space_list(s).iter().any(|s| s == "openid"));
    let mut pairs: Vec<(String, String)> = if openid {
        outer
            .iter()
            .filter(|(k, _)| k != "request" && k != "request_uri" && inside(k).is_none())
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    if !pairs.iter().any(|(k, _)| k == "client_id") && inside("client_id").is_none() {
        pairs.push(("client_id".into(), client_id.to_string()));
    }
    pairs.extend(inner.iter().cloned());
    Ok(pairs)
}

fn split_sorted(value: &str) -> Vec<String> {
    let mut values = split_space_list(value);
    values.sort();
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn openid_requests_keep_outer_parameters_the_object_lacks() {
        // OIDC Core §6.3.3: inside wins, outside fills in.
        let outer = pairs(&[
            ("client_id", "c"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", "https://evil.example/cb"),
            ("state", "outer"),
            ("request", "x"),
        ]);
        let merged = merge(
            &outer,
            "c",
            &object(json!({"redirect_uri": "https://rp.example/cb", "nonce": "n", "iss": "c"})),
        )
        .unwrap();
        let get = |n: &str| merged.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("redirect_uri"), Some("https://rp.example/cb"));
        assert_eq!(get("state"), Some("outer"));
        assert_eq!(get("nonce"), Some("n"));
        assert_eq!(get("request"), None);
        assert_eq!(get("iss"), None);
        assert_eq!(
            merged.iter().filter(|(k, _)| k == "redirect_uri").count(),
            1
        );
    }

    #[test]
    fn plain_jar_requests_use_only_the_object() {
        // RFC 9101 §6.3.
        let outer = pairs(&[("client_id", "c"), ("state", "outer"), ("request", "x")]);
        let merged = merge(
            &outer,
            "c",
            &object(json!({"scope": "openid", "nonce": "n"})),
        )
        .unwrap();
        assert!(merged.iter().all(|(k, _)| k != "state"));
        assert!(merged.contains(&("client_id".into(), "c".into())));
    }

    #[test]
    fn mismatches_and_nesting_are_refused() {
        let outer = pairs(&[
            ("client_id", "c"),
            ("response_type", "code"),
            ("scope", "openid"),
        ]);
        let refused = |claims: Value| merge(&outer, "c", &object(claims)).unwrap_err().code;
        assert_eq!(
            refused(json!({"client_id": "other"})),
            AuthErrorCode::InvalidRequestObject
        );
        assert_eq!(
            refused(json!({"response_type": "id_token"})),
            AuthErrorCode::InvalidRequestObject
        );
        assert_eq!(
            refused(json!({"request_uri": "https://x"})),
            AuthErrorCode::InvalidRequestObject
        );
        assert!(merge(&outer, "c", &object(json!({"response_type": "code"}))).is_ok());
    }
}
