//! The device authorization grant's provider side (RFC 8628), apart from HTTP: the device
//! authorization request (§3.1, §3.2), user codes (§6.1), the lookup of a typed user code,
//! throttled per client address and over all addresses (§5.1), and the user's answer on the
//! verification page. The token endpoint's side is `grants::device_code`.

use oxid_protocol::device::{DeviceAuthorizationRequest, DeviceAuthorizationResponse};
use oxid_protocol::params::encode_pairs;
use oxid_store::{
    DeviceApproval, DeviceDecision, DeviceGrantRecord, DeviceState, SessionRecord, StoreError,
};
use std::net::IpAddr;

use crate::capabilities::GrantType;
use crate::client_auth::VerifiedClient;
use crate::crypto::secrets::{fill_random, new_grant_id, random_token, sha256_hex};
use crate::discovery::paths;
use crate::error::OAuthError;
use crate::state::Provider;
use crate::throttle::{Locked, Subject, current_lock, record_failure};

/// User code letters: consonants only (no vowels, so no words; no look-alike digits), as
/// RFC 8628 §6.1 suggests. 20 letters, 8 of them: about 34 bits.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Letters in a user code (shown as two groups of four).
pub const USER_CODE_LENGTH: usize = 8;
/// Seconds both codes live (RFC 8628 §3.2 `expires_in`).
pub const DEVICE_CODE_TTL: u64 = 600;
/// Seconds the device waits between polls at first (RFC 8628 §3.2 `interval`).
pub const POLL_INTERVAL: u64 = 5;

/// A new user code in its normal form (8 letters, no dash).
pub fn new_user_code() -> String {
    let mut code = String::with_capacity(USER_CODE_LENGTH);
    while code.len() < USER_CODE_LENGTH {
        let mut byte = [0u8; 1];
        fill_random(&mut byte);
        // 240 = 12 × 20: rejecting the rest keeps every letter equally likely.
        if byte[0] < 240 {
            code.push(char::from(USER_CODE_ALPHABET[usize::from(byte[0] % 20)]));
        }
    }
    code
}

/// A user code as shown: `WDJB-MJHT`.
pub fn display_user_code(normal: &str) -> String {
    let (head, tail) = normal.split_at(normal.len().min(USER_CODE_LENGTH / 2));
    format!("{head}-{tail}")
}

/// A typed user code in its normal form: case-insensitive, dashes and spaces ignored
/// (RFC 8628 §6.1); `None` when it cannot be a user code.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LENGTH && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// RFC 8628 §3.1–§3.2: a device code and user code for `client`, for the scopes it may have.
pub async fn authorize_device(
    provider: &Provider,
    client: &VerifiedClient,
    request: &DeviceAuthorizationRequest,
) -> Result<DeviceAuthorizationResponse, OAuthError> {
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(OAuthError::unauthorized_client(
            "this client is not registered for the device authorization grant",
        ));
    }
    let scopes = crate::grants::client_scopes(client, request.scope.as_ref())?;
    let now = provider.now();
    let device_code = random_token();
    // A user code already in use is drawn again; a few tries make a repeat collision
    // vanishingly unlikely with 20^8 codes.
    for _ in 0..4 {
        let user_code = new_user_code();
        let record = DeviceGrantRecord {
            device_code_hash: sha256_hex(&device_code),
            user_code_hash: sha256_hex(&user_code),
            grant_id: new_grant_id(),
            client_id: client.id().to_string(),
            scopes: scopes.clone(),
            interval: POLL_INTERVAL,
            last_polled_at: None,
            expires_at: now + DEVICE_CODE_TTL,
            state: DeviceState::Pending,
        };
        match provider.store().insert_device_grant(&record).await {
            Ok(()) => return Ok(response(provider, device_code, &user_code)),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OAuthError::server("no free user code after 4 tries"))
}

fn response(
    provider: &Provider,
    device_code: String,
    user_code: &str,
) -> DeviceAuthorizationResponse {
    let shown = display_user_code(user_code);
    let verification_uri = provider.config().endpoint(paths::DEVICE);
    let complete = format!(
        "{verification_uri}?{}",
        encode_pairs([("user_code", shown.as_str())])
    );
    DeviceAuthorizationResponse {
        device_code,
        user_code: shown,
        verification_uri,
        verification_uri_complete: Some(complete),
        expires_in: DEVICE_CODE_TTL,
        interval: Some(POLL_INTERVAL),
        extra: Default::default(),
    }
}

/// What a user code typed on the verification page finds.
#[derive(Debug)]
pub enum UserCodeLookup {
    /// A pending request: the page goes on to login and confirmation.
    Found(Box<DeviceGrantRecord>),
    /// No pending request has this code (counted as a failure).
    Wrong,
    /// Too many wrong codes from this address, or from everywhere: refused unchecked.
    Locked(Locked),
}

/// The throttled subjects of a user code typed at `peer` (RFC 8628 §5.1).
fn subjects(peer: Option<IpAddr>) -> Vec<Subject<'static>> {
    std::iter::once(Subject::UserCodes)
        .chain(peer.map(Subject::UserCodeAddress))
        .collect()
}

/// Looks up the pending request of a user code typed at `peer`. Wrong codes are counted per
/// address and over all addresses; a locked subject is refused before the lookup.
pub async fn find_user_code(
    provider: &Provider,
    typed: &str,
    peer: Option<IpAddr>,
) -> Result<UserCodeLookup, OAuthError> {
    let subjects = subjects(peer);
    if let Some(locked) = current_lock(provider, &subjects).await? {
        return Ok(UserCodeLookup::Locked(locked));
    }
    let found = match normalize_user_code(typed) {
        Some(code) => {
            let store = provider.store();
            store
                .pending_device_grant(&sha256_hex(&code), provider.now())
                .await?
        }
        None => None,
    };
    match found {
        Some(record) => Ok(UserCodeLookup::Found(Box::new(record))),
        None => match record_failure(provider, &subjects).await? {
            Some(locked) => Ok(UserCodeLookup::Locked(locked)),
            None => Ok(UserCodeLookup::Wrong),
        },
    }
}

/// Records the answer of the user signed in with `session` to the request whose user code
/// hashes to `user_code_hash`; false when it is no longer pending (expired or answered).
pub async fn answer_device(
    provider: &Provider,
    user_code_hash: &str,
    session: &SessionRecord,
    allow: bool,
) -> Result<bool, OAuthError> {
    let decision = if allow {
        DeviceDecision::Approve(DeviceApproval {
            user_id: session.user_id.clone(),
            sid: Some(session.sid.clone()),
            auth_time: session.auth_time,
            acr: session.acr.clone(),
            amr: session.amr.clone(),
        })
    } else {
        DeviceDecision::Deny
    };
    let store = provider.store();
    let pending = store
        .pending_device_grant(user_code_hash, provider.now())
        .await?;
    let decided = store
        .decide_device_grant(user_code_hash, &decision, provider.now())
        .await?;
    if let (true, true, Some(pending)) = (decided, allow, pending) {
        // Logout reaches the device's client too, as it does a code flow's.
        store
            .add_session_client(&session.sid, &pending.client_id)
            .await?;
    }
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_unambiguous_letters_rfc8628_6_1() {
        for _ in 0..200 {
            let code = new_user_code();
            assert_eq!(code.len(), USER_CODE_LENGTH);
            assert!(
                code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)),
                "{code}"
            );
            assert_eq!(normalize_user_code(&display_user_code(&code)), Some(code));
        }
        assert_ne!(new_user_code(), new_user_code());
    }

    #[tokio::test]
    async fn wrong_codes_lock_their_address_and_not_another_rfc8628_5_1() {
        let provider = crate::test_support::provider_with_keys(|s| {
            s.throttle.max_failures_before_delay = 3;
            s.throttle.max_failures_before_lock = 3;
            s.throttle.delay_ms = 1;
        })
        .await;
        let (a, b) = ("192.0.2.1".parse().ok(), "192.0.2.2".parse().ok());
        for _ in 0..2 {
            let found = find_user_code(&provider, "BCDF-GHJK", a).await.unwrap();
            assert!(matches!(found, UserCodeLookup::Wrong), "{found:?}");
        }
        let third = find_user_code(&provider, "not a code", a).await.unwrap();
        assert!(matches!(third, UserCodeLookup::Locked(_)), "{third:?}");
        let locked = find_user_code(&provider, "BCDF-GHJK", a).await.unwrap();
        assert!(matches!(locked, UserCodeLookup::Locked(_)));
        let other = find_user_code(&provider, "BCDF-GHJK", b).await.unwrap();
        assert!(matches!(other, UserCodeLookup::Wrong), "{other:?}");
    }

    #[test]
    fn typed_codes_ignore_case_dashes_and_spaces_and_refuse_other_letters_rfc8628_6_1() {
        assert_eq!(normalize_user_code("wdjb-mjht"), Some("WDJBMJHT".into()));
        assert_eq!(normalize_user_code(" WDJB MJHT "), Some("WDJBMJHT".into()));
        assert_eq!(display_user_code("WDJBMJHT"), "WDJB-MJHT");
        assert_eq!(normalize_user_code("WDJB-MJH"), None, "too short");
        assert_eq!(
            normalize_user_code("WDJB-MJHA"),
            None,
            "a vowel is never in a code"
        );
        assert_eq!(normalize_user_code("WDJB-MJH0"), None);
        assert_eq!(normalize_user_code(""), None);
    }
}
