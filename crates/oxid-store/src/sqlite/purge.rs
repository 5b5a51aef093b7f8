//! One chunk of the expired-row sweep (crate::purge) on the writer thread: one job, so one
//! short stretch of the writer between the requests' writes.

use rusqlite::{Connection, params};

use super::{exec, sql_err};
use crate::StoreResult;
use crate::purge::EXPIRING;

/// Deletes at most `limit` expired rows (table after table, then session-client links whose
/// session is gone) and returns how many went.
pub(super) fn chunk(conn: &Connection, now: i64, limit: u64) -> StoreResult<u64> {
    let mut left = limit;
    for (table, key) in EXPIRING {
        if left == 0 {
            return Ok(limit);
        }
        let sql = format!(
            "DELETE FROM {table} WHERE {key} IN \
             (SELECT {key} FROM {table} WHERE expires_at <= ?1 LIMIT ?2)"
        );
        let gone = exec(conn, &sql, params![now, to_limit(left)]).map_err(sql_err)?;
        left = left.saturating_sub(gone as u64);
    }
    if left > 0 {
        let gone = exec(
            conn,
            "DELETE FROM session_clients WHERE rowid IN (SELECT rowid FROM session_clients \
             WHERE sid NOT IN (SELECT sid FROM sessions) LIMIT ?1)",
            [to_limit(left)],
        )
        .map_err(sql_err)?;
        left = left.saturating_sub(gone as u64);
    }
    Ok(limit - left)
}

/// A row count as SQLite's integer.
fn to_limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
