//! sqlx errors as store errors. What says "the database cannot be reached right now" (pool
//! timeout, I/O, closed pool, a server shutting down) is `Unavailable`, so clients get 503
//! and retry; what says "this statement failed" stays `Backend` or `Conflict`.

use crate::StoreError;

/// SQLSTATEs of a server that cannot serve this session: class 08 (connection exception),
/// `57P01`..`57P03` (shutdown, crash, not yet accepting) and `53300` (too many connections).
fn is_outage_state(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// Whether `e` means the database is unreachable or unusable rather than the query wrong.
pub(crate) fn is_outage(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|code| is_outage_state(&code)),
        _ => false,
    }
}

/// Maps any database error: outages to `Unavailable`, foreign-key failures (the client or
/// user a row refers to is gone) to `MissingReference`, the rest to `Backend`.
pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && d.is_foreign_key_violation()
    {
        StoreError::MissingReference(e.to_string())
    } else if is_outage(&e) {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Backend(e.to_string())
    }
}

/// Like [`backend`], with unique violations as `Conflict(what)`.
pub(crate) fn db_err(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what.into()),
        _ => backend(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_outages_and_statement_failures_are_not() {
        assert!(is_outage(&sqlx::Error::PoolTimedOut));
        assert!(is_outage(&sqlx::Error::PoolClosed));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            backend(sqlx::Error::Io(refused)),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            backend(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
        assert!(matches!(
            db_err("client")(sqlx::Error::ColumnNotFound("x".into())),
            StoreError::Backend(_)
        ));
        for state in ["08006", "08001", "57P01", "57P03", "53300"] {
            assert!(is_outage_state(state), "{state}");
        }
        for state in ["23505", "23503", "42P01", "40001"] {
            assert!(!is_outage_state(state), "{state}");
        }
    }
}
