//! Server-provided DPoP nonces (RFC 9449 §8 at the token and PAR endpoints, §9 at UserInfo):
//! when `[dpop] require_nonce` is on, a proof must carry a `nonce` we issued recently.
//!
//! Nonces are stateless so that every instance accepts every other's: the nonce of a time
//! window is the HMAC of the window's number under a key derived from the shared secret key
//! (`SecretBox::mac`), and the nonces of the current and the previous window are accepted. A
//! nonce thus lives between one and two windows; nothing is stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::config::{ConfigError, config_error};
use crate::crypto::secrets::constant_time_eq;
use crate::state::Provider;

/// The `[dpop]` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DpopSettings {
    /// Require a server-provided nonce in every DPoP proof (RFC 9449 §8, §9).
    pub require_nonce: bool,
    /// Seconds in a nonce window; a nonce is accepted during its window and the next one.
    pub nonce_window_seconds: u64,
}

impl Default for DpopSettings {
    fn default() -> Self {
        DpopSettings {
            require_nonce: false,
            nonce_window_seconds: 300,
        }
    }
}

impl DpopSettings {
    /// Checks the window; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(10..=3600).contains(&self.nonce_window_seconds) {
            return Err(config_error(
                "dpop.nonce_window_seconds",
                "must be 10..=3600 seconds",
            ));
        }
        Ok(())
    }
}

/// The nonce of window number `window`: unpredictable without the secret key (§8: "Nonce
/// values MUST be unpredictable"), base64url, so within the NQCHAR syntax of §8.1.
fn nonce_of(provider: &Provider, window: u64) -> String {
    let message = format!("oxid/dpop-nonce/{window}");
    URL_SAFE_NO_PAD.encode(provider.secret_box().mac(message.as_bytes()))
}

fn window_at(provider: &Provider, now: u64) -> u64 {
    now / provider.config().dpop.nonce_window_seconds.max(1)
}

/// The nonce clients are told to use now (the `DPoP-Nonce` header).
pub fn current(provider: &Provider) -> String {
    nonce_of(provider, window_at(provider, provider.now()))
}

/// Whether `nonce` is the current window's or the previous one's.
pub fn is_valid(provider: &Provider, nonce: &str) -> bool {
    let window = window_at(provider, provider.now());
    [window, window.saturating_sub(1)]
        .into_iter()
        .any(|w| constant_time_eq(nonce_of(provider, w).as_bytes(), nonce.as_bytes()))
}

/// §8: why a proof's `nonce` is refused, when nonces are required; `None` when it passes.
pub fn refusal(provider: &Provider, nonce: Option<&str>) -> Option<&'static str> {
    if !provider.config().dpop.require_nonce {
        return None;
    }
    match nonce {
        None => Some("a DPoP nonce is required: retry with the one in the DPoP-Nonce header"),
        Some(nonce) if !is_valid(provider, nonce) => Some(
            "the DPoP proof's nonce is not a current one: retry with the one in the \
             DPoP-Nonce header",
        ),
        Some(_) => None,
    }
}

/// §8.2: a successful answer carries the nonce to use next, when nonces are required, so a
/// client learns a new one without a failed round trip.
pub fn with_next_nonce(
    provider: &Provider,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if provider.config().dpop.require_nonce
        && let Ok(value) = axum::http::HeaderValue::from_str(&current(provider))
    {
        response.headers_mut().insert("dpop-nonce", value);
    }
    response
}
