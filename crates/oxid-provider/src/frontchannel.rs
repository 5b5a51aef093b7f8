//! OIDC Front-Channel Logout 1.0: after logout the user agent loads each session client's
//! `frontchannel_logout_uri` (with `iss` and `sid`, §2) in an iframe of the signed-out page.

use oxid_protocol::logout::FrontchannelLogoutNotification;
use oxid_store::SessionRecord;

use crate::backchannel::session_clients;
use crate::state::Provider;

/// The front-channel logout URLs of the clients that took part in `session` (§2, §3).
pub async fn logout_urls(provider: &Provider, session: &SessionRecord) -> Vec<String> {
    let notification = FrontchannelLogoutNotification {
        iss: Some(provider.config().issuer.clone()),
        sid: Some(session.sid.clone()),
    };
    session_clients(provider, session)
        .await
        .iter()
        .filter_map(|client| client.frontchannel_logout_uri.as_deref())
        .map(|uri| notification.to_url(uri))
        .collect()
}

/// The `Content-Security-Policy` of the signed-out page: the pages' policy, with frames
/// allowed from exactly the origins of `urls`.
pub fn content_security_policy(urls: &[String]) -> String {
    let mut origins: Vec<String> = urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    origins.sort();
    origins.dedup();
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src {}; \
         frame-ancestors 'none'; base-uri 'none'",
        origins.join(" ")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn frames_are_allowed_from_the_clients_origins_only() {
        let csp = super::content_security_policy(&[
            "https://a.example.com/fc?iss=x&sid=y".into(),
            "https://a.example.com/other".into(),
            "http://127.0.0.1:3000/fc".into(),
        ]);
        assert!(csp.contains("frame-src http://127.0.0.1:3000 https://a.example.com;"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
