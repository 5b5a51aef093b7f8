//! The state of one request in progress across the provider's pages (authorization through
//! login and consent; logout through its confirmation). It travels in a hidden form field,
//! sealed (AES-256-GCM) so it cannot be forged or altered, which keeps the provider stateless
//! between the pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::crypto::SecretBox;
use crate::crypto::secrets::random_id;

/// What a sealed interaction is for. Each purpose seals under its own context, so a value
/// sealed for one can never be opened as the other (nor as any other sealed value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An authorization request waiting for login or consent.
    Authorize,
    /// A logout request waiting for confirmation.
    Logout,
    /// A device authorization (RFC 8628) waiting for login or confirmation.
    Device,
}

impl Purpose {
    fn context(self) -> &'static [u8] {
        match self {
            Purpose::Authorize => b"oxid/interaction/authorize",
            Purpose::Logout => b"oxid/interaction/logout",
            Purpose::Device => b"oxid/interaction/device",
        }
    }
}

/// How long a login or consent page may stay open.
pub const INTERACTION_TTL: u64 = 3600;

/// A request waiting for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// Random: each rendered form may be submitted once (see `Store::claim_interaction`).
    pub id: String,
    /// The request's parameters, form-encoded.
    pub request: String,
    /// When the authorization endpoint first saw the request.
    pub started_at: u64,
    /// The user already logged in within this authorization (the consent page follows).
    #[serde(default)]
    pub login_done: bool,
}

impl Interaction {
    /// A new interaction for one rendered form, with a fresh id.
    pub fn new(request: String, started_at: u64, login_done: bool) -> Self {
        Interaction {
            id: random_id(16),
            request,
            started_at,
            login_done,
        }
    }

    /// When the form stops being accepted.
    pub fn expires_at(&self) -> u64 {
        self.started_at.saturating_add(INTERACTION_TTL)
    }

    /// Seals the interaction into an opaque form value.
    pub fn seal(&self, secret_box: &SecretBox, purpose: Purpose) -> Option<String> {
        let json = serde_json::to_vec(self).ok()?;
        let sealed = secret_box.encrypt_for(purpose.context(), &json).ok()?;
        Some(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens a sealed value; `None` when forged, altered or older than [`INTERACTION_TTL`].
    pub fn open(
        value: &str,
        secret_box: &SecretBox,
        now: u64,
        purpose: Purpose,
    ) -> Option<Interaction> {
        let sealed = URL_SAFE_NO_PAD.decode(value.trim()).ok()?;
        let json = secret_box.decrypt_for(purpose.context(), &sealed).ok()?;
        let interaction: Interaction = serde_json::from_slice(&json).ok()?;
        (now <= interaction.started_at.saturating_add(INTERACTION_TTL)).then_some(interaction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_interaction_round_trips_and_rejects_tampering_and_age() {
        let secret_box = SecretBox::new([9; 32]);
        let interaction = Interaction {
            id: "i".into(),
            request: "client_id=a&state=x".into(),
            started_at: 1000,
            login_done: true,
        };
        let sealed = interaction.seal(&secret_box, Purpose::Authorize).unwrap();
        assert_eq!(
            Interaction::open(&sealed, &secret_box, 1001, Purpose::Authorize),
            Some(interaction)
        );
        let mut tampered = sealed.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            Interaction::open(&tampered, &secret_box, 1001, Purpose::Authorize),
            None
        );
        assert_eq!(
            Interaction::open(&sealed, &SecretBox::new([8; 32]), 1001, Purpose::Authorize),
            None
        );
        assert_eq!(
            Interaction::open(
                &sealed,
                &secret_box,
                1000 + INTERACTION_TTL + 1,
                Purpose::Authorize
            ),
            None
        );
        assert_eq!(
            Interaction::open(&sealed, &secret_box, 1001, Purpose::Logout),
            None,
            "sealed for one purpose, never opened for another"
        );
    }
}
