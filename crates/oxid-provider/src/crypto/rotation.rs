//! Key rotation: keys are published ahead as `next`, sign as `current`, and stay
//! published as `retired` until everything they signed has expired. Our encryption keys
//! (`use: enc`, [`KeyAlg::Enc`]) rotate the same way: a client may encrypt to the next or
//! current key, and a retired one still decrypts (unpublished) until it expires.
//!
//! The decision is a pure function ([`plan`]) over the stored records and `now`; the async
//! wrappers ([`ensure_keys`], [`rotate_now`]) generate keys and apply the plan through
//! `KeyStore`. Every step is safe to repeat and heals a half-applied earlier run (two
//! `current` keys, a `current` missing): run [`ensure_keys`] at start and periodically.

use super::enc_keys::EncryptionKey;
use super::jws::SigningAlg;
use super::key_alg::KeyAlg;
use super::key_records::NewKey;
pub use super::key_records::{new_enc_record, new_record};
use super::secrets::{SecretBox, random_id};
use super::{CryptoError, Result};
use oxid_protocol::jose::JweAlg;
use oxid_store::{KeyChangeSet, KeyRecord, KeyState, KeyUpdate, Store};
use std::collections::BTreeSet;

const DAY: u64 = 24 * 60 * 60;

/// When keys are made, promoted and dropped. Times are in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationPolicy {
    /// The algorithms to keep keys for. Keys of other algorithms are retired.
    pub algs: Vec<SigningAlg>,
    /// The encryption keys to keep (of [`EncryptionKey::KEY_ALGS`]); none in
    /// `RotationPolicy::default()`, the configuration's `keys.encryption_algs` otherwise.
    /// Encryption keys of other algorithms are retired.
    pub enc_algs: Vec<JweAlg>,
    /// How long a key signs before the next one takes over (default 90 days).
    pub rotate_every: u64,
    /// How long a next key is published before it may sign (default 1 day); must be at least
    /// the JWKS cache max-age plus the interval at which instances reload their key ring.
    pub publish_ahead: u64,
    /// How long a retired key stays published (default 7 days); must be at least the longest
    /// lifetime of anything it signed (ID tokens, JWT access tokens, logout tokens).
    pub retain_after: u64,
}

impl RotationPolicy {
    /// Checks the policy against the provider's other settings: a retired key must outlive
    /// the longest-lived token it signed, and a next key must be published for longer than
    /// verifiers cache the JWKS. The error names the offending setting.
    pub fn check(&self, longest_token_lifetime: u64, jwks_max_age: u64) -> Result<(), String> {
        if self.retain_after < longest_token_lifetime {
            return Err(format!(
                "retain_after ({}s) is shorter than the longest token lifetime ({}s)",
                self.retain_after, longest_token_lifetime
            ));
        }
        if self.publish_ahead < jwks_max_age {
            return Err(format!(
                "publish_ahead ({}s) is shorter than the JWKS cache max-age ({}s)",
                self.publish_ahead, jwks_max_age
            ));
        }
        if self.rotate_every == 0 {
            return Err("rotate_every must be positive".to_string());
        }
        Ok(())
    }
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy {
            algs: vec![SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA],
            enc_algs: Vec::new(),
            rotate_every: 90 * DAY,
            publish_ahead: DAY,
            retain_after: 7 * DAY,
        }
    }
}

/// One step of a rotation plan; [`ensure_keys`] and [`rotate_now`] return what they applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// Generate and store a new key in `state` (`Next`, or `Current` when none can sign).
    Create {
        /// The new key's id.
        kid: String,
        /// Its algorithm.
        alg: KeyAlg,
        /// `Next` or `Current`.
        state: KeyState,
    },
    /// A next key starts signing.
    Promote {
        /// The key.
        kid: String,
        /// Its algorithm.
        alg: KeyAlg,
    },
    /// A current (or superfluous next) key stops signing and stays published until
    /// `expires_at`.
    Retire {
        /// The key.
        kid: String,
        /// Its algorithm.
        alg: KeyAlg,
        /// When it leaves the JWKS.
        expires_at: u64,
    },
    /// A retired key without an expiry gets one.
    SetExpiry {
        /// The key.
        kid: String,
        /// When it leaves the JWKS.
        expires_at: u64,
    },
}

impl KeyChange {
    /// The `kid` this change is about.
    pub fn kid(&self) -> &str {
        match self {
            KeyChange::Create { kid, .. }
            | KeyChange::Promote { kid, .. }
            | KeyChange::Retire { kid, .. }
            | KeyChange::SetExpiry { kid, .. } => kid,
        }
    }
}

fn activated(record: &KeyRecord) -> u64 {
    record.activated_at.unwrap_or(record.created_at)
}

/// The changes that bring `records` (the live keys, as `list_keys(now)` returns them) in line
/// with `policy` at `now`. With `force` (`oxid keys rotate`), every algorithm rotates now,
/// whatever the age of its keys.
pub fn plan(
    records: &[KeyRecord],
    policy: &RotationPolicy,
    now: u64,
    force: bool,
) -> Vec<KeyChange> {
    let mut changes = Vec::new();
    let retire = |record: &KeyRecord, alg: KeyAlg| KeyChange::Retire {
        kid: record.kid.clone(),
        alg,
        expires_at: now.saturating_add(policy.retain_after),
    };
    // Only key-pair algorithms have stored keys; HS256 is keyed by client secrets.
    let asymmetric = |alg: &&SigningAlg| SigningAlg::ASYMMETRIC.contains(alg);
    let encryption = |alg: &&JweAlg| EncryptionKey::KEY_ALGS.contains(alg);
    let signing = policy
        .algs
        .iter()
        .filter(asymmetric)
        .map(|a| KeyAlg::Sign(*a));
    let encrypting = policy.enc_algs.iter().filter(encryption);
    let wanted: BTreeSet<KeyAlg> = signing.chain(encrypting.map(|a| KeyAlg::Enc(*a))).collect();
    let stored: BTreeSet<KeyAlg> = records
        .iter()
        .filter_map(|r| KeyAlg::from_stored(&r.alg))
        .collect();

    for &alg in wanted.union(&stored) {
        let mine = || records.iter().filter(move |r| r.alg == alg.as_str());
        let mut currents: Vec<&KeyRecord> =
            mine().filter(|r| r.state == KeyState::Current).collect();
        let mut nexts: Vec<&KeyRecord> = mine().filter(|r| r.state == KeyState::Next).collect();
        // Newest activation signs; oldest next is promoted first.
        currents.sort_by(|a, b| (activated(b), &b.kid).cmp(&(activated(a), &a.kid)));
        nexts.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));

        if !wanted.contains(&alg) {
            // Dropped from the policy: stop signing, stay published for what was signed.
            changes.extend(currents.iter().chain(&nexts).map(|r| retire(r, alg)));
        } else {
            // Two current keys: a start raced or an earlier run stopped half-way.
            changes.extend(currents.iter().skip(1).map(|r| retire(r, alg)));
            let create = |state| KeyChange::Create {
                kid: random_id(16),
                alg,
                state,
            };
            match currents.first() {
                None => match nexts.first() {
                    Some(next) => {
                        changes.push(KeyChange::Promote {
                            kid: next.kid.clone(),
                            alg,
                        });
                        nexts.remove(0);
                    }
                    None => changes.push(create(KeyState::Current)),
                },
                Some(current) => {
                    let due =
                        force || now >= activated(current).saturating_add(policy.rotate_every);
                    let ready = nexts.first().filter(|next| {
                        force || now >= next.created_at.saturating_add(policy.publish_ahead)
                    });
                    match ready {
                        Some(next) if due => {
                            changes.push(KeyChange::Promote {
                                kid: next.kid.clone(),
                                alg,
                            });
                            changes.push(retire(current, alg));
                            nexts.remove(0);
                        }
                        None if force => {
                            changes.push(create(KeyState::Current));
                            changes.push(retire(current, alg));
                        }
                        // Not due, or the next key is not published long enough yet.
                        _ => {}
                    }
                }
            }
            if nexts.is_empty() {
                changes.push(create(KeyState::Next));
            }
        }
        changes.extend(
            mine()
                .filter(|r| r.state == KeyState::Retired && r.expires_at.is_none())
                .map(|r| KeyChange::SetExpiry {
                    kid: r.kid.clone(),
                    expires_at: r
                        .retired_at
                        .unwrap_or(now)
                        .saturating_add(policy.retain_after),
                }),
        );
    }
    changes
}

/// `record` after `change` (which must be about it) at `now`.
pub fn updated(record: &KeyRecord, change: &KeyChange, now: u64) -> KeyRecord {
    let mut record = record.clone();
    match change {
        KeyChange::Promote { .. } => {
            record.state = KeyState::Current;
            record.activated_at = Some(now);
        }
        KeyChange::Retire { expires_at, .. } => {
            record.state = KeyState::Retired;
            record.retired_at = Some(now);
            record.expires_at = Some(*expires_at);
        }
        KeyChange::SetExpiry { expires_at, .. } => record.expires_at = Some(*expires_at),
        KeyChange::Create { .. } => {}
    }
    record
}

/// Brings the stored keys in line with `policy` at `now` (first start: a current and a next
/// key per algorithm; then scheduled rotation). Returns the changes applied.
pub async fn ensure_keys(
    store: &dyn Store,
    secret_box: &SecretBox,
    policy: &RotationPolicy,
    now: u64,
) -> Result<Vec<KeyChange>> {
    run(store, secret_box, policy, now, false).await
}

/// Rotates every algorithm of `policy` now (`oxid keys rotate`): next → current, current →
/// retired, a new next; a new current when there is no next key to promote.
pub async fn rotate_now(
    store: &dyn Store,
    secret_box: &SecretBox,
    policy: &RotationPolicy,
    now: u64,
) -> Result<Vec<KeyChange>> {
    run(store, secret_box, policy, now, true).await
}

/// The longest a rotation lease is held: a holder that died lets go after it.
const LEASE_SECONDS: u64 = 60;
/// How long an instance without keys waits for the one making the first keys.
const FIRST_KEYS_WAIT_MS: u64 = 10_000;
/// How often a rotation reads the keys again after another writer changed them first.
const ATTEMPTS: usize = 5;

/// Rotation across instances sharing one database (issue 13): the instance holding the
/// rotation lease plans and generates keys, and applies the whole step as one
/// compare-and-set (`KeyStore::apply_key_changes`), which the database's one-`current`- and
/// one-`next`-per-algorithm rule backs. So exactly one next key per algorithm is published
/// whatever the number of instances rotating at once: the others find the lease taken
/// (`ensure_keys` does nothing; a forced rotation is `RotationBusy`), and a writer that got
/// past a lapsed lease loses the compare-and-set and plans again from what won.
async fn run(
    store: &dyn Store,
    secret_box: &SecretBox,
    policy: &RotationPolicy,
    now: u64,
    force: bool,
) -> Result<Vec<KeyChange>> {
    let mut waited = 0;
    let lease = loop {
        if let Some(lease) = RotationLease::take(store, now).await? {
            break lease;
        }
        if force {
            return Err(CryptoError::RotationBusy);
        }
        // Instances starting together: the one with the lease makes the first keys; the
        // others wait for them rather than start without a key to sign with.
        if can_sign(&store.list_keys(now).await?, policy) {
            return Ok(Vec::new());
        }
        if waited >= FIRST_KEYS_WAIT_MS {
            return Err(CryptoError::RotationBusy);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 100;
    };
    let outcome = rotate_under_lease(store, secret_box, policy, now, force).await;
    lease.release(store).await;
    outcome
}

/// The store's rotation lease, held by this process.
pub(crate) struct RotationLease {
    holder: String,
}

impl RotationLease {
    /// Takes the lease for [`LEASE_SECONDS`]; `None` while another instance holds it.
    pub(crate) async fn take(store: &dyn Store, now: u64) -> Result<Option<RotationLease>> {
        let holder = random_id(16);
        let until = now.saturating_add(LEASE_SECONDS);
        let taken = store.acquire_rotation_lease(&holder, now, until).await?;
        Ok(taken.then_some(RotationLease { holder }))
    }

    /// Gives the lease back.
    pub(crate) async fn release(self, store: &dyn Store) {
        if let Err(e) = store.release_rotation_lease(&self.holder).await {
            // It lapses by itself after LEASE_SECONDS.
            tracing::warn!(error = %e, "could not release the key rotation lease");
        }
    }
}

/// Whether `records` hold a current key for every algorithm of `policy`.
fn can_sign(records: &[KeyRecord], policy: &RotationPolicy) -> bool {
    policy
        .algs
        .iter()
        .filter(|alg| SigningAlg::ASYMMETRIC.contains(alg))
        .all(|alg| {
            records
                .iter()
                .any(|r| r.alg == alg.as_str() && r.state == KeyState::Current)
        })
}

async fn rotate_under_lease(
    store: &dyn Store,
    secret_box: &SecretBox,
    policy: &RotationPolicy,
    now: u64,
    mut force: bool,
) -> Result<Vec<KeyChange>> {
    for _ in 0..ATTEMPTS {
        let records = store.list_keys(now).await?;
        let changes = plan(&records, policy, now, force);
        if changes.is_empty() {
            return Ok(changes);
        }
        let set = change_set(&records, &changes, secret_box, now).await?;
        if store.apply_key_changes(&set).await? {
            for change in &changes {
                tracing::info!(change = ?change, "signing key change");
            }
            return Ok(changes);
        }
        // Another writer changed the keys first: a forced rotation that raced another one
        // has had its rotation; what is left is to converge on the keys that won.
        tracing::info!("signing keys changed meanwhile; planning again");
        force = false;
    }
    Err(CryptoError::RotationBusy)
}

/// The store writes of `changes`: new keys generated and encrypted, every other change an
/// update expected to find its key in the state `records` show.
pub(crate) async fn change_set(
    records: &[KeyRecord],
    changes: &[KeyChange],
    secret_box: &SecretBox,
    now: u64,
) -> Result<KeyChangeSet> {
    let mut set = KeyChangeSet::default();
    for change in changes {
        match change {
            KeyChange::Create { kid, alg, state } => {
                let (kid, alg, state) = (kid.clone(), *alg, *state);
                // RSA generation takes tens of milliseconds: keep it off the async workers.
                let key = tokio::task::spawn_blocking(move || NewKey::generate(alg, kid))
                    .await
                    .map_err(|_| CryptoError::Operation("key generation task"))??;
                set.inserts.push(match key {
                    NewKey::Sign(key) => new_record(&key, state, secret_box, now)?,
                    NewKey::Enc(key) => new_enc_record(&key, state, secret_box, now)?,
                });
            }
            other => {
                let Some(record) = records.iter().find(|r| r.kid == other.kid()) else {
                    continue;
                };
                set.updates.push(KeyUpdate {
                    expected: record.state,
                    key: updated(record, other, now),
                });
            }
        }
    }
    Ok(set)
}

#[cfg(test)]
#[path = "rotation_tests.rs"]
mod tests;
