//! The storage contract suite, written once and run against every backend.
//!
//! Each backend's test file builds a [`Fixture`] (a fresh, empty store plus what removes it
//! afterwards) and expands [`contract_suite!`], which makes one `#[tokio::test]` per rule.

pub mod accounts;
pub mod cancellation;
pub mod device;
pub mod dpop;
pub mod exchange;
pub mod fixtures;
pub mod grants;
pub mod keys;
pub mod outbox;
pub mod purge;
pub mod pushed;
pub mod replay;
pub mod sweeps;
pub mod throttle;

pub use accounts::*;
pub use cancellation::*;
pub use device::*;
pub use dpop::*;
pub use exchange::*;
pub use grants::*;
pub use keys::*;
pub use outbox::*;
pub use purge::*;
pub use pushed::*;
pub use replay::*;
pub use sweeps::*;
pub use throttle::*;

use oxid_store::Store;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Removes what a fixture created (a schema, a temporary directory).
pub type Cleanup = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A fresh, empty store and its cleanup.
pub struct Fixture {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// Runs after the test, whether it passed or not.
    pub cleanup: Cleanup,
}

/// Runs one contract test on a fixture (none: the backend is skipped), cleaning up even when
/// the test panics, then re-raising the panic.
pub async fn run<F, Fut>(fixture: Option<Fixture>, test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(fixture) = fixture else { return };
    let outcome = tokio::spawn(test(fixture.store)).await;
    fixture.cleanup.await;
    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("contract test did not finish: {e}");
    }
}

/// Expands to one test per contract rule, each on a fresh store from `$fixture()`.
macro_rules! contract_suite {
    ($fixture:path) => {
        contract_suite!(@tests $fixture;
            client_round_trips_and_lists_by_id,
            client_id_is_unique,
            update_client_replaces_the_record,
            delete_client_removes_its_codes_tokens_consents_and_session_links,
            user_round_trips_by_id_and_username,
            username_is_unique,
            update_user_replaces_password_claims_and_updated_at,
            replace_password_hash_is_a_compare_and_set,
            delete_user_removes_sessions_consents_codes_and_tokens,
            session_is_found_until_it_expires,
            sessions_are_listed_live_and_by_user,
            delete_session_returns_it_once,
            session_clients_are_recorded_once_and_outlive_the_session_until_purge,
            interaction_is_claimed_once_until_purged,
            put_consent_replaces_earlier_consent,
            odd_values_round_trip_unchanged,
            times_beyond_i64_are_clamped_not_wrapped,
            code_is_consumed_exactly_once_then_reported_as_replay,
            expired_or_unknown_code_is_not_found,
            concurrent_consumers_of_one_code_have_one_winner,
            many_concurrent_inserts_and_consumes_all_succeed,
            insert_referencing_a_missing_client_or_user_is_a_missing_reference,
            refresh_token_rotates_once_then_reports_reuse,
            expired_unknown_or_access_token_does_not_rotate,
            revoked_refresh_token_counts_as_reuse,
            failed_rotation_leaves_the_old_token_live,
            concurrent_rotations_of_one_refresh_token_have_one_winner,
            rotation_stores_its_new_tokens_and_sealed_reply_together,
            revoke_token_marks_it_and_keeps_the_first_time,
            revoke_grant_revokes_every_live_token_of_the_family,
            purge_expired_deletes_only_what_expired,
            purge_runs_in_bounded_chunks_and_keeps_live_rows,
            purge_expired_goes_on_past_one_chunk,
            key_round_trips_and_kid_is_unique,
            list_keys_is_oldest_first_and_drops_expired_keys,
            update_key_changes_state_and_times,
            keys_hold_one_current_and_one_next_per_alg,
            apply_key_changes_is_a_compare_and_set,
            concurrent_rotations_publish_exactly_one_next_key,
            rotation_lease_has_one_holder_until_released_or_expired,
            client_and_key_changes_are_announced,
            consents_are_listed_per_user_and_revoked_once_with_their_tokens,
            every_operation_is_timed_under_its_name,
            failures_count_per_key_lock_and_clear,
            a_failure_after_the_window_starts_over,
            concurrent_failures_all_count,
            purge_expired_removes_counters_past_window_and_lock,
            device_grant_is_decided_once_and_handed_out_once,
            denied_and_expired_device_grants_say_so_until_purged,
            concurrent_polls_of_an_approved_device_grant_have_one_winner,
            assertion_id_is_first_seen_once_until_purged,
            concurrent_remembers_of_one_assertion_id_have_one_winner,
            users_are_found_by_email_at_most_two,
            exchanged_grant_round_trips_once_until_purged,
            a_token_view_holds_the_token_its_user_and_its_exchanged_grant,
            pushed_request_is_taken_once_while_live,
            dpop_bound_tokens_keep_their_key_thumbprint,
            a_code_keeps_the_dpop_key_it_is_bound_to,
            concurrent_takes_of_one_pushed_request_have_one_winner,
            dropped_write_futures_take_full_effect_or_none_and_leave_the_store_serving,
            ending_a_session_queues_one_delivery_per_backchannel_client_once,
            ending_a_session_revokes_its_tokens_for_clients_that_ask,
            a_claimed_delivery_is_leased_until_its_lease_ends,
            a_retry_waits_for_its_time_and_giving_up_removes_it,
            concurrent_claims_hand_each_delivery_to_one_holder,
            a_lease_has_one_holder_until_it_ends,
            expired_sessions_end_with_their_logouts_in_chunks_once,
            concurrent_sweeps_end_each_expired_session_once,
            finished_deliveries_are_kept_then_purged_in_chunks,
            a_live_session_is_renewed_and_an_expired_one_is_not,
        );
    };
    (@tests $fixture:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                crate::contract::run($fixture().await, crate::contract::$name).await;
            }
        )*
    };
}
