//! Device authorization grants (RFC 8628): the records, and the one polling rule both
//! backends apply inside one transaction (row-locked on PostgreSQL, the single writer on
//! SQLite), so concurrent polls see each other and a grant is handed out once.

use serde::{Deserialize, Serialize};

/// Who approved a device grant, and how they had signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceApproval {
    /// The user who approved.
    pub user_id: String,
    /// The session `sid` they approved in.
    pub sid: Option<String>,
    /// When they logged in.
    pub auth_time: u64,
    /// `acr` met.
    pub acr: Option<String>,
    /// `amr` used.
    pub amr: Vec<String>,
}

/// Where a device grant stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceState {
    /// Waiting for the user.
    Pending,
    /// The user refused.
    Denied,
    /// The user approved; the device has not collected its tokens yet.
    Approved(DeviceApproval),
    /// The device collected its tokens: the device code grants nothing more.
    Granted(DeviceApproval),
}

impl DeviceState {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeviceState::Pending => "pending",
            DeviceState::Denied => "denied",
            DeviceState::Approved(_) => "approved",
            DeviceState::Granted(_) => "granted",
        }
    }

    /// The approval, once there is one.
    pub fn approval(&self) -> Option<&DeviceApproval> {
        match self {
            DeviceState::Approved(a) | DeviceState::Granted(a) => Some(a),
            DeviceState::Pending | DeviceState::Denied => None,
        }
    }
}

/// A device authorization request (RFC 8628 §3.1) and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceGrantRecord {
    /// `sha256(device_code)`.
    pub device_code_hash: String,
    /// `sha256(user_code)`, of the user code in its normal form; unique.
    pub user_code_hash: String,
    /// The grant (token family) the tokens will carry.
    pub grant_id: String,
    /// The client that asked.
    pub client_id: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// Seconds the device must wait between polls (RFC 8628 §3.2 `interval`).
    pub interval: u64,
    /// When the device last polled.
    pub last_polled_at: Option<u64>,
    /// When both codes expire.
    pub expires_at: u64,
    /// Where it stands.
    pub state: DeviceState,
}

/// The user's answer on the verification page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceDecision {
    /// Approved by this user.
    Approve(DeviceApproval),
    /// Refused.
    Deny,
}

/// What a poll of the token endpoint finds (RFC 8628 §3.5).
// Returned once per call and matched at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// `authorization_pending`.
    Pending,
    /// `slow_down`: polled sooner than the interval, which is now this many seconds.
    SlowDown {
        /// The new interval.
        interval: u64,
    },
    /// `access_denied`.
    Denied,
    /// `expired_token`.
    Expired,
    /// Approved, and handed out by this poll only (now `Granted`).
    Approved(DeviceGrantRecord),
    /// The tokens were handed out before.
    AlreadyGranted,
    /// No such device code for this client.
    NotFound,
}

/// Seconds added to the interval at each `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: u64 = 5;

/// What a poll at `now` finds, and the record to write back when the poll changes it.
pub(crate) fn poll(record: DeviceGrantRecord, now: u64) -> (DevicePoll, Option<DeviceGrantRecord>) {
    if now >= record.expires_at {
        return (DevicePoll::Expired, None);
    }
    match record.state.clone() {
        DeviceState::Granted(_) => (DevicePoll::AlreadyGranted, None),
        DeviceState::Denied => (DevicePoll::Denied, None),
        DeviceState::Approved(approval) => {
            let granted = DeviceGrantRecord {
                state: DeviceState::Granted(approval),
                last_polled_at: Some(now),
                ..record.clone()
            };
            (DevicePoll::Approved(record), Some(granted))
        }
        DeviceState::Pending => {
            let too_soon = record
                .last_polled_at
                .is_some_and(|last| now < last.saturating_add(record.interval));
            let interval = if too_soon {
                record.interval.saturating_add(SLOW_DOWN_STEP)
            } else {
                record.interval
            };
            let polled = DeviceGrantRecord {
                interval,
                last_polled_at: Some(now),
                ..record
            };
            let answer = if too_soon {
                DevicePoll::SlowDown { interval }
            } else {
                DevicePoll::Pending
            };
            (answer, Some(polled))
        }
    }
}
