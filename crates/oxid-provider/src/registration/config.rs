//! Who may register clients (`registration`, `registration_token`): read with the other
//! settings, validated once.

use serde::Deserialize;

use crate::config::{ConfigError, Settings, config_error};

/// Who may use the registration endpoint (OIDC Registration §3, RFC 7591 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// No registration endpoint: clients are added by the operator only.
    #[default]
    Closed,
    /// Whoever holds the initial access token (`registration_token`).
    Token,
    /// Anyone.
    Open,
}

impl std::str::FromStr for RegistrationMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "closed" => Ok(RegistrationMode::Closed),
            "token" => Ok(RegistrationMode::Token),
            "open" => Ok(RegistrationMode::Open),
            _ => Err(format!("{s:?} is not one of closed, token, open")),
        }
    }
}

/// Registration as validated: who may register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// No endpoint.
    Closed,
    /// A Bearer initial access token is required; kept as its SHA-256, compared in
    /// constant time.
    Token {
        /// `sha256(token)` hex.
        token_hash: String,
    },
    /// Anyone may register.
    Open,
}

/// `registration` and `registration_token` together: a token alone means `token`; `token`
/// needs a token that resists guessing; `open` and `closed` take none.
impl Registration {
    /// Validates the two keys together; errors name `registration_token`.
    pub fn from_settings(settings: &Settings) -> Result<Registration, ConfigError> {
        let token = settings.registration_token.as_deref();
        match (settings.registration, token) {
            (RegistrationMode::Closed, None) => Ok(Registration::Closed),
            (RegistrationMode::Open, None) => Ok(Registration::Open),
            (RegistrationMode::Token, None) => Err(config_error(
                "registration_token",
                "registration = \"token\" needs a registration_token",
            )),
            (RegistrationMode::Open, Some(_)) => Err(config_error(
                "registration_token",
                "is used only with registration = \"token\"",
            )),
            (RegistrationMode::Closed | RegistrationMode::Token, Some(token)) => {
                if crate::admin::estimated_entropy_bits(token) < crate::admin::MIN_SECRET_BITS {
                    return Err(config_error(
                        "registration_token",
                        "is too weak: use at least 22 random base64url characters",
                    ));
                }
                Ok(Registration::Token {
                    token_hash: crate::crypto::secrets::sha256_hex(token),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderConfig;

    #[test]
    fn registration_is_closed_by_default_and_a_token_alone_means_token() {
        let config = ProviderConfig::from_settings(&Settings::default()).unwrap();
        assert_eq!(config.registration, Registration::Closed);
        let token = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg";
        let settings = Settings {
            registration_token: Some(token.into()),
            ..Settings::default()
        };
        let config = ProviderConfig::from_settings(&settings).unwrap();
        let token_hash = crate::crypto::secrets::sha256_hex(token);
        assert_eq!(config.registration, Registration::Token { token_hash });
        let open = Settings {
            registration: RegistrationMode::Open,
            ..Settings::default()
        };
        let config = ProviderConfig::from_settings(&open).unwrap();
        assert_eq!(config.registration, Registration::Open);
    }

    #[test]
    fn registration_token_missing_weak_or_with_open_is_refused() {
        for (mode, token) in [
            (RegistrationMode::Token, None),
            (RegistrationMode::Token, Some("abc")),
            (RegistrationMode::Closed, Some("password1")),
            (RegistrationMode::Open, Some("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg")),
        ] {
            let settings = Settings {
                registration: mode,
                registration_token: token.map(str::to_string),
                ..Settings::default()
            };
            let err = ProviderConfig::from_settings(&settings).unwrap_err();
            assert_eq!(err.key, "registration_token", "{mode:?} {token:?}");
        }
    }
}
