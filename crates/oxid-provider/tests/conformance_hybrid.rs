//! The OpenID conformance suite's Hybrid OP plan (`oidcc-hybrid-certification-test-plan`),
//! mirrored module by module for its three response types, `code id_token`, `code token`
//! and `code id_token token` (OIDC Core §3.3): each test is named after the module it
//! mirrors, inside a module named after the variant; the module bodies are in
//! `front_plan/mod.rs` and the mapping in `docs/conformance.md`. As in the Basic mirrors the
//! provider runs as a certification run configures it (`require_pkce = false`).

mod common;
mod front_plan;

/// The modules every variant runs.
macro_rules! hybrid_modules {
    ($variant:expr) => {
        crate::front_plan::every_plan_modules!($variant);
        crate::front_plan::front_modules!($variant;
            oidcc_userinfo_get,
            oidcc_userinfo_post_header,
            oidcc_userinfo_post_body,
            oidcc_codereuse,
            oidcc_codereuse_30seconds,
            oidcc_server_client_secret_post,
            oidcc_refresh_token,
        );
    };
}

/// `response_type=code id_token`, which also runs oidcc-response-type-missing and the PKCE
/// module.
mod code_id_token {
    hybrid_modules!(crate::front_plan::CODE_ID_TOKEN);
    crate::front_plan::front_modules!(crate::front_plan::CODE_ID_TOKEN;
        oidcc_response_type_missing,
        oidcc_ensure_request_without_nonce_fails,
        oidcc_ensure_request_with_valid_pkce_succeeds,
    );
}

/// `response_type=code token`: nonce optional (OIDC Core §3.3.2.1).
mod code_token {
    hybrid_modules!(crate::front_plan::CODE_TOKEN);
    crate::front_plan::front_modules!(crate::front_plan::CODE_TOKEN;
        oidcc_ensure_request_without_nonce_succeeds_for_code_flow,
    );
}

/// `response_type=code id_token token`.
mod code_id_token_token {
    hybrid_modules!(crate::front_plan::CODE_ID_TOKEN_TOKEN);
    crate::front_plan::front_modules!(crate::front_plan::CODE_ID_TOKEN_TOKEN;
        oidcc_ensure_request_without_nonce_fails,
    );
}
