//! The CSRF token of a page form is bound to the form's sealed interaction (issue 13; OWASP
//! signed double submit): a token from one login form is refused on another interaction's
//! form in the same browser, while each form's own token is accepted.

mod common;

use common::*;

async fn login_form(server: &TestServer, browser: &reqwest::Client) -> String {
    // Each visit seals a new interaction.
    let query = auth_query("app", "openid", &[]);
    let response = browser
        .get(server.url(&format!("/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_csrf_token_from_one_login_form_is_refused_on_another_interaction() {
    let server = TestServer::start().await;
    server.add_client("app", |_| {}).await;
    let browser = server.browser();
    let first = login_form(&server, &browser).await;
    let second = login_form(&server, &browser).await;
    let (first_token, second_token) = (
        hidden_field(&first, "csrf_token"),
        hidden_field(&second, "csrf_token"),
    );
    assert_ne!(first_token, second_token, "one token per interaction");
    let crossed = browser
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", first_token.as_str()),
            ("interaction", hidden_field(&second, "interaction").as_str()),
            ("username", USER),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), 403);
    // The refused post did not use the form up: with its own token it signs in (and is
    // shown the consent page).
    let own = submit_login(&server, &browser, &second, USER, PASSWORD).await;
    assert_eq!(own.status(), 200);
    let consent = own.text().await.unwrap();
    assert!(consent.contains("name=\"csrf_token\"") && !consent.contains("not correct"));
}
