//! Cancellation cannot reach the store: a write whose future is dropped at any await point
//! (a client that closed its connection mid-request) takes full effect or none, and leaves
//! the store serving. Each write operation's future is polled N times with a no-op waker and
//! dropped, for N = 0, 1, 2, ... until it completes on its own.

use super::device::{approval, device_grant};
use super::fixtures::*;
use oxid_store::{
    CodeConsumption, DeviceDecision, DevicePoll, DeviceState, KeyState, Store, TokenKind,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
/// Builds one step of a case from the store and the iteration's unique tag.
type Step = fn(Arc<dyn Store>, String) -> BoxFuture;

/// A write operation under test: what it needs, the call itself, and the check that it took
/// full effect or none.
struct Case {
    name: &'static str,
    setup: Step,
    op: Step,
    check: Step,
}

/// Polls past this many without completing mean the operation hangs.
const MAX_POLLS: usize = 2_000;
/// Between two polls: time for the backend to make progress on its own.
const PAUSE: Duration = Duration::from_micros(200);
/// How soon the store must serve again after a drop.
const PROMPTLY: Duration = Duration::from_secs(1);

fn step<F>(f: F) -> BoxFuture
where
    F: Future<Output = ()> + Send + 'static,
{
    Box::pin(f)
}

fn nothing(_: Arc<dyn Store>, _: String) -> BoxFuture {
    step(async {})
}

/// Polls `fut` up to `n` times; true when it completed.
async fn poll_times(fut: &mut BoxFuture, n: usize) -> bool {
    for _ in 0..n {
        // A context per poll: it must not be held across the pause (it is not `Send`).
        let polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        if let Poll::Ready(()) = polled {
            return true;
        }
        tokio::time::sleep(PAUSE).await;
    }
    false
}

/// A write and a read, each answered within [`PROMPTLY`]; the write also queues behind
/// whatever the dropped future left running, so afterwards the store is quiescent.
async fn serves_promptly(s: &Arc<dyn Store>, tag: &str) {
    let probe = format!("probe-{tag}");
    let claimed = tokio::time::timeout(PROMPTLY, s.claim_interaction(&probe, NOW + 3600))
        .await
        .unwrap_or_else(|_| panic!("{tag}: a write after the drop took over {PROMPTLY:?}"));
    assert!(claimed.unwrap(), "{tag}: probe write");
    let read = tokio::time::timeout(PROMPTLY, s.get_client("c1"))
        .await
        .unwrap_or_else(|_| panic!("{tag}: a read after the drop took over {PROMPTLY:?}"));
    assert!(read.unwrap().is_some(), "{tag}: probe read");
}

/// Runs the case's check, again while it fails, for up to 2 s. On PostgreSQL a dropped write
/// may still be committing on its own connection (nothing queues behind it there) while a
/// check reads with several statements, some before and some after the commit; a half-done
/// write fails every time, an in-flight one passes a moment later.
async fn check_once_settled(s: &Arc<dyn Store>, case: &Case, tag: &str) {
    const ATTEMPTS: usize = 50;
    for attempt in 1..=ATTEMPTS {
        match tokio::spawn((case.check)(s.clone(), tag.to_string())).await {
            Ok(()) => return,
            Err(e) if e.is_panic() && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("{tag}: the check did not run: {e}"),
        }
    }
}

async fn drop_at_every_poll(s: &Arc<dyn Store>, case: &Case) {
    for n in 0..=MAX_POLLS {
        let tag = format!("{}-{n}", case.name);
        (case.setup)(s.clone(), tag.clone()).await;
        let mut fut = (case.op)(s.clone(), tag.clone());
        let completed = poll_times(&mut fut, n).await;
        drop(fut);
        serves_promptly(s, &tag).await;
        check_once_settled(s, case, &tag).await;
        if completed {
            return;
        }
    }
    panic!("{}: still pending after {MAX_POLLS} polls", case.name);
}

/// Every write operation of the contract.
fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "insert_client",
            setup: nothing,
            op: |s, t| step(async move { drop(s.insert_client(&client(&t)).await) }),
            check: |s, t| {
                step(async move {
                    let got = s.get_client(&t).await.unwrap();
                    assert!(got.is_none() || got == Some(client(&t)), "{t}: {got:?}");
                })
            },
        },
        Case {
            name: "update_client",
            setup: |s, t| step(async move { s.insert_client(&client(&t)).await.unwrap() }),
            op: |s, t| step(async move { drop(s.update_client(&public_client(&t)).await) }),
            check: |s, t| {
                step(async move {
                    let got = s.get_client(&t).await.unwrap();
                    let whole = [Some(client(&t)), Some(public_client(&t))];
                    assert!(whole.contains(&got), "{t}: {got:?}");
                })
            },
        },
        Case {
            name: "delete_client",
            setup: |s, t| {
                step(async move {
                    s.insert_client(&client(&t)).await.unwrap();
                    let tok = token(&t, TokenKind::Access, &t, &t, None);
                    s.insert_token(&tok).await.unwrap();
                })
            },
            op: |s, t| step(async move { drop(s.delete_client(&t).await) }),
            check: |s, t| {
                step(async move {
                    let client = s.get_client(&t).await.unwrap().is_some();
                    let token = s.get_token(&t).await.unwrap().is_some();
                    assert_eq!(client, token, "{t}: the client and its token go together");
                })
            },
        },
        Case {
            name: "insert_user",
            setup: nothing,
            op: |s, t| step(async move { drop(s.insert_user(&user(&t, &t)).await) }),
            check: |s, t| {
                step(async move {
                    let by_id = s.get_user(&t).await.unwrap();
                    assert!(by_id.is_none() || by_id == Some(user(&t, &t)), "{t}");
                    let by_name = s.get_user_by_username(&t).await.unwrap();
                    assert_eq!(by_id, by_name, "{t}");
                })
            },
        },
        Case {
            name: "update_user",
            setup: |s, t| step(async move { s.insert_user(&user(&t, &t)).await.unwrap() }),
            op: |s, t| step(async move { drop(s.update_user(&changed_user(&t, &t)).await) }),
            check: |s, t| {
                step(async move {
                    let got = s.get_user(&t).await.unwrap();
                    let whole = [Some(user(&t, &t)), Some(changed_user(&t, &t))];
                    assert!(whole.contains(&got), "{t}: {got:?}");
                })
            },
        },
        Case {
            name: "delete_user",
            setup: |s, t| {
                step(async move {
                    s.insert_user(&user(&t, &t)).await.unwrap();
                    s.insert_session(&session(&t, &t, &t, NOW + 3600))
                        .await
                        .unwrap();
                })
            },
            op: |s, t| step(async move { drop(s.delete_user(&t).await) }),
            check: |s, t| {
                step(async move {
                    let user = s.get_user(&t).await.unwrap().is_some();
                    let session = s.get_session(&t, NOW).await.unwrap().is_some();
                    assert_eq!(user, session, "{t}: the user and their session go together");
                })
            },
        },
        Case {
            name: "insert_session",
            setup: nothing,
            op: |s, t| {
                step(async move { drop(s.insert_session(&session(&t, &t, "u1", NOW + 60)).await) })
            },
            check: |s, t| {
                step(async move {
                    let got = s.get_session(&t, NOW).await.unwrap();
                    let whole = session(&t, &t, "u1", NOW + 60);
                    assert!(got.is_none() || got == Some(whole), "{t}: {got:?}");
                })
            },
        },
        Case {
            name: "delete_session",
            setup: |s, t| {
                step(async move {
                    let new = session(&t, &t, "u1", NOW + 60);
                    s.insert_session(&new).await.unwrap()
                })
            },
            op: |s, t| step(async move { drop(s.delete_session(&t).await) }),
            check: |s, t| {
                step(async move {
                    let live = s.get_session(&t, NOW).await.unwrap().is_some();
                    let by_sid = s.get_session_by_sid(&t, NOW).await.unwrap().is_some();
                    assert_eq!(live, by_sid, "{t}");
                })
            },
        },
        Case {
            name: "add_session_client",
            setup: nothing,
            op: |s, t| step(async move { drop(s.add_session_client(&t, "c1").await) }),
            check: |s, t| {
                step(async move {
                    let got = s.session_clients(&t).await.unwrap();
                    assert!(got.is_empty() || got == ["c1"], "{t}: {got:?}");
                })
            },
        },
        Case {
            name: "claim_interaction",
            setup: nothing,
            op: |s, t| step(async move { drop(s.claim_interaction(&t, NOW + 60).await) }),
            check: |s, t| {
                step(async move {
                    // Whether or not the dropped claim took effect, the form is used now.
                    s.claim_interaction(&t, NOW + 60).await.unwrap();
                    assert!(!s.claim_interaction(&t, NOW + 60).await.unwrap(), "{t}");
                })
            },
        },
        Case {
            name: "remember_jti",
            setup: nothing,
            op: |s, t| step(async move { drop(s.remember_jti(&t, NOW + 60).await) }),
            check: |s, t| {
                step(async move {
                    // Whether or not the dropped call took effect, the id is seen now.
                    s.remember_jti(&t, NOW + 60).await.unwrap();
                    assert!(!s.remember_jti(&t, NOW + 60).await.unwrap(), "{t}");
                })
            },
        },
        Case {
            name: "put_consent",
            setup: |s, t| {
                step(async move {
                    s.insert_user(&user(&t, &t)).await.unwrap();
                    s.put_consent(&consent(&t, "c1", &["openid"]))
                        .await
                        .unwrap()
                })
            },
            op: |s, t| {
                step(async move {
                    let new = consent(&t, "c1", &["openid", "email"]);
                    drop(s.put_consent(&new).await)
                })
            },
            check: |s, t| {
                step(async move {
                    let got = s.get_consent(&t, "c1").await.unwrap().map(|c| c.scopes);
                    let old: Vec<String> = vec!["openid".into()];
                    let new: Vec<String> = vec!["openid".into(), "email".into()];
                    assert!(got == Some(old) || got == Some(new), "{t}: {got:?}");
                })
            },
        },
        Case {
            name: "insert_code",
            setup: nothing,
            op: |s, t| step(async move { drop(s.insert_code(&code(&t, &t, "c1", "u1")).await) }),
            check: |s, t| {
                step(async move {
                    match s.consume_code(&t, NOW).await.unwrap() {
                        CodeConsumption::NotFound => {}
                        CodeConsumption::Consumed(got) => {
                            assert_eq!(got, code(&t, &t, "c1", "u1"), "{t}")
                        }
                        other => panic!("{t}: {other:?}"),
                    }
                })
            },
        },
        Case {
            name: "consume_code",
            setup: |s, t| {
                step(async move { s.insert_code(&code(&t, &t, "c1", "u1")).await.unwrap() })
            },
            op: |s, t| step(async move { drop(s.consume_code(&t, NOW).await) }),
            check: |s, t| {
                step(async move {
                    // Consumed at most once: by the dropped call or by this one, never both.
                    let again = s.consume_code(&t, NOW).await.unwrap();
                    assert!(
                        matches!(again, CodeConsumption::Consumed(_))
                            || again
                                == CodeConsumption::AlreadyConsumed {
                                    grant_id: t.clone()
                                },
                        "{t}: {again:?}"
                    );
                    let last = s.consume_code(&t, NOW).await.unwrap();
                    assert_eq!(
                        last,
                        CodeConsumption::AlreadyConsumed {
                            grant_id: t.clone()
                        }
                    );
                })
            },
        },
        Case {
            name: "insert_token",
            setup: nothing,
            op: |s, t| step(async move { drop(s.insert_token(&refresh(&t, &t)).await) }),
            check: |s, t| {
                step(async move {
                    let got = s.get_token(&t).await.unwrap();
                    assert!(
                        got.is_none() || got == Some(refresh(&t, &t)),
                        "{t}: {got:?}"
                    );
                })
            },
        },
        Case {
            name: "rotate_refresh_token",
            setup: |s, t| step(async move { s.insert_token(&refresh(&t, &t)).await.unwrap() }),
            op: |s, t| {
                step(async move {
                    let new = refresh(&format!("{t}-next"), &t);
                    drop(s.rotate_refresh_token(&t, &[new], None, NOW).await)
                })
            },
            check: |s, t| {
                step(async move {
                    let old = s.get_token(&t).await.unwrap().unwrap();
                    let new = s.get_token(&format!("{t}-next")).await.unwrap();
                    assert_eq!(
                        old.consumed_at.is_some(),
                        new.is_some(),
                        "{t}: the old token is consumed exactly when the new one exists"
                    );
                })
            },
        },
        Case {
            name: "revoke_token",
            setup: |s, t| step(async move { s.insert_token(&refresh(&t, &t)).await.unwrap() }),
            op: |s, t| step(async move { drop(s.revoke_token(&t, NOW + 5).await) }),
            check: |s, t| {
                step(async move {
                    let revoked = s.get_token(&t).await.unwrap().unwrap().revoked_at;
                    assert!(revoked.is_none() || revoked == Some(NOW + 5), "{t}");
                })
            },
        },
        Case {
            name: "revoke_grant",
            setup: |s, t| {
                step(async move {
                    s.insert_token(&refresh(&format!("{t}-a"), &t))
                        .await
                        .unwrap();
                    s.insert_token(&refresh(&format!("{t}-b"), &t))
                        .await
                        .unwrap();
                })
            },
            op: |s, t| step(async move { drop(s.revoke_grant(&t, NOW + 5).await) }),
            check: |s, t| {
                step(async move {
                    let a = s.get_token(&format!("{t}-a")).await.unwrap().unwrap();
                    let b = s.get_token(&format!("{t}-b")).await.unwrap().unwrap();
                    assert_eq!(a.revoked_at, b.revoked_at, "{t}: the whole family or none");
                })
            },
        },
        Case {
            name: "purge_expired",
            setup: |s, t| {
                step(async move {
                    // Each expires at its own time, so one purge takes exactly these.
                    let at = expiry(&t);
                    let mut c = code(&t, &t, "c1", "u1");
                    c.expires_at = at;
                    s.insert_code(&c).await.unwrap();
                    let mut tok = refresh(&t, &t);
                    tok.expires_at = at;
                    s.insert_token(&tok).await.unwrap();
                })
            },
            op: |s, t| step(async move { drop(s.purge_expired(expiry(&t)).await) }),
            check: |s, t| {
                step(async move {
                    let before = expiry(&t) - 1;
                    let code = s.consume_code(&t, before).await.unwrap();
                    let code = matches!(code, CodeConsumption::Consumed(_));
                    let token = s.get_token(&t).await.unwrap().is_some();
                    // Expired sessions are ended by `end_expired_sessions`, not purged.
                    assert!(code == token, "{t}: one purge, all or none");
                })
            },
        },
        Case {
            name: "insert_device_grant",
            setup: nothing,
            op: |s, t| step(async move { drop(s.insert_device_grant(&device_grant(&t)).await) }),
            check: |s, t| {
                step(async move {
                    let got = s.pending_device_grant(&format!("user-{t}"), NOW).await;
                    let got = got.unwrap();
                    assert!(
                        got.is_none() || got == Some(device_grant(&t)),
                        "{t}: {got:?}"
                    );
                })
            },
        },
        Case {
            name: "decide_device_grant",
            setup: |s, t| {
                step(async move { s.insert_device_grant(&device_grant(&t)).await.unwrap() })
            },
            op: |s, t| {
                step(async move {
                    let approve = DeviceDecision::Approve(approval());
                    drop(
                        s.decide_device_grant(&format!("user-{t}"), &approve, NOW)
                            .await,
                    )
                })
            },
            check: |s, t| {
                step(async move {
                    // Approved whole (user and all) or still pending, never half.
                    let poll = s.poll_device_grant(&format!("dev-{t}"), "c1", NOW).await;
                    match poll.unwrap() {
                        DevicePoll::Pending => {}
                        DevicePoll::Approved(g) => {
                            assert_eq!(g.state, DeviceState::Approved(approval()), "{t}")
                        }
                        other => panic!("{t}: {other:?}"),
                    }
                })
            },
        },
        Case {
            name: "poll_device_grant",
            setup: |s, t| {
                step(async move {
                    s.insert_device_grant(&device_grant(&t)).await.unwrap();
                    let approve = DeviceDecision::Approve(approval());
                    let user_code = format!("user-{t}");
                    assert!(
                        s.decide_device_grant(&user_code, &approve, NOW)
                            .await
                            .unwrap()
                    );
                })
            },
            op: |s, t| {
                step(async move { drop(s.poll_device_grant(&format!("dev-{t}"), "c1", NOW).await) })
            },
            check: |s, t| {
                step(async move {
                    // Handed out at most once: by the dropped poll or by this one.
                    let again = s.poll_device_grant(&format!("dev-{t}"), "c1", NOW).await;
                    let again = again.unwrap();
                    assert!(
                        matches!(again, DevicePoll::Approved(_) | DevicePoll::AlreadyGranted),
                        "{t}: {again:?}"
                    );
                    let last = s.poll_device_grant(&format!("dev-{t}"), "c1", NOW).await;
                    assert_eq!(last.unwrap(), DevicePoll::AlreadyGranted, "{t}");
                })
            },
        },
        Case {
            name: "insert_key",
            setup: nothing,
            op: |s, t| step(async move { drop(s.insert_key(&next_key(&t)).await) }),
            check: |s, t| {
                step(async move {
                    let keys = s.list_keys(NOW).await.unwrap();
                    let got: Vec<_> = keys.into_iter().filter(|k| k.kid == t).collect();
                    assert!(got.is_empty() || got == [next_key(&t)], "{t}");
                })
            },
        },
        Case {
            name: "update_key",
            setup: |s, t| step(async move { s.insert_key(&next_key(&t)).await.unwrap() }),
            op: |s, t| step(async move { drop(s.update_key(&current_key(&t)).await) }),
            check: |s, t| {
                step(async move {
                    let keys = s.list_keys(NOW).await.unwrap();
                    let got = keys.into_iter().find(|k| k.kid == t);
                    let whole = [Some(next_key(&t)), Some(current_key(&t))];
                    assert!(whole.contains(&got), "{t}: {got:?}");
                })
            },
        },
    ]
}

/// A time of its own for each purge iteration, far past every other record's expiry.
fn expiry(tag: &str) -> u64 {
    let n: u64 = tag
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    NOW + 10 * 365 * 86_400 + n * 10
}

/// `kid` made current, with every time set.
/// A next key of an algorithm of its own: one next key per algorithm is the rule (issue 13),
/// and every attempt here has its own key.
fn next_key(kid: &str) -> oxid_store::KeyRecord {
    let mut k = key(kid, KeyState::Next, NOW);
    k.alg = format!("alg-{kid}");
    k
}

fn current_key(kid: &str) -> oxid_store::KeyRecord {
    let mut k = next_key(kid);
    k.state = KeyState::Current;
    (k.activated_at, k.retired_at, k.expires_at) = (Some(NOW + 1), Some(NOW + 2), Some(NOW + 9));
    k
}

pub async fn dropped_write_futures_take_full_effect_or_none_and_leave_the_store_serving(
    s: Arc<dyn Store>,
) {
    seed(&*s).await;
    for case in cases() {
        drop_at_every_poll(&s, &case).await;
    }
}
