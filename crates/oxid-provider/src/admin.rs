//! Operator actions behind the CLI: users and clients. Validation lives here so that the CLI
//! and (later) an admin API apply the same rules.

use oxid_store::{ClientRecord, Store, StoreError, UserRecord};
use serde_json::{Map, Value};
use url::Url;

use crate::capabilities::{Capabilities, ClientAuthMethod, GrantType, ResponseType};
use crate::client::{ApplicationType, IdTokenClaims, member};
use crate::crypto::jws::SigningAlg;
use crate::crypto::password::hash_password;
use crate::crypto::secrets::{SecretBox, random_id, random_token, sha256_hex};

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    /// The store failed or refused (e.g. a duplicate id).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::Invalid(message.into())
}

/// A user to create.
#[derive(Debug, Default, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Password in clear; hashed with argon2id here.
    pub password: String,
    /// Standard claims (OIDC Core §5.1): email, email_verified, name, given_name, ...
    pub claims: Map<String, Value>,
}

/// Creates a user with a random, stable `sub`.
pub async fn add_user(store: &dyn Store, new: NewUser, now: u64) -> Result<UserRecord, AdminError> {
    // Stored as logins compare it: case-mapped and NFC (RFC 8265 UsernameCaseMapped).
    let username = crate::throttle::normalize_username(&new.username);
    if username.is_empty() || username.len() > 255 {
        return Err(invalid("username must be 1 to 255 characters"));
    }
    if new.password.is_empty() {
        return Err(invalid("password must not be empty"));
    }
    let password_hash = hash_password(&new.password).map_err(|e| invalid(e.to_string()))?;
    let user = UserRecord {
        id: random_id(16),
        username,
        password_hash,
        claims: Value::Object(new.claims),
        created_at: now,
        updated_at: now,
    };
    store.insert_user(&user).await?;
    Ok(user)
}

/// A client to register.
#[derive(Debug, Default, Clone)]
pub struct NewClient {
    /// `client_id`.
    pub client_id: String,
    /// The secret to use; generated when `None` for a confidential client.
    pub client_secret: Option<String>,
    /// A public client (no secret, `token_endpoint_auth_method=none`, PKCE required).
    pub public: bool,
    /// Name shown on the consent page.
    pub client_name: Option<String>,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types; `authorization_code` + `refresh_token` when empty.
    pub grant_types: Vec<String>,
    /// Response types; `code` when empty.
    pub response_types: Vec<String>,
    /// Authentication method; `client_secret_basic` (or `none` for public clients) when `None`.
    pub auth_method: Option<String>,
    /// Allowed scopes; `openid profile email address phone offline_access` when empty.
    pub scopes: Vec<String>,
    /// ID token signing algorithm.
    pub id_token_signed_response_alg: Option<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Front-channel logout URI.
    pub frontchannel_logout_uri: Option<String>,
    /// Skip the consent page.
    pub skip_consent: bool,
    /// `application_type`: `web` (default) or `native`.
    pub application_type: Option<String>,
    /// Which claims go in ID tokens: `scope` (default) or `minimal`.
    pub id_token_claims: Option<String>,
    /// `require_pkce`; `false` only for a confidential client. The deployment's default when
    /// `None`.
    pub require_pkce: Option<bool>,
    /// `jwks`: the client's JWK Set (for `private_key_jwt`).
    pub jwks: Option<Value>,
    /// `jwks_uri`: where the client publishes its JWK Set.
    pub jwks_uri: Option<String>,
    /// `token_endpoint_auth_signing_alg` for the JWT authentication methods.
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// `userinfo_signed_response_alg`; plain JSON UserInfo when `None`.
    pub userinfo_signed_response_alg: Option<String>,
    /// `default_max_age` in seconds.
    pub default_max_age: Option<u64>,
    /// `require_auth_time`.
    pub require_auth_time: bool,
}

/// Registers a client, with the values `caps` supports; returns the record and, once only,
/// the secret in clear.
pub async fn add_client(
    caps: &Capabilities,
    store: &dyn Store,
    secret_box: &SecretBox,
    new: NewClient,
    now: u64,
) -> Result<(ClientRecord, Option<String>), AdminError> {
    let client_id = new.client_id.trim().to_string();
    if client_id.is_empty() || !client_id.chars().all(|c| ('\x20'..='\x7e').contains(&c)) {
        return Err(invalid("client id must be printable ASCII (RFC 6749 §A.1)"));
    }
    let auth_method = match (&new.auth_method, new.public) {
        (Some(name), public) => {
            let method = supported(
                "auth method",
                name,
                |m| caps.registrable_auth(*m),
                &all_auth_methods(caps),
            )?;
            if public && method != ClientAuthMethod::None {
                return Err(invalid("a public client authenticates with `none`"));
            }
            method
        }
        (None, true) => ClientAuthMethod::None,
        (None, false) => ClientAuthMethod::ClientSecretBasic,
    };
    let public = auth_method == ClientAuthMethod::None;
    if public && new.client_secret.is_some() {
        return Err(invalid("a public client has no secret"));
    }
    let grant_names: Vec<&str> = caps.grant_types.iter().map(|g| g.as_str()).collect();
    let grant_types = typed_or_default(
        &new.grant_types,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        |name| {
            supported(
                "grant type",
                name,
                |g| caps.supports_grant(*g),
                &grant_names,
            )
        },
    )?;
    if public && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid("client_credentials needs a confidential client"));
    }
    let response_names: Vec<&str> = caps.response_types.iter().map(|r| r.as_str()).collect();
    let response_types = typed_or_default(&new.response_types, &[ResponseType::CODE], |name| {
        supported(
            "response type",
            name,
            |r| caps.supports_response_type(*r),
            &response_names,
        )
    })?;
    if grant_types.contains(&GrantType::AuthorizationCode) && new.redirect_uris.is_empty() {
        return Err(invalid("the authorization_code grant needs a redirect URI"));
    }
    for uri in new
        .redirect_uris
        .iter()
        .chain(&new.post_logout_redirect_uris)
    {
        check_redirect_uri(uri)?;
    }
    for uri in new
        .backchannel_logout_uri
        .iter()
        .chain(&new.frontchannel_logout_uri)
    {
        check_redirect_uri(uri)?;
    }
    let signed_response_alg = |what: &str, name: &Option<String>| match name {
        Some(name) => name
            .parse::<SigningAlg>()
            .ok()
            .filter(|alg| caps.supports_id_token_alg(*alg))
            .filter(|alg| !public || *alg != SigningAlg::HS256)
            .map(Some)
            .ok_or_else(|| invalid(format!("{what} algorithm {name:?} is not supported here"))),
        None => Ok(None),
    };
    let alg = signed_response_alg("ID token", &new.id_token_signed_response_alg)?;
    let userinfo_alg = signed_response_alg("UserInfo", &new.userinfo_signed_response_alg)?;
    let metadata = client_metadata(&new, auth_method, userinfo_alg)?;
    let requested_scopes: Vec<String> = new
        .scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();
    let scopes = if requested_scopes.is_empty() {
        caps.scope_names().map(str::to_string).collect()
    } else {
        requested_scopes
    };
    let secret = if public {
        None
    } else {
        Some(new.client_secret.unwrap_or_else(random_token))
    };
    // The secret is kept only as a hash, unless an HMAC algorithm needs the secret itself.
    let hmac_key = auth_method == ClientAuthMethod::ClientSecretJwt
        || [alg, userinfo_alg].contains(&Some(SigningAlg::HS256));
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    if hmac_key && secret.as_ref().is_some_and(|s| s.len() < 32) {
        return Err(invalid(
            "HS256 and client_secret_jwt need a client secret of at least 32 bytes",
        ));
    }
    let secret_encrypted = match &secret {
        Some(secret) if hmac_key => Some(
            secret_box
                .encrypt_for(&client_secret_context(&client_id), secret.as_bytes())
                .map_err(|e| invalid(e.to_string()))?,
        ),
        _ => None,
    };
    let client = ClientRecord {
        client_id,
        secret_hash: secret.as_deref().map(sha256_hex),
        secret_encrypted,
        client_name: new.client_name,
        redirect_uris: new.redirect_uris,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        grant_types: grant_types.iter().map(|g| g.as_str().to_string()).collect(),
        response_types: response_types
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        token_endpoint_auth_method: auth_method.as_str().to_string(),
        scopes,
        id_token_signed_response_alg: alg.map(|a| a.as_str().to_string()),
        backchannel_logout_uri: new.backchannel_logout_uri,
        frontchannel_logout_uri: new.frontchannel_logout_uri,
        skip_consent: new.skip_consent,
        metadata: Value::Object(metadata),
        registration_token_hash: None,
        created_at: now,
    };
    store.insert_client(&client).await?;
    Ok((client, secret))
}

/// The registration members kept in the client's metadata object (read back by
/// [`crate::client::Client`]), checked against each other and the authentication method.
fn client_metadata(
    new: &NewClient,
    auth_method: ClientAuthMethod,
    userinfo_alg: Option<SigningAlg>,
) -> Result<Map<String, Value>, AdminError> {
    let public = auth_method == ClientAuthMethod::None;
    let mut metadata = Map::new();
    let mut put = |name: &str, value: Value| {
        metadata.insert(name.to_string(), value);
    };
    if let Some(name) = &new.application_type {
        let value: ApplicationType = name.parse().map_err(invalid)?;
        put(member::APPLICATION_TYPE, value.as_str().into());
    }
    if let Some(name) = &new.id_token_claims {
        let value: IdTokenClaims = name.parse().map_err(invalid)?;
        put(member::ID_TOKEN_CLAIMS, value.as_str().into());
    }
    if let Some(require) = new.require_pkce {
        // RFC 9700 §2.1.1: a public client has nothing but PKCE to bind its code.
        if public && !require {
            return Err(invalid(
                "a public client always uses PKCE (RFC 9700 §2.1.1)",
            ));
        }
        put(member::REQUIRE_PKCE, require.into());
    }
    if new.jwks.is_some() && new.jwks_uri.is_some() {
        return Err(invalid(
            "jwks and jwks_uri must not both be given (RFC 7591 §2)",
        ));
    }
    if let Some(jwks) = &new.jwks {
        if !jwks.get("keys").is_some_and(Value::is_array) {
            return Err(invalid(
                "jwks must be a JWK Set: an object with a keys array",
            ));
        }
        put(member::JWKS, jwks.clone());
    }
    if let Some(uri) = &new.jwks_uri {
        let url = Url::parse(uri).map_err(|_| invalid(format!("jwks_uri {uri:?} is not a URL")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(invalid(format!("jwks_uri {uri:?} is not an http(s) URL")));
        }
        put(member::JWKS_URI, uri.as_str().into());
    }
    let has_keys = new.jwks.is_some() || new.jwks_uri.is_some();
    if auth_method == ClientAuthMethod::PrivateKeyJwt && !has_keys {
        return Err(invalid(
            "private_key_jwt needs the client's keys: jwks or jwks_uri",
        ));
    }
    if let Some(name) = &new.token_endpoint_auth_signing_alg {
        let alg: SigningAlg = name
            .parse()
            .map_err(|_| invalid(format!("unknown signing algorithm {name:?}")))?;
        // RFC 7523 §3 with OIDC Core §9: the secret signs HS256, the client's key the rest.
        let fits = match auth_method {
            ClientAuthMethod::ClientSecretJwt => alg == SigningAlg::HS256,
            ClientAuthMethod::PrivateKeyJwt => alg != SigningAlg::HS256,
            _ => false,
        };
        if !fits {
            return Err(invalid(format!(
                "token_endpoint_auth_signing_alg {name:?} does not fit {auth_method}"
            )));
        }
        put(member::TOKEN_ENDPOINT_AUTH_SIGNING_ALG, alg.as_str().into());
    }
    if let Some(alg) = userinfo_alg {
        put(member::USERINFO_SIGNED_RESPONSE_ALG, alg.as_str().into());
    }
    if let Some(max_age) = new.default_max_age {
        put(member::DEFAULT_MAX_AGE, max_age.into());
    }
    if new.require_auth_time {
        put(member::REQUIRE_AUTH_TIME, true.into());
    }
    Ok(metadata)
}

/// The registrable authentication method names, for the error message.
fn all_auth_methods(caps: &Capabilities) -> Vec<&'static str> {
    use crate::capabilities::WireName;
    ClientAuthMethod::ALL
        .iter()
        .filter(|m| caps.registrable_auth(**m))
        .map(|m| WireName::as_str(m))
        .collect()
}

/// `name` parsed, when the capability table supports it; the error lists what it does.
fn supported<T: std::str::FromStr>(
    what: &str,
    name: &str,
    is_supported: impl Fn(&T) -> bool,
    supported_names: &[&str],
) -> Result<T, AdminError> {
    name.parse::<T>()
        .ok()
        .filter(|value| is_supported(value))
        .ok_or_else(|| invalid(format!("{what} {name:?} is not one of {supported_names:?}")))
}

/// `names` parsed one by one, or `default` when none is given.
fn typed_or_default<T: Copy>(
    names: &[String],
    default: &[T],
    parse: impl Fn(&str) -> Result<T, AdminError>,
) -> Result<Vec<T>, AdminError> {
    if names.is_empty() {
        return Ok(default.to_vec());
    }
    names.iter().map(|name| parse(name)).collect()
}

/// The entropy an operator-chosen client secret must have at least (a generated one has 256
/// bits): enough that guessing it online, even unthrottled, is hopeless.
pub const MIN_SECRET_BITS: f64 = 128.0;

/// Refuses a client secret chosen by an operator whose estimated entropy is below
/// [`MIN_SECRET_BITS`]: e.g. at least 22 base64url or 32 hex characters. The estimate is the
/// length times the bits of the smallest alphabet the characters come from (hex; digits,
/// lower case, upper case and other printable ASCII as classes; anything beyond ASCII counts
/// as 8 bits), so it trusts randomness it cannot check but refuses what is plainly short.
pub fn check_client_secret_strength(secret: &str) -> Result<(), AdminError> {
    let bits = estimated_entropy_bits(secret);
    if bits < MIN_SECRET_BITS {
        return Err(invalid(format!(
            "the client secret is too weak (about {bits:.0} bits; at least {MIN_SECRET_BITS:.0} \
             are needed, e.g. 22 random base64url characters or 32 random hex digits); omit \
             --client-secret to have one generated"
        )));
    }
    Ok(())
}

/// A test for one class of characters (digits, lower case, ...).
type CharClass = fn(&char) -> bool;

/// Length times log2 of the alphabet the characters suggest; 0 for a secret of fewer than
/// 8 distinct characters (`aaaa...`, `abab...`), which no random draw of this length makes.
fn estimated_entropy_bits(secret: &str) -> f64 {
    let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
    if distinct.len() < 8 {
        return 0.0;
    }
    let classes: [(CharClass, u32); 4] = [
        (char::is_ascii_digit, 10),
        (char::is_ascii_lowercase, 26),
        (char::is_ascii_uppercase, 26),
        (|c: &char| !c.is_ascii_alphanumeric(), 33),
    ];
    let present: Vec<u32> = classes
        .iter()
        .filter(|(class, _)| distinct.iter().any(class))
        .map(|(_, size)| *size)
        .collect();
    let base64url = distinct
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    let hex = distinct.iter().all(char::is_ascii_hexdigit)
        && !(distinct.iter().any(char::is_ascii_lowercase)
            && distinct.iter().any(char::is_ascii_uppercase));
    let alphabet: u32 = if hex {
        16
    } else if !secret.is_ascii() {
        256
    } else if base64url && present.len() > 1 {
        64
    } else {
        present.iter().sum()
    };
    secret.chars().count() as f64 * f64::from(alphabet.max(2)).log2()
}

/// Binds a stored client secret to its client: a row's ciphertext cannot be moved to another.
pub fn client_secret_context(client_id: &str) -> Vec<u8> {
    format!("oxid/client-secret/{client_id}").into_bytes()
}

/// RFC 6749 §3.1.2: absolute, no fragment. Plain http only for loopback or native-app schemes
/// are not our business here; RFC 8252 loopback and custom schemes are allowed.
fn check_redirect_uri(uri: &str) -> Result<(), AdminError> {
    let url = Url::parse(uri).map_err(|_| invalid(format!("{uri:?} is not an absolute URI")))?;
    if url.fragment().is_some() {
        return Err(invalid(format!("{uri:?} has a fragment (RFC 6749 §3.1.2)")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use crate::test_support::{T0, provider_with_keys};

    async fn add(adjust: impl FnOnce(&mut NewClient)) -> Result<Client, AdminError> {
        let provider = provider_with_keys(|_| {}).await;
        let mut new = NewClient {
            client_id: "rp".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            ..NewClient::default()
        };
        adjust(&mut new);
        let caps = provider.capabilities();
        let (record, _) =
            add_client(caps, provider.store(), provider.secret_box(), new, T0).await?;
        Ok(Client::from_record(record).expect("a registered client reads back"))
    }

    #[tokio::test]
    async fn registration_members_are_stored_and_read_back() {
        let client = add(|new| {
            new.application_type = Some("native".into());
            new.id_token_claims = Some("minimal".into());
            new.require_pkce = Some(false);
            new.userinfo_signed_response_alg = Some("ES256".into());
            new.default_max_age = Some(300);
            new.require_auth_time = true;
            new.jwks = Some(serde_json::json!({"keys": []}));
        })
        .await
        .unwrap();
        assert_eq!(client.application_type(), ApplicationType::Native);
        assert_eq!(client.id_token_claims(), IdTokenClaims::Minimal);
        assert!(!client.requires_pkce(true));
        assert_eq!(
            client.userinfo_signed_response_alg(),
            Some(SigningAlg::ES256)
        );
        assert_eq!(client.default_max_age(), Some(300));
        assert!(client.require_auth_time());
        assert!(client.jwks().is_some());
        assert!(
            client.record().secret_encrypted.is_none(),
            "no HMAC: hash only"
        );

        let hs = add(|new| new.userinfo_signed_response_alg = Some("HS256".into()));
        let hs = hs.await.unwrap();
        assert!(
            hs.record().secret_encrypted.is_some(),
            "HS256 needs the secret itself"
        );
    }

    #[tokio::test]
    async fn inconsistent_members_are_refused_with_the_reason() {
        type Adjust = fn(&mut NewClient);
        let cases: [(Adjust, &str); 6] = [
            (
                |n| n.application_type = Some("desktop".into()),
                "application_type",
            ),
            (
                |n| n.id_token_claims = Some("all".into()),
                "id_token_claims",
            ),
            (
                |n| {
                    n.public = true;
                    n.require_pkce = Some(false);
                },
                "RFC 9700",
            ),
            (
                |n| {
                    n.jwks = Some(serde_json::json!({"keys": []}));
                    n.jwks_uri = Some("https://rp.example/jwks".into());
                },
                "both",
            ),
            (|n| n.jwks = Some(serde_json::json!([])), "JWK Set"),
            (
                |n| n.token_endpoint_auth_signing_alg = Some("RS256".into()),
                "does not fit client_secret_basic",
            ),
        ];
        for (adjust, expected) in cases {
            let err = add(adjust).await.unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        let err = add(|n| {
            n.public = true;
            n.userinfo_signed_response_alg = Some("HS256".into());
        });
        assert!(err.await.unwrap_err().to_string().contains("UserInfo"));
    }

    #[test]
    fn weak_operator_secrets_are_refused_strong_ones_accepted() {
        for weak in [
            "abc",
            "secret",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "0123456789abcdef",
        ] {
            let err = check_client_secret_strength(weak).unwrap_err();
            assert!(err.to_string().contains("too weak"), "{weak}: {err}");
        }
        for strong in [
            "Zm9vYmFyYmF6cXV4MTIzND",           // 22 base64url characters
            "9f86d081884c7d659a2feaa0c55ad015", // 32 hex digits
            &random_token(),
            "s+e/c=r:e%t &x?#Zm9vYmFyYmF6cXV4",
        ] {
            check_client_secret_strength(strong).unwrap();
        }
    }
}
