//! Group commit for issued tokens. Every token the token endpoint mints is one inserted row,
//! and on SQLite the commit, not the insert, is the cost: concurrent `insert_token` calls are
//! queued to one task that writes whatever has gathered in one transaction. A batch that
//! fails is written again row by row, so one bad row fails alone.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::grants::insert_token_with;
use crate::rows::backend;
use crate::{StoreError, StoreResult, TokenRecord};

/// Rows per transaction at most.
const MAX_BATCH: usize = 64;

type Job = (TokenRecord, oneshot::Sender<StoreResult<()>>);

/// The queue in front of the token writer task.
#[derive(Debug, Clone)]
pub(super) struct TokenBatcher {
    queue: mpsc::Sender<Job>,
}

fn stopped() -> StoreError {
    StoreError::Backend("the token writer has stopped".into())
}

impl TokenBatcher {
    /// Starts the writer task over `writer`; it ends when the batcher is dropped.
    pub(super) fn start(writer: SqlitePool) -> Self {
        let (queue, mut jobs) = mpsc::channel::<Job>(1024);
        tokio::spawn(async move {
            while let Some(first) = jobs.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                write(&writer, batch).await;
            }
        });
        TokenBatcher { queue }
    }

    /// Inserts `token`, returning once its transaction has committed.
    pub(super) async fn insert(&self, token: &TokenRecord) -> StoreResult<()> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send((token.clone(), done))
            .await
            .map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
    }
}

async fn write(writer: &SqlitePool, batch: Vec<Job>) {
    if batch.len() > 1 && write_together(writer, &batch).await.is_ok() {
        for (_, done) in batch {
            let _ = done.send(Ok(()));
        }
        return;
    }
    for (token, done) in batch {
        let _ = done.send(insert_token_with(writer, &token).await);
    }
}

async fn write_together(writer: &SqlitePool, batch: &[Job]) -> StoreResult<()> {
    let mut tx = writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(backend)?;
    for (token, _) in batch {
        insert_token_with(&mut *tx, token).await?;
    }
    tx.commit().await.map_err(backend)
}

#[cfg(test)]
mod tests {
    use crate::{ClientRecord, ClientStore, TokenKind, TokenRecord, TokenStore};

    fn token(hash: &str, client_id: &str) -> TokenRecord {
        TokenRecord {
            token_hash: hash.into(),
            kind: TokenKind::Access,
            grant_id: "g".into(),
            client_id: client_id.into(),
            user_id: None,
            scopes: vec![],
            sid: None,
            auth_time: None,
            issued_at: 1,
            expires_at: 1000,
            consumed_at: None,
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn concurrent_inserts_commit_together_and_a_bad_row_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = super::super::SqliteStore::open(&url).await.unwrap();
        let client = ClientRecord {
            client_id: "c".into(),
            secret_hash: None,
            secret_encrypted: None,
            client_name: None,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            response_types: vec![],
            token_endpoint_auth_method: "none".into(),
            scopes: vec![],
            id_token_signed_response_alg: None,
            backchannel_logout_uri: None,
            frontchannel_logout_uri: None,
            skip_consent: false,
            metadata: serde_json::json!({}),
            registration_token_hash: None,
            created_at: 0,
        };
        store.insert_client(&client).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..100 {
            let store = store.clone();
            // Row 50 names a client that does not exist: a foreign key violation.
            let client_id = if i == 50 { "missing" } else { "c" };
            tasks.push(tokio::spawn(async move {
                store
                    .insert_token(&token(&format!("h{i}"), client_id))
                    .await
            }));
        }
        let mut failures = 0;
        for task in tasks {
            if task.await.unwrap().is_err() {
                failures += 1;
            }
        }
        assert_eq!(failures, 1);
        for i in (0..100).filter(|i| *i != 50) {
            assert!(store.get_token(&format!("h{i}")).await.unwrap().is_some());
        }
    }
}
