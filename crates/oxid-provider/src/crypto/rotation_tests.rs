use super::*;
use std::collections::BTreeMap;

const T0: u64 = 1_800_000_000;

fn policy(algs: &[SigningAlg]) -> RotationPolicy {
    RotationPolicy {
        algs: algs.to_vec(),
        ..RotationPolicy::default()
    }
}

/// An in-memory key store: applies a plan the way `run` does, without real keys.
#[derive(Default)]
struct Sim {
    all: Vec<KeyRecord>,
}

impl Sim {
    fn live(&self, now: u64) -> Vec<KeyRecord> {
        self.all
            .iter()
            .filter(|r| r.expires_at.is_none_or(|e| e > now))
            .cloned()
            .collect()
    }

    fn step(&mut self, policy: &RotationPolicy, now: u64, force: bool) -> Vec<KeyChange> {
        let live = self.live(now);
        let changes = plan(&live, policy, now, force);
        for change in &changes {
            match change {
                KeyChange::Create { kid, alg, state } => self.all.push(KeyRecord {
                    kid: kid.clone(),
                    alg: alg.as_str().into(),
                    private_key_encrypted: Vec::new(),
                    state: *state,
                    created_at: now,
                    activated_at: (*state == KeyState::Current).then_some(now),
                    retired_at: None,
                    expires_at: None,
                }),
                other => {
                    let record = live.iter().find(|r| r.kid == other.kid()).unwrap();
                    let new = updated(record, other, now);
                    let slot = self.all.iter_mut().find(|r| r.kid == new.kid).unwrap();
                    *slot = new;
                }
            }
        }
        changes
    }

    fn in_state(&self, now: u64, alg: SigningAlg, state: KeyState) -> Vec<KeyRecord> {
        self.live(now)
            .into_iter()
            .filter(|r| r.alg == alg.as_str() && r.state == state)
            .collect()
    }
}

fn kinds(changes: &[KeyChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c {
            KeyChange::Create { alg, state, .. } => format!("create {alg} {}", state.as_str()),
            KeyChange::Promote { alg, .. } => format!("promote {alg}"),
            KeyChange::Retire { alg, .. } => format!("retire {alg}"),
            KeyChange::SetExpiry { .. } => "expiry".into(),
        })
        .collect()
}

#[test]
fn first_start_creates_a_current_and_a_next_key_per_alg_then_nothing() {
    let p = policy(&[SigningAlg::RS256, SigningAlg::EdDSA]);
    let mut sim = Sim::default();
    assert_eq!(
        kinds(&sim.step(&p, T0, false)),
        [
            "create RS256 current",
            "create RS256 next",
            "create EdDSA current",
            "create EdDSA next"
        ]
    );
    assert!(sim.step(&p, T0, false).is_empty());
    assert!(sim.step(&p, T0 + p.rotate_every - 1, false).is_empty());
}

#[test]
fn scheduled_rotation_promotes_next_retires_current_and_publishes_a_new_next() {
    let p = policy(&[SigningAlg::ES256]);
    let mut sim = Sim::default();
    sim.step(&p, T0, false);
    let old = sim
        .in_state(T0, SigningAlg::ES256, KeyState::Current)
        .remove(0);
    let next = sim
        .in_state(T0, SigningAlg::ES256, KeyState::Next)
        .remove(0);

    let now = T0 + p.rotate_every;
    assert_eq!(
        kinds(&sim.step(&p, now, false)),
        ["promote ES256", "retire ES256", "create ES256 next"]
    );
    let current = sim
        .in_state(now, SigningAlg::ES256, KeyState::Current)
        .remove(0);
    assert_eq!(
        (current.kid.as_str(), current.activated_at),
        (next.kid.as_str(), Some(now))
    );
    let retired = sim
        .in_state(now, SigningAlg::ES256, KeyState::Retired)
        .remove(0);
    assert_eq!(retired.kid, old.kid);
    assert_eq!(
        (retired.retired_at, retired.expires_at),
        (Some(now), Some(now + p.retain_after))
    );
    // The retired key stays published for retain_after, then leaves.
    assert_eq!(
        sim.in_state(
            now + p.retain_after - 1,
            SigningAlg::ES256,
            KeyState::Retired
        )
        .len(),
        1
    );
    assert!(
        sim.in_state(now + p.retain_after, SigningAlg::ES256, KeyState::Retired)
            .is_empty()
    );
}

#[test]
fn a_next_key_signs_only_after_being_published_for_publish_ahead() {
    let p = policy(&[SigningAlg::EdDSA]);
    let mut sim = Sim::default();
    sim.step(&p, T0, false);
    // The next key was lost (say, retired by hand): a new one appears late.
    let late = T0 + p.rotate_every - 60;
    sim.all.retain(|r| r.state != KeyState::Next);
    assert_eq!(kinds(&sim.step(&p, late, false)), ["create EdDSA next"]);
    // Rotation is due, but the new next key has been public for only 60 s.
    assert!(sim.step(&p, T0 + p.rotate_every, false).is_empty());
    assert!(sim.step(&p, late + p.publish_ahead - 1, false).is_empty());
    assert_eq!(
        kinds(&sim.step(&p, late + p.publish_ahead, false)),
        ["promote EdDSA", "retire EdDSA", "create EdDSA next"]
    );
}

#[test]
fn rotate_now_rotates_whatever_the_age_and_creates_a_current_when_no_next_exists() {
    let p = policy(&[SigningAlg::RS256]);
    let mut sim = Sim::default();
    sim.step(&p, T0, false);
    let next = sim
        .in_state(T0, SigningAlg::RS256, KeyState::Next)
        .remove(0);
    assert_eq!(
        kinds(&sim.step(&p, T0 + 5, true)),
        ["promote RS256", "retire RS256", "create RS256 next"]
    );
    assert_eq!(
        sim.in_state(T0 + 5, SigningAlg::RS256, KeyState::Current)[0].kid,
        next.kid
    );

    sim.all.retain(|r| r.state != KeyState::Next);
    assert_eq!(
        kinds(&sim.step(&p, T0 + 10, true)),
        ["create RS256 current", "retire RS256", "create RS256 next"]
    );
    assert_eq!(
        sim.in_state(T0 + 10, SigningAlg::RS256, KeyState::Current)
            .len(),
        1
    );
}

#[test]
fn half_applied_runs_heal_two_currents_and_a_missing_current() {
    let p = policy(&[SigningAlg::ES256]);
    let mut sim = Sim::default();
    sim.step(&p, T0, false);
    sim.step(&p, T0 + 1, false);
    // Two instances raced on first start: two current keys, two next keys.
    let mut twin = Sim::default();
    twin.step(&p, T0 + 1, false);
    sim.all.extend(twin.all);
    let newest = sim
        .all
        .iter()
        .filter(|r| r.state == KeyState::Current)
        .max_by_key(|r| r.created_at)
        .unwrap()
        .kid
        .clone();
    assert_eq!(kinds(&sim.step(&p, T0 + 2, false)), ["retire ES256"]);
    assert_eq!(
        sim.in_state(T0 + 2, SigningAlg::ES256, KeyState::Current)[0].kid,
        newest
    );

    // A run stopped after retiring the current key: the next key is promoted at once.
    for r in sim.all.iter_mut().filter(|r| r.state == KeyState::Current) {
        r.state = KeyState::Retired;
    }
    let changes = kinds(&sim.step(&p, T0 + 3, false));
    assert_eq!(changes[0], "promote ES256");
    assert!(changes.contains(&"expiry".to_string()), "{changes:?}");
    assert_eq!(
        sim.in_state(T0 + 3, SigningAlg::ES256, KeyState::Current)
            .len(),
        1
    );
    assert!(
        sim.live(T0 + 3)
            .iter()
            .all(|r| r.state != KeyState::Retired || r.expires_at.is_some())
    );
}

#[test]
fn hs256_in_the_policy_gets_no_keys_and_check_names_the_bad_setting() {
    let p = policy(&[SigningAlg::HS256, SigningAlg::EdDSA]);
    let mut sim = Sim::default();
    assert_eq!(
        kinds(&sim.step(&p, T0, false)),
        ["create EdDSA current", "create EdDSA next"]
    );
    let p = RotationPolicy::default();
    assert_eq!(p.check(3600, 3600), Ok(()));
    assert!(
        p.check(30 * DAY, 3600)
            .unwrap_err()
            .contains("retain_after")
    );
    assert!(
        p.check(3600, 2 * DAY)
            .unwrap_err()
            .contains("publish_ahead")
    );
}

#[test]
fn an_alg_dropped_from_the_policy_is_retired_but_stays_published() {
    let mut sim = Sim::default();
    sim.step(&policy(&[SigningAlg::RS256, SigningAlg::PS256]), T0, false);
    let p = policy(&[SigningAlg::RS256]);
    assert_eq!(
        kinds(&sim.step(&p, T0 + 10, false)),
        ["retire PS256", "retire PS256"]
    );
    assert!(
        sim.in_state(T0 + 10, SigningAlg::PS256, KeyState::Current)
            .is_empty()
    );
    assert_eq!(
        sim.in_state(T0 + 10, SigningAlg::PS256, KeyState::Retired)
            .len(),
        2
    );
    assert!(sim.step(&p, T0 + 20, false).is_empty());
}

#[test]
fn over_two_years_every_signed_token_stays_verifiable_and_keys_are_published_ahead() {
    // Invariants, checked every 6 hours: one current key per alg; a next key is always
    // published; a key signs only after publish_ahead in the JWKS; a key stays in the JWKS
    // for retain_after after its last signature.
    let p = RotationPolicy {
        algs: vec![SigningAlg::ES256, SigningAlg::EdDSA],
        ..RotationPolicy::default()
    };
    let mut sim = Sim::default();
    let mut last_signed: BTreeMap<String, u64> = BTreeMap::new();
    let mut now = T0;
    let mut rotations = 0;
    while now < T0 + 2 * 365 * DAY {
        let changes = sim.step(&p, now, false);
        rotations += changes
            .iter()
            .filter(|c| matches!(c, KeyChange::Promote { .. }))
            .count();
        let live = sim.live(now);
        for alg in &p.algs {
            let current = sim.in_state(now, *alg, KeyState::Current);
            assert_eq!(current.len(), 1, "{alg} at {now}");
            assert!(!sim.in_state(now, *alg, KeyState::Next).is_empty());
            let signer = &current[0];
            if signer.created_at > T0 {
                assert!(now - signer.created_at >= p.publish_ahead, "{alg} at {now}");
            }
            last_signed.insert(signer.kid.clone(), now);
        }
        for (kid, signed) in &last_signed {
            if now < signed + p.retain_after {
                assert!(live.iter().any(|r| &r.kid == kid), "{kid} gone at {now}");
            }
        }
        now += DAY / 4;
    }
    // 730 days / 90: 8 rotations per alg.
    assert_eq!(rotations, 16);
    assert!(sim.live(now).len() <= 2 * 3);
}

#[tokio::test]
async fn ensure_keys_and_rotate_now_through_the_sqlite_store() {
    use crate::crypto::keyring::KeyRing;
    let store = oxid_store::open("sqlite::memory:").await.unwrap();
    let sb = SecretBox::new([9u8; 32]);
    let p = policy(&[SigningAlg::RS256, SigningAlg::EdDSA]);

    let created = ensure_keys(store.as_ref(), &sb, &p, T0).await.unwrap();
    assert_eq!(created.len(), 4);
    assert!(
        ensure_keys(store.as_ref(), &sb, &p, T0 + 60)
            .await
            .unwrap()
            .is_empty()
    );
    let ring = KeyRing::load(store.as_ref(), &sb, T0 + 60).await.unwrap();
    assert_eq!(ring.algs(), [SigningAlg::RS256, SigningAlg::EdDSA]);
    let first = ring.signer(SigningAlg::EdDSA).unwrap().kid().to_string();
    let next = created
        .iter()
        .find(|c| {
            matches!(
                c,
                KeyChange::Create {
                    alg: KeyAlg::Sign(SigningAlg::EdDSA),
                    state: KeyState::Next,
                    ..
                }
            )
        })
        .unwrap()
        .kid()
        .to_string();
    assert_eq!(
        kinds(&rotate_now(store.as_ref(), &sb, &p, T0 + 120).await.unwrap()),
        [
            "promote RS256",
            "retire RS256",
            "create RS256 next",
            "promote EdDSA",
            "retire EdDSA",
            "create EdDSA next"
        ]
    );
    let ring = KeyRing::load(store.as_ref(), &sb, T0 + 120).await.unwrap();
    assert_eq!(ring.signer(SigningAlg::EdDSA).unwrap().kid(), next);
    // The retired key is still published: two per alg before, three after (RFC 7517 §5).
    assert!(ring.key(&first).is_some());
    let jwks: serde_json::Value = serde_json::from_slice(&ring.jwks_json()).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 6);
    // ... until retain_after has passed.
    let later = KeyRing::load(store.as_ref(), &sb, T0 + 120 + p.retain_after + 1)
        .await
        .unwrap();
    assert!(later.key(&first).is_none());
    // The private keys are encrypted at rest: another SecretBox cannot load them.
    assert!(
        KeyRing::load(store.as_ref(), &SecretBox::new([1u8; 32]), T0)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_reload_keeps_the_ring_until_the_stored_keys_change() {
    use crate::crypto::keyring::KeyRing;
    let store = oxid_store::open("sqlite::memory:").await.unwrap();
    let sb = SecretBox::new([9u8; 32]);
    let p = policy(&[SigningAlg::ES256]);
    ensure_keys(store.as_ref(), &sb, &p, T0).await.unwrap();
    let ring = KeyRing::load(store.as_ref(), &sb, T0 + 60).await.unwrap();

    // Nothing changed: no new ring (no key parsed again).
    let same = KeyRing::reload(&ring, store.as_ref(), &sb, T0 + 61)
        .await
        .unwrap();
    assert!(same.is_none());

    // A rotation changes the records: a new ring, signing with the promoted key.
    rotate_now(store.as_ref(), &sb, &p, T0 + 120).await.unwrap();
    let rotated = KeyRing::reload(&ring, store.as_ref(), &sb, T0 + 121)
        .await
        .unwrap()
        .expect("the rotation is seen");
    assert_ne!(
        rotated.signer(SigningAlg::ES256).unwrap().kid(),
        ring.signer(SigningAlg::ES256).unwrap().kid()
    );

    // A key that expires leaves the list: a new ring without it.
    let expired = KeyRing::reload(&rotated, store.as_ref(), &sb, T0 + 120 + p.retain_after + 1)
        .await
        .unwrap()
        .expect("the expiry is seen");
    assert!(
        expired
            .key(ring.signer(SigningAlg::ES256).unwrap().kid())
            .is_none()
    );
}
