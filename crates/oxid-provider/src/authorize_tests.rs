//! The authorization endpoint's decisions, from the request as received to the outcome, and
//! its redirect URI matching.

use super::*;
use crate::test_support::{REDIRECT, awaiting, logged_in_alice, provider_with_alice};

fn query(extra: &str) -> String {
    let redirect = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>();
    format!(
        "response_type=code&client_id=app&scope=openid&state=s1&redirect_uri={redirect}\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256{extra}"
    )
}

#[tokio::test]
async fn an_untrusted_client_or_redirect_gets_an_error_page_rfc6749_4_1_2_1() {
    let provider = provider_with_alice().await;
    for (received, error) in [
        (
            "client_id=app&client_id=app".to_string(),
            AuthErrorCode::InvalidRequest,
        ),
        (
            query("").replace("client_id=app", "client_id=ghost"),
            AuthErrorCode::InvalidClient,
        ),
        (
            query("").replace("%2Fcb", "%2Fother"),
            AuthErrorCode::InvalidRequest,
        ),
    ] {
        let outcome = authorize(
            &provider,
            ReceivedAuthorization::from_query(&received),
            None,
        )
        .await
        .unwrap();
        let AuthorizeOutcome::ErrorPage { error: got, .. } = outcome else {
            panic!("{received}: an error page, got {outcome:?}");
        };
        assert_eq!(got, error, "{received}");
    }
}

#[tokio::test]
async fn a_repeated_parameter_goes_back_to_a_trusted_redirect_uri_with_state() {
    let provider = provider_with_alice().await;
    let received = ReceivedAuthorization::from_query(&query("&scope=email"));
    let outcome = authorize(&provider, received, None).await.unwrap();
    let AuthorizeOutcome::Redirect(url) = outcome else {
        panic!("an error redirect, got {outcome:?}");
    };
    assert!(url.starts_with(REDIRECT), "{url}");
    assert!(
        url.contains("error=invalid_request") && url.contains("state=s1"),
        "{url}"
    );
}

#[tokio::test]
async fn without_a_session_the_login_page_comes_first_and_prompt_none_says_login_required() {
    let provider = provider_with_alice().await;
    let outcome = authorize(
        &provider,
        ReceivedAuthorization::from_query(&query("")),
        None,
    )
    .await
    .unwrap();
    assert!(matches!(outcome, AuthorizeOutcome::Login(_)), "{outcome:?}");
    let prompt_none = ReceivedAuthorization::from_query(&query("&prompt=none"));
    let outcome = authorize(&provider, prompt_none, None).await.unwrap();
    let AuthorizeOutcome::Redirect(url) = outcome else {
        panic!("OIDC Core §3.1.2.6 login_required, got {outcome:?}");
    };
    assert!(url.contains("error=login_required"), "{url}");
}

#[tokio::test]
async fn prompt_consent_asks_again_until_consent_is_given_within_the_authorization() {
    let provider = provider_with_alice().await;
    let (token, user_id) = logged_in_alice(&provider).await;
    let session = current_session(&provider, Some(&token)).await.unwrap();
    let remembered = oxid_store::ConsentRecord {
        user_id,
        client_id: "app".into(),
        scopes: vec!["openid".into()],
        granted_at: provider.now(),
    };
    provider.store().put_consent(&remembered).await.unwrap();
    let mut request = awaiting(Progress::new(provider.now())).request;
    let mut progress = Progress::new(provider.now());
    let remembered_is_enough = resume(&provider, request.clone(), session.clone(), progress)
        .await
        .unwrap();
    assert!(
        matches!(&remembered_is_enough, AuthorizeOutcome::Redirect(url) if url.contains("code=")),
        "{remembered_is_enough:?}"
    );
    // OIDC Core §3.1.2.1 prompt=consent: a remembered consent does not count.
    request.prompt = oxid_protocol::authorization::PromptSet::parse("consent").unwrap();
    let asked = resume(&provider, request.clone(), session.clone(), progress)
        .await
        .unwrap();
    assert!(matches!(asked, AuthorizeOutcome::Consent(_)), "{asked:?}");
    progress.consent = Some(Consent::Allow);
    let outcome = resume(&provider, request, session, progress).await.unwrap();
    let AuthorizeOutcome::Redirect(url) = outcome else {
        panic!("a code, got {outcome:?}");
    };
    assert!(url.contains("code=") && url.contains("state=s1"), "{url}");
}

#[test]
fn the_sealed_form_carries_the_request_and_the_login_rfc6749_10_12() {
    let secret_box = SecretBox::new([3; 32]);
    let mut progress = Progress::new(1000);
    progress.login_done = true;
    let awaiting = awaiting(progress);
    let sealed = AwaitingUser::seal(&awaiting.request, progress, &secret_box).unwrap();
    let opened = Interaction::open(&sealed, &secret_box, 1001, Purpose::Authorize).unwrap();
    assert_eq!(AwaitingUser::from_interaction(&opened), Some(awaiting));
}
