//! The back-channel logout sender: one task per serving instance that claims due deliveries
//! from the store's outbox with a lease (so one instance sends each, whichever took the
//! logout), posts the logout tokens through `outbound` (SSRF checks, no redirects, a time
//! limit), at most `[backchannel] concurrency` at once, and records each outcome: delivered,
//! retried later with backoff, or given up (OIDC Back-Channel Logout 1.0 §2.5, §2.8).

use oxid_store::{DeliveryOutcome, DeliveryRecord};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

use crate::issuer::logout_token;
use crate::metrics::DeliveryResult;
use crate::state::Provider;

/// Starts the sender of `provider` (for `serve` and tests; the CLI only queues).
pub fn spawn(provider: Provider) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(provider))
}

async fn run(provider: Provider) {
    let settings = provider.config().backchannel;
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    let poll = Duration::from_millis(settings.poll_interval_ms);
    loop {
        send_due(&provider, &slots).await;
        match provider.store().pending_deliveries().await {
            Ok(n) => provider.metrics().set_deliveries_pending(n),
            Err(e) => {
                tracing::warn!(error = %e, "back-channel logout: counting pending deliveries failed")
            }
        }
        tokio::select! {
            () = provider.backchannel_wakeup().notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// Claims as many due deliveries as there are free slots and starts each, until none is due
/// or every slot is busy (a finished delivery wakes the loop again).
async fn send_due(provider: &Provider, slots: &Arc<Semaphore>) {
    let settings = provider.config().backchannel;
    loop {
        let free = slots.available_permits();
        if free == 0 {
            return;
        }
        let now = provider.now();
        let claimed = provider
            .store()
            .claim_deliveries(
                provider.instance_id(),
                now,
                now + settings.lease_secs(),
                u32::try_from(free).unwrap_or(u32::MAX),
            )
            .await;
        let claimed = match claimed {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "back-channel logout: claiming deliveries failed");
                return;
            }
        };
        let all_slots_used = claimed.len() >= free;
        for delivery in claimed {
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                // Cannot happen (only this loop takes slots); the lease ends and it is retried.
                return;
            };
            let provider = provider.clone();
            tokio::spawn(async move {
                deliver(&provider, delivery).await;
                drop(slot);
                provider.wake_backchannel_sender();
            });
        }
        if !all_slots_used {
            return;
        }
    }
}

/// One attempt at `delivery`, and its outcome recorded (only while our lease holds it).
async fn deliver(provider: &Provider, delivery: DeliveryRecord) {
    let settings = provider.config().backchannel;
    let outcome = if provider.now() >= delivery.give_up_at {
        DeliveryOutcome::GivenUp
    } else {
        match attempt(provider, &delivery).await {
            Attempt::Delivered => DeliveryOutcome::Delivered,
            Attempt::Pointless(why) => {
                tracing::warn!(client_id = %delivery.client_id, why, "back-channel logout dropped");
                DeliveryOutcome::GivenUp
            }
            Attempt::Failed(why) => {
                provider.metrics().delivery(DeliveryResult::Failed);
                let next =
                    settings.retry_at(delivery.attempts, provider.now(), delivery.give_up_at);
                tracing::warn!(
                    client_id = %delivery.client_id,
                    attempt = delivery.attempts,
                    retry_at = next,
                    why,
                    "back-channel logout not delivered"
                );
                next.map_or(DeliveryOutcome::GivenUp, DeliveryOutcome::RetryAt)
            }
        }
    };
    let recorded = provider
        .store()
        .finish_delivery(
            &delivery.id,
            provider.instance_id(),
            outcome,
            provider.now(),
        )
        .await;
    match recorded {
        Ok(true) => {}
        // Our lease ran out and another instance took it over: its outcome counts.
        Ok(false) => return,
        // The lease ends and the delivery is tried again (the jti stays the same).
        Err(e) => {
            tracing::warn!(error = %e, "back-channel logout: recording an outcome failed");
            return;
        }
    }
    match outcome {
        DeliveryOutcome::Delivered => {
            provider.metrics().delivery(DeliveryResult::Sent);
            tracing::info!(client_id = %delivery.client_id, sid = %delivery.sid, "back-channel logout delivered");
        }
        DeliveryOutcome::GivenUp => {
            provider.metrics().delivery(DeliveryResult::GivenUp);
            tracing::warn!(client_id = %delivery.client_id, attempts = delivery.attempts, "back-channel logout given up");
        }
        DeliveryOutcome::RetryAt(_) => {}
    }
}

/// What one attempt came to.
enum Attempt {
    /// The client answered 2xx (§2.8: 200 OK, some answer 204).
    Delivered,
    /// Worth trying again: an error status, no answer, or a store outage.
    Failed(String),
    /// Never worth trying again: the client, or its back-channel URI, is gone, or the URI
    /// is one outbound calls may not reach.
    Pointless(String),
}

async fn attempt(provider: &Provider, delivery: &DeliveryRecord) -> Attempt {
    let client = match provider.store().get_client(&delivery.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Attempt::Pointless("the client was removed".into()),
        Err(e) => return Attempt::Failed(e.to_string()),
    };
    let Some(uri) = client.backchannel_logout_uri.clone() else {
        return Attempt::Pointless("the client no longer has a backchannel_logout_uri".into());
    };
    // Signed now (fresh `iat`/`exp`) with the stored id as `jti`, the same on every attempt.
    let token = match logout_token(
        provider,
        &client,
        &delivery.user_id,
        &delivery.sid,
        &delivery.id,
    )
    .await
    {
        Ok(token) => token,
        Err(e) => return Attempt::Failed(format!("signing failed: {e:?}")),
    };
    let timeout = provider.config().backchannel.timeout();
    // §2.5: POST, form-encoded, one `logout_token`.
    let form = [("logout_token", token.as_str())];
    match provider.outbound().post_form(&uri, &form, timeout).await {
        Ok(status) if (200..300).contains(&status) => Attempt::Delivered,
        Ok(status) => Attempt::Failed(format!("the client answered {status}")),
        Err(e) if e.is_refusal() => Attempt::Pointless(e.to_string()),
        Err(e) => Attempt::Failed(e.to_string()),
    }
}
