//! Logout messages: the RP-Initiated Logout request (OpenID Connect RP-Initiated Logout 1.0
//! §2, §3), the back-channel logout request (OIDC Back-Channel Logout 1.0 §2.5) and the
//! front-channel logout notification (OIDC Front-Channel Logout 1.0 §2, §3).

use crate::params::{ParamError, Params, append_query, encode_pairs, split_space_list};
use indexmap::IndexMap;

const END_SESSION_PARAMS: &[&str] = &[
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
];

/// An RP-Initiated Logout request to the `end_session_endpoint` (RP-Initiated Logout §2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndSessionRequest {
    /// RECOMMENDED. An ID token the OP issued to this RP.
    pub id_token_hint: Option<String>,
    /// A hint about the End-User logging out.
    pub logout_hint: Option<String>,
    /// The client identifier.
    pub client_id: Option<String>,
    /// Where to send the user afterwards; must be registered.
    pub post_logout_redirect_uri: Option<String>,
    /// Opaque value passed back to `post_logout_redirect_uri`.
    pub state: Option<String>,
    /// Preferred UI languages (space-delimited BCP47 tags).
    pub ui_locales: Vec<String>,
    /// Every other parameter.
    pub extra: IndexMap<String, String>,
}

impl EndSessionRequest {
    /// Reads the query or form parameters. `post_logout_redirect_uri` must be an absolute
    /// URI when present.
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        let post = p.get("post_logout_redirect_uri").map(str::to_owned);
        if let Some(u) = &post
            && !crate::authorization::is_absolute_uri_without_fragment(u)
        {
            return Err(ParamError::invalid(
                "post_logout_redirect_uri",
                "must be an absolute URI without a fragment",
            ));
        }
        Ok(EndSessionRequest {
            id_token_hint: p.get("id_token_hint").map(str::to_owned),
            logout_hint: p.get("logout_hint").map(str::to_owned),
            client_id: p.get("client_id").map(str::to_owned),
            post_logout_redirect_uri: post,
            state: p.get("state").map(str::to_owned),
            ui_locales: p
                .get("ui_locales")
                .map(split_space_list)
                .unwrap_or_default(),
            extra: p
                .unknown(END_SESSION_PARAMS)
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
    }

    /// The parameters in order, extras last.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for (k, val) in [
            ("id_token_hint", &self.id_token_hint),
            ("logout_hint", &self.logout_hint),
            ("client_id", &self.client_id),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
        ] {
            if let Some(x) = val {
                v.push((k.to_owned(), x.clone()));
            }
        }
        if !self.ui_locales.is_empty() {
            v.push(("ui_locales".into(), self.ui_locales.join(" ")));
        }
        v.extend(
            self.extra
                .iter()
                .filter(|(k, _)| !END_SESSION_PARAMS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        v
    }

    /// The logout URL: `end_session_endpoint` with the parameters appended.
    pub fn to_url(&self, end_session_endpoint: &str) -> String {
        append_query(end_session_endpoint, self.to_query_pairs())
    }

    /// The redirect back to the RP after logout: `post_logout_redirect_uri` with `state`
    /// (RP-Initiated Logout §3). `None` without a `post_logout_redirect_uri`.
    pub fn post_logout_redirect(&self) -> Option<String> {
        let uri = self.post_logout_redirect_uri.as_deref()?;
        let pairs: Vec<(&str, &str)> = self.state.iter().map(|s| ("state", s.as_str())).collect();
        Some(append_query(uri, pairs))
    }
}

/// The back-channel logout request the OP POSTs to the RP's `backchannel_logout_uri`
/// (Back-Channel Logout §2.5): a form with one `logout_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackchannelLogoutRequest {
    /// REQUIRED. The signed logout token (a JWT with [`crate::claims::LogoutTokenClaims`]).
    pub logout_token: String,
}

impl BackchannelLogoutRequest {
    /// Reads the form; `logout_token` is required.
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(BackchannelLogoutRequest {
            logout_token: p.require("logout_token")?.to_owned(),
        })
    }

    /// The form parameters.
    pub fn to_form_pairs(&self) -> Vec<(String, String)> {
        vec![("logout_token".into(), self.logout_token.clone())]
    }

    /// The form body.
    pub fn encode(&self) -> String {
        encode_pairs(self.to_form_pairs())
    }
}

/// The front-channel logout notification: the RP's `frontchannel_logout_uri` loaded by the
/// user agent, with `iss` and `sid` when the RP asked for them (Front-Channel Logout §2, §3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontchannelLogoutNotification {
    /// The issuer identifier.
    pub iss: Option<String>,
    /// The session id.
    pub sid: Option<String>,
}

impl FrontchannelLogoutNotification {
    /// Reads the query parameters; `iss` and `sid` come together or not at all.
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        let n = FrontchannelLogoutNotification {
            iss: p.get("iss").map(str::to_owned),
            sid: p.get("sid").map(str::to_owned),
        };
        match (&n.iss, &n.sid) {
            (Some(_), None) => Err(ParamError::missing("sid")),
            (None, Some(_)) => Err(ParamError::missing("iss")),
            _ => Ok(n),
        }
    }

    /// The query parameters.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(i) = &self.iss {
            v.push(("iss".into(), i.clone()));
        }
        if let Some(s) = &self.sid {
            v.push(("sid".into(), s.clone()));
        }
        v
    }

    /// The RP's `frontchannel_logout_uri` with `iss` and `sid` appended (its own query kept).
    pub fn to_url(&self, frontchannel_logout_uri: &str) -> String {
        append_query(frontchannel_logout_uri, self.to_query_pairs())
    }
}

/// The seed name of [`EndSessionRequest`] (simple-openid-connect).
pub type RpInitiatedLogoutRequest = EndSessionRequest;
/// The seed name of [`BackchannelLogoutRequest`] (simple-openid-connect).
pub type BackChannelLogoutNotification = BackchannelLogoutRequest;
/// The seed name of [`FrontchannelLogoutNotification`] (simple-openid-connect).
pub type FrontChannelLogoutNotification = FrontchannelLogoutNotification;
