//! Validation of the settings: every bad value is refused with its key.

use super::*;

#[test]
fn defaults_validate() {
    let config = ProviderConfig::from_settings(&Settings::default()).unwrap();
    assert_eq!(config.issuer, "http://localhost:8080");
    assert_eq!(config.signing_algs[0], SigningAlg::RS256);
}

#[test]
fn http_issuer_only_on_loopback_discovery_3() {
    let settings = Settings {
        issuer: "http://example.com".into(),
        ..Settings::default()
    };
    let err = ProviderConfig::from_settings(&settings).unwrap_err();
    assert_eq!(err.key, "issuer");
    let settings = Settings {
        issuer: "https://example.com/tenant?x=1".into(),
        ..Settings::default()
    };
    assert_eq!(
        ProviderConfig::from_settings(&settings).unwrap_err().key,
        "issuer"
    );
}

#[test]
fn code_lifetime_is_capped_at_60_seconds() {
    let mut settings = Settings::default();
    settings.lifetimes.code = 600;
    assert_eq!(
        ProviderConfig::from_settings(&settings).unwrap_err().key,
        "lifetimes.code"
    );
}

#[test]
fn zero_limits_are_refused() {
    let mut settings = Settings::default();
    settings.limits.max_body_bytes = 0;
    assert_eq!(
        ProviderConfig::from_settings(&settings).unwrap_err().key,
        "limits.max_body_bytes"
    );
}

#[test]
fn scopes_locales_and_documents_are_validated_with_their_key() {
    let parse = |toml: &str| {
        let settings: Settings = toml::from_str(toml).unwrap();
        ProviderConfig::from_settings(&settings)
    };
    let config = parse(
        r#"
        ui_locales = ["en-US", "fr-CA"]
        service_documentation = "https://docs.example.com/oidc"
        [[scopes]]
        name = "read:records"
        description = { en = "Read your records", fr = "Consulter vos dossiers" }
        [[scopes]]
        name = "groups"
        description = "See your groups"
        claims = ["groups"]
        "#,
    )
    .unwrap();
    assert_eq!(config.ui_locales.tags(), ["en-US", "fr-CA"]);
    assert_eq!(config.scopes.len(), 8);
    assert_eq!(
        config.documents.service_documentation.as_deref(),
        Some("https://docs.example.com/oidc")
    );
    for (toml, key) in [
        ("ui_locales = [\"es\"]", "ui_locales"),
        ("op_tos_uri = \"/tos\"", "op_tos_uri"),
        ("[[scopes]]\nname = \"a b\"", "scopes"),
    ] {
        assert_eq!(parse(toml).unwrap_err().key, key, "{toml}");
    }
}

#[test]
fn rs256_is_required() {
    let mut settings = Settings::default();
    settings.keys.algs = vec!["ES256".into()];
    assert_eq!(
        ProviderConfig::from_settings(&settings).unwrap_err().key,
        "keys.algs"
    );
}

#[test]
fn maintenance_interval_is_one_second_to_a_day() {
    for bad in [0, 86_401] {
        let settings = Settings {
            maintenance_interval_secs: bad,
            ..Settings::default()
        };
        assert_eq!(
            ProviderConfig::from_settings(&settings).unwrap_err().key,
            "maintenance_interval_secs"
        );
    }
    let settings = Settings {
        maintenance_interval_secs: 2,
        ..Settings::default()
    };
    let config = ProviderConfig::from_settings(&settings).unwrap();
    assert_eq!(
        config.maintenance_interval,
        std::time::Duration::from_secs(2)
    );
    assert_eq!(
        ProviderConfig::from_settings(&Settings::default())
            .unwrap()
            .maintenance_interval,
        std::time::Duration::from_secs(300)
    );
}
