//! The OpenID conformance suite's Implicit OP plan (`oidcc-implicit-certification-test-plan`),
//! mirrored module by module for both of its response types, `id_token` and
//! `id_token token` (OIDC Core §3.2): each test is named after the module it mirrors, inside
//! a module named after the variant; the module bodies are in `front_plan/mod.rs` and the
//! mapping in `docs/conformance.md`. As in the Basic mirrors the provider runs as a
//! certification run configures it (`require_pkce = false`).

mod common;
mod front_plan;

/// The modules both variants run.
macro_rules! implicit_modules {
    ($variant:expr) => {
        crate::front_plan::every_plan_modules!($variant);
        crate::front_plan::front_modules!($variant;
            oidcc_ensure_request_without_nonce_fails,
        );
    };
}

/// `response_type=id_token`: no access token, the scopes' claims in the ID token.
mod id_token {
    implicit_modules!(crate::front_plan::ID_TOKEN);
}

/// `response_type=id_token token`, which also runs the UserInfo modules and
/// oidcc-response-type-missing.
mod id_token_token {
    implicit_modules!(crate::front_plan::ID_TOKEN_TOKEN);
    crate::front_plan::front_modules!(crate::front_plan::ID_TOKEN_TOKEN;
        oidcc_userinfo_get,
        oidcc_userinfo_post_header,
        oidcc_userinfo_post_body,
        oidcc_response_type_missing,
    );
}
