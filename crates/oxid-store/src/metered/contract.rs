//! [`Metered`] for clients, users, sessions, consents, codes and tokens: each operation is
//! timed under its own name.

use async_trait::async_trait;

use super::Metered;
use crate::*;

#[async_trait]
impl ClientStore for Metered {
    async fn insert_client(&self, client: &ClientRecord) -> StoreResult<()> {
        self.timed("insert_client", self.inner.insert_client(client))
            .await
    }
    async fn update_client(&self, client: &ClientRecord) -> StoreResult<bool> {
        self.timed("update_client", self.inner.update_client(client))
            .await
    }
    async fn get_client(&self, client_id: &str) -> StoreResult<Option<ClientRecord>> {
        self.timed("get_client", self.inner.get_client(client_id))
            .await
    }
    async fn list_clients(&self) -> StoreResult<Vec<ClientRecord>> {
        self.timed("list_clients", self.inner.list_clients()).await
    }
    async fn delete_client(&self, client_id: &str) -> StoreResult<bool> {
        self.timed("delete_client", self.inner.delete_client(client_id))
            .await
    }
}

#[async_trait]
impl UserStore for Metered {
    async fn insert_user(&self, user: &UserRecord) -> StoreResult<()> {
        self.timed("insert_user", self.inner.insert_user(user))
            .await
    }
    async fn get_user(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        self.timed("get_user", self.inner.get_user(id)).await
    }
    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.timed(
            "get_user_by_username",
            self.inner.get_user_by_username(username),
        )
        .await
    }
    async fn find_users_by_email(&self, email: &str) -> StoreResult<Vec<UserRecord>> {
        self.timed("find_users_by_email", self.inner.find_users_by_email(email))
            .await
    }
    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        self.timed("list_users", self.inner.list_users()).await
    }
    async fn update_user(&self, user: &UserRecord) -> StoreResult<bool> {
        self.timed("update_user", self.inner.update_user(user))
            .await
    }
    async fn replace_password_hash(
        &self,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        self.timed(
            "replace_password_hash",
            self.inner.replace_password_hash(id, old_hash, new_hash),
        )
        .await
    }
    async fn delete_user(&self, username: &str) -> StoreResult<bool> {
        self.timed("delete_user", self.inner.delete_user(username))
            .await
    }
}

#[async_trait]
impl SessionStore for Metered {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        self.timed("insert_session", self.inner.insert_session(session))
            .await
    }
    async fn get_session(&self, id_hash: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        self.timed("get_session", self.inner.get_session(id_hash, now))
            .await
    }
    async fn get_session_by_sid(&self, sid: &str, now: u64) -> StoreResult<Option<SessionRecord>> {
        self.timed(
            "get_session_by_sid",
            self.inner.get_session_by_sid(sid, now),
        )
        .await
    }
    async fn list_sessions(
        &self,
        user_id: Option<&str>,
        now: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        self.timed("list_sessions", self.inner.list_sessions(user_id, now))
            .await
    }
    async fn delete_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.timed("delete_session", self.inner.delete_session(id_hash))
            .await
    }
    async fn add_session_client(&self, sid: &str, client_id: &str) -> StoreResult<()> {
        self.timed(
            "add_session_client",
            self.inner.add_session_client(sid, client_id),
        )
        .await
    }
    async fn session_clients(&self, sid: &str) -> StoreResult<Vec<String>> {
        self.timed("session_clients", self.inner.session_clients(sid))
            .await
    }
    async fn claim_interaction(&self, id_hash: &str, expires_at: u64) -> StoreResult<bool> {
        self.timed(
            "claim_interaction",
            self.inner.claim_interaction(id_hash, expires_at),
        )
        .await
    }
}

#[async_trait]
impl ConsentStore for Metered {
    async fn put_consent(&self, consent: &ConsentRecord) -> StoreResult<()> {
        self.timed("put_consent", self.inner.put_consent(consent))
            .await
    }
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>> {
        self.timed("get_consent", self.inner.get_consent(user_id, client_id))
            .await
    }
    async fn list_consents(&self, user_id: &str) -> StoreResult<Vec<ConsentRecord>> {
        self.timed("list_consents", self.inner.list_consents(user_id))
            .await
    }
    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: u64,
    ) -> StoreResult<Option<u64>> {
        self.timed(
            "revoke_consent",
            self.inner.revoke_consent(user_id, client_id, now),
        )
        .await
    }
}

#[async_trait]
impl CodeStore for Metered {
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()> {
        self.timed("insert_code", self.inner.insert_code(code))
            .await
    }
    async fn consume_code(&self, code_hash: &str, now: u64) -> StoreResult<CodeConsumption> {
        self.timed("consume_code", self.inner.consume_code(code_hash, now))
            .await
    }
}

#[async_trait]
impl TokenStore for Metered {
    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()> {
        self.timed("insert_token", self.inner.insert_token(token))
            .await
    }
    async fn get_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        self.timed("get_token", self.inner.get_token(token_hash))
            .await
    }
    async fn get_token_view(
        &self,
        token_hash: &str,
        exchanged_grant: bool,
    ) -> StoreResult<Option<crate::TokenView>> {
        self.timed(
            "get_token_view",
            self.inner.get_token_view(token_hash, exchanged_grant),
        )
        .await
    }
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_tokens: &[TokenRecord],
        sealed_reply: Option<&[u8]>,
        now: u64,
    ) -> StoreResult<RefreshRotation> {
        self.timed(
            "rotate_refresh_token",
            self.inner
                .rotate_refresh_token(old_hash, new_tokens, sealed_reply, now),
        )
        .await
    }
    async fn revoke_token(&self, token_hash: &str, now: u64) -> StoreResult<bool> {
        self.timed("revoke_token", self.inner.revoke_token(token_hash, now))
            .await
    }
    async fn revoke_grant(&self, grant_id: &str, now: u64) -> StoreResult<u64> {
        self.timed("revoke_grant", self.inner.revoke_grant(grant_id, now))
            .await
    }
    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        self.timed("purge_expired", self.inner.purge_expired(now))
            .await
    }
    async fn purge_expired_chunk(&self, now: u64, limit: u64) -> StoreResult<u64> {
        self.timed(
            "purge_expired_chunk",
            self.inner.purge_expired_chunk(now, limit),
        )
        .await
    }
}
