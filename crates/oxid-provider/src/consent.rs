//! The consent form's decision: remember what the user allowed (added to what they already
//! granted the client), then continue the authorization with their answer.

use oxid_store::ConsentRecord;

use crate::authorize::{AuthorizeOutcome, AwaitingUser, Consent, resume};
use crate::error::OAuthError;
use crate::session::current_session;
use crate::state::Provider;

/// Records `answer` for the authorization `awaiting`, from the browser whose login session
/// has `session_token`, and says what comes next.
pub async fn answer_consent(
    provider: &Provider,
    awaiting: AwaitingUser,
    answer: Consent,
    session_token: Option<&str>,
) -> Result<AuthorizeOutcome, OAuthError> {
    let session = current_session(provider, session_token).await?;
    let AwaitingUser {
        request,
        mut progress,
    } = awaiting;
    if let (Consent::Allow, Some(session)) = (answer, &session) {
        let requested = request.scope.iter().map(str::to_string).collect::<Vec<_>>();
        remember_consent(provider, &session.user_id, &request.client_id, &requested).await?;
    }
    progress.consent = Some(answer);
    resume(provider, request, session, progress).await
}

/// Adds `requested` to the scopes `user_id` already granted `client_id`.
async fn remember_consent(
    provider: &Provider,
    user_id: &str,
    client_id: &str,
    requested: &[String],
) -> Result<(), OAuthError> {
    let store = provider.store();
    let granted = store
        .get_consent(user_id, client_id)
        .await?
        .map(|c| c.scopes)
        .unwrap_or_default();
    let consent = ConsentRecord {
        user_id: user_id.to_string(),
        client_id: client_id.to_string(),
        scopes: merged_scopes(granted, requested),
        granted_at: provider.now(),
    };
    store.put_consent(&consent).await?;
    Ok(())
}

/// What was granted before, then each newly requested scope once, in order.
fn merged_scopes(mut granted: Vec<String>, requested: &[String]) -> Vec<String> {
    for scope in requested {
        if !granted.contains(scope) {
            granted.push(scope.clone());
        }
    }
    granted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::Progress;
    use crate::test_support::{awaiting, logged_in_alice, provider_with_alice};

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn consent_adds_new_scopes_and_keeps_old_ones() {
        assert_eq!(
            merged_scopes(
                scopes(&["openid", "email"]),
                &scopes(&["openid", "profile"])
            ),
            scopes(&["openid", "email", "profile"])
        );
        assert_eq!(
            merged_scopes(Vec::new(), &scopes(&["openid"])),
            scopes(&["openid"])
        );
    }

    #[tokio::test]
    async fn allowing_remembers_the_scopes_and_issues_a_code() {
        let provider = provider_with_alice().await;
        let (token, user_id) = logged_in_alice(&provider).await;
        let next = answer_consent(
            &provider,
            awaiting(Progress::new(provider.now())),
            Consent::Allow,
            Some(&token),
        )
        .await
        .unwrap();
        let AuthorizeOutcome::Redirect(url) = next else {
            panic!("consent given: a code follows, got {next:?}");
        };
        assert!(url.contains("code="), "{url}");
        let consent = provider.store().get_consent(&user_id, "app").await;
        assert_eq!(consent.unwrap().unwrap().scopes, scopes(&["openid"]));
    }

    #[tokio::test]
    async fn denying_remembers_nothing_and_redirects_access_denied_rfc6749_4_1_2_1() {
        let provider = provider_with_alice().await;
        let (token, user_id) = logged_in_alice(&provider).await;
        let next = answer_consent(
            &provider,
            awaiting(Progress::new(provider.now())),
            Consent::Deny,
            Some(&token),
        )
        .await
        .unwrap();
        let AuthorizeOutcome::Redirect(url) = next else {
            panic!("consent refused: an error redirect follows, got {next:?}");
        };
        assert!(url.contains("error=access_denied"), "{url}");
        let consent = provider.store().get_consent(&user_id, "app").await;
        assert!(consent.unwrap().is_none());
    }

    #[tokio::test]
    async fn without_a_session_the_answer_leads_back_to_the_login_page() {
        let provider = provider_with_alice().await;
        let next = answer_consent(
            &provider,
            awaiting(Progress::new(provider.now())),
            Consent::Allow,
            None,
        )
        .await
        .unwrap();
        assert!(matches!(next, AuthorizeOutcome::Login(_)), "{next:?}");
    }
}
