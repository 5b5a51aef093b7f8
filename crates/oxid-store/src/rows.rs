//! Conversions shared by both backends: times, lists, JSON, enums, and the mapping
//! from a result row to each record.

use crate::{
    ClientRecord, CodeRecord, ConsentRecord, ExchangedGrantRecord, KeyRecord, KeyState,
    SessionRecord, StoreError, StoreResult, TokenKind, TokenRecord, UserRecord,
};
use serde_json::Value;

/// A time for the database: seconds fit an `i64` for the next 292 billion years; larger
/// values are clamped rather than wrapped.
pub(crate) fn to_db(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

/// An optional time for the database.
pub(crate) fn opt_to_db(t: Option<u64>) -> Option<i64> {
    t.map(to_db)
}

/// A time from the database; negative values (never written by us) read as 0.
pub(crate) fn from_db(t: i64) -> u64 {
    u64::try_from(t).unwrap_or(0)
}

/// A JSON value as text.
pub(crate) fn json_text(v: &Value) -> String {
    v.to_string()
}

/// A list of strings as JSON text (SQLite): the text `Value::to_string` gives, written
/// straight from the strings (no copy of the list into a `Value` first).
pub(crate) fn list_text(v: &[String]) -> String {
    // Serializing strings into a `String` cannot fail; the fallback only avoids a panic path.
    serde_json::to_string(v).unwrap_or_else(|_| Value::from(v.to_vec()).to_string())
}

fn parse_json(col: &str, text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("column {col}: {e}")))
}

/// Parses a stored token kind.
pub(crate) fn token_kind(s: &str) -> StoreResult<TokenKind> {
    match s {
        "access" => Ok(TokenKind::Access),
        "refresh" => Ok(TokenKind::Refresh),
        other => Err(StoreError::Backend(format!("unknown token kind {other:?}"))),
    }
}

/// Parses a stored key state.
pub(crate) fn key_state(s: &str) -> StoreResult<KeyState> {
    match s {
        "next" => Ok(KeyState::Next),
        "current" => Ok(KeyState::Current),
        "retired" => Ok(KeyState::Retired),
        other => Err(StoreError::Backend(format!("unknown key state {other:?}"))),
    }
}

/// Typed column access over a backend's row type, so the record mapping is written once.
pub(crate) trait Columns {
    /// A non-null text column.
    fn text(&self, col: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    /// A non-null integer column.
    fn int(&self, col: &str) -> StoreResult<i64>;
    /// A nullable integer column.
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    /// A boolean column.
    fn flag(&self, col: &str) -> StoreResult<bool>;
    /// A nullable byte-array column.
    fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>>;
    /// A list of strings column.
    fn list(&self, col: &str) -> StoreResult<Vec<String>>;

    /// A non-null time column.
    fn time(&self, col: &str) -> StoreResult<u64> {
        self.int(col).map(from_db)
    }
    /// A nullable time column.
    fn opt_time(&self, col: &str) -> StoreResult<Option<u64>> {
        Ok(self.opt_int(col)?.map(from_db))
    }
    /// A non-null JSON column (selected as text).
    fn json(&self, col: &str) -> StoreResult<Value> {
        parse_json(col, &self.text(col)?)
    }
    /// A nullable JSON column (selected as text).
    fn opt_json(&self, col: &str) -> StoreResult<Option<Value>> {
        self.opt_text(col)?.map(|t| parse_json(col, &t)).transpose()
    }
    /// A non-null byte-array column.
    fn bytes(&self, col: &str) -> StoreResult<Vec<u8>> {
        self.opt_bytes(col)?
            .ok_or_else(|| StoreError::Backend(format!("column {col} is null")))
    }
}

/// A row of `clients`.
pub(crate) fn client(r: &impl Columns) -> StoreResult<ClientRecord> {
    Ok(ClientRecord {
        client_id: r.text("client_id")?,
        secret_hash: r.opt_text("secret_hash")?,
        secret_encrypted: r.opt_bytes("secret_encrypted")?,
        client_name: r.opt_text("client_name")?,
        redirect_uris: r.list("redirect_uris")?,
        post_logout_redirect_uris: r.list("post_logout_redirect_uris")?,
        grant_types: r.list("grant_types")?,
        response_types: r.list("response_types")?,
        token_endpoint_auth_method: r.text("token_endpoint_auth_method")?,
        scopes: r.list("scopes")?,
        id_token_signed_response_alg: r.opt_text("id_token_signed_response_alg")?,
        backchannel_logout_uri: r.opt_text("backchannel_logout_uri")?,
        frontchannel_logout_uri: r.opt_text("frontchannel_logout_uri")?,
        skip_consent: r.flag("skip_consent")?,
        metadata: r.json("metadata")?,
        registration_token_hash: r.opt_text("registration_token_hash")?,
        created_at: r.time("created_at")?,
    })
}

/// The columns [`user`] reads, in its order (see [`TOKEN_COLUMNS`]).
pub(crate) const USER_COLUMNS: &[&str] = &[
    "id",
    "username",
    "password_hash",
    "claims",
    "created_at",
    "updated_at",
];

/// A row of `users`.
pub(crate) fn user(r: &impl Columns) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: r.text("id")?,
        username: r.text("username")?,
        password_hash: r.text("password_hash")?,
        claims: r.json("claims")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// A row of `sessions`.
pub(crate) fn session(r: &impl Columns) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: r.text("id_hash")?,
        sid: r.text("sid")?,
        user_id: r.text("user_id")?,
        auth_time: r.time("auth_time")?,
        amr: r.list("amr")?,
        acr: r.opt_text("acr")?,
        expires_at: r.time("expires_at")?,
    })
}

/// A row of `consents`.
pub(crate) fn consent(r: &impl Columns) -> StoreResult<ConsentRecord> {
    Ok(ConsentRecord {
        user_id: r.text("user_id")?,
        client_id: r.text("client_id")?,
        scopes: r.list("scopes")?,
        granted_at: r.time("granted_at")?,
    })
}

/// A row of `codes`.
pub(crate) fn code(r: &impl Columns) -> StoreResult<CodeRecord> {
    Ok(CodeRecord {
        code_hash: r.text("code_hash")?,
        grant_id: r.text("grant_id")?,
        client_id: r.text("client_id")?,
        user_id: r.text("user_id")?,
        redirect_uri: r.opt_text("redirect_uri")?,
        scopes: r.list("scopes")?,
        nonce: r.opt_text("nonce")?,
        code_challenge: r.opt_text("code_challenge")?,
        code_challenge_method: r.opt_text("code_challenge_method")?,
        sid: r.opt_text("sid")?,
        auth_time: r.time("auth_time")?,
        acr: r.opt_text("acr")?,
        amr: r.list("amr")?,
        claims_request: r.opt_json("claims_request")?,
        resource: r.opt_text("resource")?,
        expires_at: r.time("expires_at")?,
        dpop_jkt: r.opt_text("dpop_jkt")?,
    })
}

/// The columns [`token`] reads, in its order: the select list of the token reads that name
/// them (SQLite's `Listed`, which then finds each at the first look).
pub(crate) const TOKEN_COLUMNS: &[&str] = &[
    "token_hash",
    "kind",
    "grant_id",
    "client_id",
    "user_id",
    "scopes",
    "sid",
    "auth_time",
    "claims_request",
    "audience",
    "grant_expires_at",
    "issued_at",
    "expires_at",
    "consumed_at",
    "revoked_at",
    "dpop_jkt",
];

/// A row of `tokens`.
pub(crate) fn token(r: &impl Columns) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        token_hash: r.text("token_hash")?,
        kind: token_kind(&r.text("kind")?)?,
        grant_id: r.text("grant_id")?,
        client_id: r.text("client_id")?,
        user_id: r.opt_text("user_id")?,
        scopes: r.list("scopes")?,
        sid: r.opt_text("sid")?,
        auth_time: r.opt_time("auth_time")?,
        claims_request: r.opt_json("claims_request")?,
        audience: r.opt_text("audience")?,
        grant_expires_at: r.opt_time("grant_expires_at")?,
        issued_at: r.time("issued_at")?,
        expires_at: r.time("expires_at")?,
        consumed_at: r.opt_time("consumed_at")?,
        revoked_at: r.opt_time("revoked_at")?,
        dpop_jkt: r.opt_text("dpop_jkt")?,
    })
}

/// A row of `signing_keys`.
pub(crate) fn key(r: &impl Columns) -> StoreResult<KeyRecord> {
    Ok(KeyRecord {
        kid: r.text("kid")?,
        alg: r.text("alg")?,
        private_key_encrypted: r.bytes("private_key_encrypted")?,
        state: key_state(&r.text("state")?)?,
        created_at: r.time("created_at")?,
        activated_at: r.opt_time("activated_at")?,
        retired_at: r.opt_time("retired_at")?,
        expires_at: r.opt_time("expires_at")?,
    })
}

/// A row of `device_grants`.
pub(crate) fn device_grant(r: &impl Columns) -> StoreResult<crate::DeviceGrantRecord> {
    use crate::{DeviceApproval, DeviceState};
    let approval = || -> StoreResult<DeviceApproval> {
        let missing = || StoreError::Backend("device grant decided without its user".into());
        Ok(DeviceApproval {
            user_id: r.opt_text("user_id")?.ok_or_else(missing)?,
            sid: r.opt_text("sid")?,
            auth_time: r.opt_time("auth_time")?.ok_or_else(missing)?,
            acr: r.opt_text("acr")?,
            amr: r.list("amr")?,
        })
    };
    let state = match r.text("state")?.as_str() {
        "pending" => DeviceState::Pending,
        "denied" => DeviceState::Denied,
        "approved" => DeviceState::Approved(approval()?),
        "granted" => DeviceState::Granted(approval()?),
        other => {
            return Err(StoreError::Backend(format!(
                "unknown device grant state {other:?}"
            )));
        }
    };
    Ok(crate::DeviceGrantRecord {
        device_code_hash: r.text("device_code_hash")?,
        user_code_hash: r.text("user_code_hash")?,
        grant_id: r.text("grant_id")?,
        client_id: r.text("client_id")?,
        scopes: r.list("scopes")?,
        interval: r.time("poll_interval")?,
        last_polled_at: r.opt_time("last_polled_at")?,
        expires_at: r.time("expires_at")?,
        state,
    })
}

/// The columns [`exchanged_grant`] reads, in its order (see [`TOKEN_COLUMNS`]).
pub(crate) const EXCHANGED_GRANT_COLUMNS: &[&str] = &["grant_id", "audiences", "act", "expires_at"];

/// A row of `exchanged_grants`.
pub(crate) fn exchanged_grant(r: &impl Columns) -> StoreResult<ExchangedGrantRecord> {
    Ok(ExchangedGrantRecord {
        grant_id: r.text("grant_id")?,
        audiences: r.list("audiences")?,
        act: r.opt_json("act")?,
        expires_at: r.time("expires_at")?,
    })
}

/// A row of `pushed_requests`.
pub(crate) fn pushed_request(r: &impl Columns) -> StoreResult<crate::PushedRequestRecord> {
    Ok(crate::PushedRequestRecord {
        request_uri_hash: r.text("request_uri_hash")?,
        client_id: r.text("client_id")?,
        params: r.text("params")?,
        expires_at: r.time("expires_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Columns that record the names asked for, with a value each mapping accepts.
    #[derive(Default)]
    struct Recorder(RefCell<Vec<String>>);

    impl Recorder {
        fn seen(&self, col: &str) {
            self.0.borrow_mut().push(col.to_string());
        }
    }

    impl Columns for Recorder {
        fn text(&self, col: &str) -> StoreResult<String> {
            self.seen(col);
            Ok(if col == "kind" { "access" } else { "{}" }.to_string())
        }
        fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
            self.seen(col);
            Ok(None)
        }
        fn int(&self, col: &str) -> StoreResult<i64> {
            self.seen(col);
            Ok(0)
        }
        fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
            self.seen(col);
            Ok(None)
        }
        fn flag(&self, col: &str) -> StoreResult<bool> {
            self.seen(col);
            Ok(false)
        }
        fn opt_bytes(&self, col: &str) -> StoreResult<Option<Vec<u8>>> {
            self.seen(col);
            Ok(None)
        }
        fn list(&self, col: &str) -> StoreResult<Vec<String>> {
            self.seen(col);
            Ok(Vec::new())
        }
    }

    #[test]
    fn the_column_lists_are_what_the_mappings_read_in_order() {
        let read = |map: &dyn Fn(&Recorder) -> bool| {
            let recorder = Recorder::default();
            assert!(map(&recorder));
            recorder.0.into_inner()
        };
        assert_eq!(read(&|r| token(r).is_ok()), TOKEN_COLUMNS);
        assert_eq!(read(&|r| user(r).is_ok()), USER_COLUMNS);
        assert_eq!(
            read(&|r| exchanged_grant(r).is_ok()),
            EXCHANGED_GRANT_COLUMNS
        );
    }

    #[test]
    fn list_text_is_the_json_array_of_the_strings() {
        let lists: [&[&str]; 3] = [&[], &["read:records"], &["a\"b", "é\\\n", "openid"]];
        for list in lists {
            let owned: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            let text = list_text(&owned);
            assert_eq!(text, Value::from(owned.clone()).to_string());
            let back: Vec<String> = serde_json::from_str(&text).unwrap();
            assert_eq!(back, owned);
        }
    }
}
