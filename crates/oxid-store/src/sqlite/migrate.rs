//! Schema migrations for SQLite, compatible with the databases earlier versions made through
//! sqlx: the applied versions live in sqlx's `_sqlx_migrations` table, with the same
//! description and SHA-384 checksum sqlx records, so an existing `oxid.db` opens without
//! running anything again (and sqlx would accept a database migrated here).
//!
//! Everything runs in one `BEGIN IMMEDIATE` transaction that re-reads the applied versions
//! after taking the write lock: two processes migrating one new file at once take turns, and
//! the second finds nothing left to do.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha384};
use std::time::Instant;

use super::sql_err;
use crate::{StoreError, StoreResult};

/// One migration file of `migrations/sqlite`.
struct Migration {
    version: i64,
    /// The file name after the version, underscores as spaces (as sqlx records it).
    description: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. A new file is added here too.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "init",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        description: "tokens without rowid",
        sql: include_str!("../../migrations/sqlite/0002_tokens_without_rowid.sql"),
    },
    Migration {
        version: 3,
        description: "used interactions",
        sql: include_str!("../../migrations/sqlite/0003_used_interactions.sql"),
    },
    Migration {
        version: 4,
        description: "failure counters",
        sql: include_str!("../../migrations/sqlite/0004_failure_counters.sql"),
    },
    Migration {
        version: 5,
        description: "used assertions",
        sql: include_str!("../../migrations/sqlite/0005_used_assertions.sql"),
    },
    Migration {
        version: 7,
        description: "token claims request",
        sql: include_str!("../../migrations/sqlite/0007_token_claims_request.sql"),
    },
    Migration {
        version: 9,
        description: "device grants",
        sql: include_str!("../../migrations/sqlite/0009_device_grants.sql"),
    },
    Migration {
        version: 10,
        description: "api tokens",
        sql: include_str!("../../migrations/sqlite/0010_api_tokens.sql"),
    },
    Migration {
        version: 11,
        description: "bearer grants",
        sql: include_str!("../../migrations/sqlite/0011_bearer_grants.sql"),
    },
    Migration {
        version: 13,
        description: "logout outbox",
        sql: include_str!("../../migrations/sqlite/0013_logout_outbox.sql"),
    },
    Migration {
        version: 15,
        description: "key rotation cas",
        sql: include_str!("../../migrations/sqlite/0015_key_rotation_cas.sql"),
    },
    Migration {
        version: 18,
        description: "pushed requests",
        sql: include_str!("../../migrations/sqlite/0018_pushed_requests.sql"),
    },
    Migration {
        version: 19,
        description: "token dpop jkt",
        sql: include_str!("../../migrations/sqlite/0019_token_dpop_jkt.sql"),
    },
    Migration {
        version: 24,
        description: "code dpop jkt",
        sql: include_str!("../../migrations/sqlite/0024_code_dpop_jkt.sql"),
    },
    Migration {
        version: 27,
        description: "delivery retention",
        sql: include_str!("../../migrations/sqlite/0027_delivery_retention.sql"),
    },
    Migration {
        version: 28,
        description: "users email nocase",
        sql: include_str!("../../migrations/sqlite/0028_users_email_nocase.sql"),
    },
    Migration {
        version: 29,
        description: "tokens fewer random index pages",
        sql: include_str!("../../migrations/sqlite/0029_tokens_fewer_random_index_pages.sql"),
    },
];

/// sqlx's bookkeeping table, as sqlx creates it.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations ( \
     version BIGINT PRIMARY KEY, \
     description TEXT NOT NULL, \
     installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, \
     success BOOLEAN NOT NULL, \
     checksum BLOB NOT NULL, \
     execution_time BIGINT NOT NULL)";

/// Brings the schema up to date; a no-op when it is.
pub(super) fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_err)?;
    let outcome = apply_missing(conn);
    let end = if outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = conn.execute_batch(end).map_err(sql_err);
    outcome.and(ended)
}

fn apply_missing(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(CREATE_TABLE).map_err(sql_err)?;
    for m in MIGRATIONS {
        let checksum = Sha384::digest(m.sql.as_bytes()).to_vec();
        let applied: Option<(bool, Vec<u8>)> = conn
            .query_row(
                "SELECT success, checksum FROM _sqlx_migrations WHERE version = ?",
                [m.version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql_err)?;
        match applied {
            Some((true, recorded)) if recorded == checksum => continue,
            Some((true, _)) => {
                return Err(failed(m, "was applied with different contents"));
            }
            Some((false, _)) => return Err(failed(m, "failed part-way earlier (dirty)")),
            None => {}
        }
        let started = Instant::now();
        conn.execute_batch(m.sql)
            .map_err(|e| failed(m, &e.to_string()))?;
        let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        conn.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (?, ?, TRUE, ?, ?)",
            params![m.version, m.description, checksum, nanos],
        )
        .map_err(sql_err)?;
    }
    Ok(())
}

fn failed(m: &Migration, why: &str) -> StoreError {
    StoreError::Backend(format!(
        "migration failed: {} ({}) {why}",
        m.version, m.description
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_")))
            .collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM _sqlx_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        assert!(conn.is_autocommit());
    }

    #[test]
    fn a_changed_or_dirty_migration_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        conn.execute(
            "UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 2",
            [],
        )
        .unwrap();
        let err = migrate(&conn).unwrap_err();
        assert!(err.to_string().contains("different contents"), "{err}");
        conn.execute(
            "UPDATE _sqlx_migrations SET success = FALSE WHERE version = 2",
            [],
        )
        .unwrap();
        let err = migrate(&conn).unwrap_err();
        assert!(err.to_string().contains("dirty"), "{err}");
        assert!(conn.is_autocommit());
    }
}
