//! One chunk of the expired-row sweep (crate::purge): one short transaction.

use sqlx::PgPool;

use super::errors::backend;
use crate::StoreResult;
use crate::purge::EXPIRING;

/// Deletes at most `limit` expired rows (table after table, then session-client links whose
/// session is gone) in one transaction and returns how many went.
pub(super) async fn chunk(pool: &PgPool, now: i64, limit: u64) -> StoreResult<u64> {
    let mut tx = pool.begin().await.map_err(backend)?;
    let mut left = limit;
    for (table, key) in EXPIRING {
        if left == 0 {
            break;
        }
        let sql = format!(
            "DELETE FROM {table} WHERE {key} IN \
             (SELECT {key} FROM {table} WHERE expires_at <= $1 LIMIT $2)"
        );
        let done = sqlx::query(&sql)
            .bind(now)
            .bind(to_limit(left))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        left = left.saturating_sub(done.rows_affected());
    }
    if left > 0 {
        let done = sqlx::query(
            "DELETE FROM session_clients WHERE (sid, client_id) IN \
             (SELECT sc.sid, sc.client_id FROM session_clients sc \
              WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.sid = sc.sid) LIMIT $1)",
        )
        .bind(to_limit(left))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        left = left.saturating_sub(done.rows_affected());
    }
    tx.commit().await.map_err(backend)?;
    Ok(limit - left)
}

/// A row count as PostgreSQL's bigint.
fn to_limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
