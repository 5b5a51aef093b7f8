//! The OpenID conformance suite's three Form Post OP plans
//! (`oidcc-formpost-basic-certification-test-plan`, `-implicit-`, `-hybrid-`): the Basic,
//! Implicit and Hybrid lists with `response_mode=form_post` (OAuth 2.0 Form Post Response
//! Mode). Every answer must arrive as the body of a POST to the redirect URI, never in a URL;
//! `FrontRp::answer` checks that, and the page's Content-Security-Policy. One variant per
//! plan runs here (`code`, `id_token token`, `code id_token`); the module bodies are in
//! `front_plan/mod.rs`, shared with the Implicit and Hybrid mirrors, which run the other
//! response types (see `docs/conformance.md`).

mod common;
mod front_plan;

use common::front::Variant;
use front_plan::{CODE_ID_TOKEN, ID_TOKEN_TOKEN, form_post};

/// `response_type=code` with form_post.
const CODE: Variant = Variant {
    response_type: "code",
    form_post: true,
};

/// The modules of the three lists (each of them is in at least two lists).
macro_rules! shared_modules {
    ($variant:expr) => {
        crate::front_plan::every_plan_modules!($variant);
        crate::front_plan::front_modules!($variant;
            oidcc_userinfo_get,
            oidcc_userinfo_post_header,
            oidcc_userinfo_post_body,
            oidcc_response_type_missing,
        );
    };
}

/// The Form Post Basic plan: `code` with form_post.
mod formpost_basic {
    shared_modules!(crate::CODE);
    crate::front_plan::front_modules!(crate::CODE;
        oidcc_idtoken_unsigned,
        oidcc_ensure_request_without_nonce_succeeds_for_code_flow,
        oidcc_codereuse,
        oidcc_codereuse_30seconds,
        oidcc_ensure_post_request_succeeds,
        oidcc_server_client_secret_post,
        oidcc_refresh_token,
        oidcc_ensure_request_with_valid_pkce_succeeds,
    );
}

/// The Form Post Implicit plan: `id_token token` with form_post.
mod formpost_implicit {
    shared_modules!(crate::form_post(crate::ID_TOKEN_TOKEN));
    crate::front_plan::front_modules!(crate::form_post(crate::ID_TOKEN_TOKEN);
        oidcc_ensure_request_without_nonce_fails,
    );
}

/// The Form Post Hybrid plan: `code id_token` with form_post.
mod formpost_hybrid {
    shared_modules!(crate::form_post(crate::CODE_ID_TOKEN));
    crate::front_plan::front_modules!(crate::form_post(crate::CODE_ID_TOKEN);
        oidcc_ensure_request_without_nonce_fails,
        oidcc_codereuse,
        oidcc_codereuse_30seconds,
        oidcc_server_client_secret_post,
        oidcc_refresh_token,
        oidcc_ensure_request_with_valid_pkce_succeeds,
    );
}

/// The form_post page speaks the request's language like every other page (OIDC Core
/// §3.1.2.1 `ui_locales`, a regional tag served from its language's catalogue): here the
/// error of `prompt=none` without a session (OIDC Core §3.1.2.6), POSTed back.
#[tokio::test]
async fn the_form_post_page_speaks_the_requested_ui_locales() {
    let server = common::suite_server().await;
    let rp = common::front::FrontRp::new(&server, CODE).await;
    let pairs = rp.request_with("openid", &[("prompt", "none"), ("ui_locales", "fr-CA de")]);
    let response = rp.send(&pairs).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(
        html.contains("<title>Envoyer ce formulaire</title>"),
        "{html}"
    );
    assert!(html.contains(">Continuer</button>"), "{html}");
    assert!(
        html.contains("name=\"error\" value=\"login_required\""),
        "{html}"
    );
}
