//! Every statement on `tokens` finds its rows through an index (issue 14: the indexes were
//! trimmed to save B-trees per token; none of them may turn a lookup into a table scan).

use super::grants::{token_by_hash_sql, token_view_sql};
use super::tests::file_store;
use super::{all, outbox::REVOKE_SESSION_TOKENS, sql_err};

/// The statements on `tokens` (the store's own, and the lookups the foreign keys' cascades
/// run), each with the index it must use.
const STATEMENTS: &[(&str, &str)] = &[
    (
        "UPDATE tokens SET revoked_at = ?1 WHERE grant_id = ?2 AND revoked_at IS NULL",
        "tokens_grant_id",
    ),
    (
        "UPDATE tokens SET revoked_at = ?1 \
         WHERE user_id = ?2 AND client_id = ?3 AND revoked_at IS NULL",
        // Either of the two indexes serves it.
        "INDEX tokens_",
    ),
    (REVOKE_SESSION_TOKENS, "tokens_sid"),
    (
        "DELETE FROM tokens WHERE token_hash IN \
         (SELECT token_hash FROM tokens WHERE expires_at <= ?1 LIMIT ?2)",
        "tokens_expires_at",
    ),
    // ON DELETE CASCADE from clients and users.
    ("DELETE FROM tokens WHERE client_id = ?", "tokens_client_id"),
    ("DELETE FROM tokens WHERE user_id = ?", "tokens_user_id"),
];

#[tokio::test]
async fn every_statement_on_tokens_uses_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    // The reads by hash, whose text is made from the column lists (`Listed`).
    let by_hash = [
        token_by_hash_sql(),
        token_view_sql(false),
        token_view_sql(true),
    ];
    let statements = STATEMENTS
        .iter()
        .map(|(sql, index)| (sql.to_string(), *index))
        .chain(by_hash.into_iter().map(|sql| (sql, "PRIMARY KEY")));
    for (sql, index) in statements {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let plan = store
            .read(move |conn| {
                // Every parameter bound to NULL: the plan does not depend on the values.
                let count = conn.prepare(&explain).map_err(sql_err)?.parameter_count();
                let nulls = rusqlite::params_from_iter(vec![rusqlite::types::Null; count]);
                all(conn, &explain, nulls, |r| {
                    r.get::<_, String>("detail").map_err(sql_err)
                })
            })
            .await
            .unwrap();
        // The token view names `tokens` `t`, and the plan names a table by its alias.
        let on_tokens: Vec<_> = plan
            .iter()
            .filter(|d| d.contains("tokens") || d.contains(" t "))
            .collect();
        assert!(!on_tokens.is_empty(), "{sql}: {plan:?}");
        // The token view's joins find the token's user and grant by their keys too.
        assert!(
            plan.iter()
                .filter(|d| d.contains("LEFT-JOIN"))
                .all(|d| d.starts_with("SEARCH")),
            "{sql}: {plan:?}"
        );
        assert!(
            on_tokens.iter().all(|d| d.starts_with("SEARCH")) && plan.concat().contains(index),
            "{sql}: {plan:?}"
        );
    }
}
