//! Two provider instances over one PostgreSQL database (Issue 13): each back-channel logout
//! token is delivered once, whichever instance took the logout (both run a sender that claims
//! from the shared outbox with a lease), and the expired-row sweep runs on one instance at a
//! time. Needs `OXID_TEST_POSTGRES_URL`; skips loudly without.

mod common;

use common::*;
use oxid_provider::backchannel::BackchannelSettings;
use oxid_provider::clock::TestClock;
use oxid_provider::config::Settings;
use sqlx::Executor;
use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

const URL_VAR: &str = "OXID_TEST_POSTGRES_URL";

async fn fresh_schema() -> Option<(sqlx::PgPool, String, String)> {
    let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) else {
        let _ = writeln!(std::io::stderr(), "SKIPPED: {URL_VAR} not set");
        return None;
    };
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("oxid_outbox_{}_{nanos}", std::process::id());
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    Some((admin, schema, store_url))
}

async fn drop_schema(admin: sqlx::PgPool, schema: String) {
    let _ = admin
        .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
        .await;
}

fn local_receivers(s: &mut Settings) {
    s.outbound.allow_private_addresses = true;
    s.backchannel = BackchannelSettings {
        poll_interval_ms: 20,
        ..BackchannelSettings::default()
    };
}

/// Instances `a` and `b` on `store_url`, sharing issuer, encryption key and clock.
async fn two_instances(store_url: &str) -> (TestServer, TestServer) {
    let a = TestServer::launch(local_receivers, store_url, TestClock::new(T0), true).await;
    let issuer = a.base.clone();
    let b = TestServer::launch(
        move |s| {
            local_receivers(s);
            s.issuer = issuer;
        },
        store_url,
        a.clock.clone(),
        false,
    )
    .await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_logout_token_is_delivered_once_whichever_instance_took_the_logout() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let (a, b) = two_instances(&store_url).await;
    let (uri, mut received) = scripted_receiver(Vec::new()).await;
    a.add_client("rp", |c| c.backchannel_logout_uri = Some(uri))
        .await;
    let alice = a
        .provider
        .store()
        .get_user_by_username(USER)
        .await
        .unwrap()
        .unwrap();
    const LOGOUTS: usize = 30;
    let mut sids = Vec::new();
    for i in 0..LOGOUTS {
        let taker = if i % 2 == 0 { &a } else { &b };
        let session = oxid_provider::session::start_session(&taker.provider, &alice)
            .await
            .unwrap();
        let sid = session.record.sid.clone();
        taker
            .provider
            .store()
            .add_session_client(&sid, "rp")
            .await
            .unwrap();
        sids.push((taker, sid));
    }
    // Both instances end sessions at once; both senders race for the deliveries.
    let ends: Vec<_> = sids
        .iter()
        .map(|(taker, sid)| {
            let (provider, sid) = (taker.provider.clone(), sid.clone());
            tokio::spawn(async move {
                oxid_provider::admin::sessions::revoke_session(&provider, &sid).await
            })
        })
        .collect();
    for ended in ends {
        ended.await.unwrap().unwrap();
    }
    let mut jtis = HashSet::new();
    let mut sids_told = HashSet::new();
    while let Ok(Some((status, body))) =
        tokio::time::timeout(Duration::from_secs(2), received.recv()).await
    {
        assert_eq!(status, 200);
        let form = oxid_protocol::params::Params::parse_form(body.as_bytes()).unwrap();
        let token = form.get("logout_token").unwrap();
        let jws = oxid_protocol::jose::CompactJws::parse(token).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(jws.payload()).unwrap();
        assert!(
            jtis.insert(claims["jti"].as_str().unwrap().to_string()),
            "sent twice"
        );
        sids_told.insert(claims["sid"].as_str().unwrap().to_string());
    }
    assert_eq!(jtis.len(), LOGOUTS, "every logout delivered exactly once");
    assert_eq!(sids_told.len(), LOGOUTS);
    assert_eq!(a.provider.store().pending_deliveries().await.unwrap(), 0);
    drop_schema(admin, schema).await;
}

#[tokio::test]
async fn the_expired_row_sweep_runs_on_one_instance_at_a_time() {
    let Some((admin, schema, store_url)) = fresh_schema().await else {
        return;
    };
    let (a, b) = two_instances(&store_url).await;
    let period = Duration::from_secs(300);
    assert!(
        a.provider.sweep_if_leased(period).await,
        "a takes the lease"
    );
    assert!(!b.provider.sweep_if_leased(period).await, "b waits");
    a.clock.advance(300);
    assert!(a.provider.sweep_if_leased(period).await, "a renews it");
    assert!(!b.provider.sweep_if_leased(period).await);
    // a stops; its lease (one period and a half) runs out and b takes over.
    a.clock.advance(451);
    assert!(b.provider.sweep_if_leased(period).await);
    assert!(!a.provider.sweep_if_leased(period).await);
    drop_schema(admin, schema).await;
}
