//! Request objects by reference (OIDC Core §6.2, RFC 9101 §5.2): only a `request_uri` the
//! client pre-registered in `request_uris` is fetched (so the provider cannot be pointed at
//! any URL), through `outbound` with its size and time limits and its SSRF rules. Matching is
//! exact on the URI without its fragment (OIDC Registration §2 lets a client put a fragment
//! on a registered URI to mark a version of the content; it is never sent to the server).

use crate::request_object::{Refusal, RequestObjectPolicy};
use crate::state::Provider;

/// RFC 9101 §5.2: `application/oauth-authz-req+jwt`; some servers answer `application/jwt`.
const ACCEPT: &str = "application/oauth-authz-req+jwt, application/jwt, */*;q=0.1";

/// The request object at `request_uri`, when the client registered it.
pub(crate) async fn fetch(
    provider: &Provider,
    policy: &RequestObjectPolicy,
    request_uri: &str,
) -> Result<String, Refusal> {
    let wanted = without_fragment(request_uri);
    if !policy
        .request_uris
        .iter()
        .any(|registered| without_fragment(registered) == wanted)
    {
        return Err(Refusal::uri(format!(
            "the request_uri {} is not one of the client's registered request_uris \
             (OIDC Core §6.2)",
            oxid_protocol::echo_value(request_uri)
        )));
    }
    let body = provider
        .outbound()
        .get(wanted, ACCEPT)
        .await
        .map_err(|e| Refusal::uri(format!("the request_uri could not be fetched: {e}")))?;
    let text = String::from_utf8(body)
        .map_err(|_| Refusal::uri("the request_uri does not serve a JWT (not UTF-8)"))?;
    Ok(text.trim().to_string())
}

/// `uri` without its `#fragment`.
pub(crate) fn without_fragment(uri: &str) -> &str {
    uri.split_once('#').map_or(uri, |(before, _)| before)
}
