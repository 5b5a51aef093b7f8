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
