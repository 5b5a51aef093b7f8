//! The `[metadata_documents]` settings: how Client ID Metadata Documents are fetched and how
//! long they are kept (draft-ietf-oauth-client-id-metadata-document-01 §4.4, §6.6). The
//! feature itself is switched on by the top-level `client_id_metadata_documents`.

use serde::Deserialize;

use crate::config::{ConfigError, config_error};

/// How documents are fetched and cached (docs/configuration.md).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MetadataDocumentSettings {
    /// The largest document accepted, in bytes (the draft recommends 5 KB, §6.6).
    pub max_bytes: usize,
    /// Seconds a document is kept when its answer says nothing (no `Cache-Control: max-age`).
    pub default_cache_seconds: u64,
    /// The least a document is kept, whatever its answer says (`no-store`, `max-age=0`).
    pub min_cache_seconds: u64,
    /// The most a document is kept, whatever its answer says.
    pub max_cache_seconds: u64,
}

impl Default for MetadataDocumentSettings {
    fn default() -> Self {
        MetadataDocumentSettings {
            max_bytes: 5 * 1024,
            default_cache_seconds: 300,
            min_cache_seconds: 60,
            max_cache_seconds: 86_400,
        }
    }
}

impl MetadataDocumentSettings {
    /// Checks the numbers; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_bytes == 0 {
            return Err(config_error(
                "metadata_documents.max_bytes",
                "must be positive",
            ));
        }
        if self.max_cache_seconds == 0 {
            return Err(config_error(
                "metadata_documents.max_cache_seconds",
                "must be positive",
            ));
        }
        if self.min_cache_seconds > self.max_cache_seconds {
            return Err(config_error(
                "metadata_documents.min_cache_seconds",
                "must not exceed metadata_documents.max_cache_seconds",
            ));
        }
        Ok(())
    }

    /// Seconds to keep a document whose answer carried `cache_control`: its `max-age` (the
    /// default without one; the least with `no-store` or `no-cache`, RFC 9111 §5.2.2), kept
    /// within the configured bounds (draft §4.4: the AS "MAY define its own upper and/or lower
    /// bounds").
    pub fn lifetime(&self, cache_control: Option<&str>) -> u64 {
        let mut seconds = self.default_cache_seconds;
        for directive in cache_control.unwrap_or_default().split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-store" || directive == "no-cache" {
                return self.min_cache_seconds;
            }
            if let Some(value) = directive.strip_prefix("max-age=") {
                match value.trim_matches('"').parse::<u64>() {
                    Ok(max_age) => seconds = max_age,
                    // RFC 9111 §4.2.1: an invalid freshness lifetime is stale at once.
                    Err(_) => return self.min_cache_seconds,
                }
            }
        }
        seconds.clamp(self.min_cache_seconds, self.max_cache_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_honoured_within_the_bounds_rfc9111_5_2_2_1() {
        let s = MetadataDocumentSettings::default();
        assert_eq!(s.lifetime(None), 300);
        assert_eq!(s.lifetime(Some("public, max-age=600")), 600);
        assert_eq!(s.lifetime(Some("max-age=5")), 60, "raised to the least");
        assert_eq!(
            s.lifetime(Some("max-age=999999")),
            86_400,
            "cut to the most"
        );
        assert_eq!(s.lifetime(Some("no-store")), 60);
        assert_eq!(s.lifetime(Some("max-age=abc")), 60);
    }

    #[test]
    fn the_switch_and_the_section_are_read_from_toml() {
        let text = "client_id_metadata_documents = true\n\
                    [metadata_documents]\nmax_bytes = 8192\nmax_cache_seconds = 3600\n";
        let settings: crate::config::Settings = toml::from_str(text).unwrap();
        let config = crate::config::ProviderConfig::from_settings(&settings).unwrap();
        assert!(config.client_id_metadata_documents);
        assert_eq!(config.metadata_documents.max_bytes, 8192);
        assert_eq!(config.metadata_documents.min_cache_seconds, 60);
        let off = crate::config::Settings::default();
        assert!(!off.client_id_metadata_documents, "off by default");
        let unknown = "[metadata_documents]\nmax_size = 1\n";
        assert!(toml::from_str::<crate::config::Settings>(unknown).is_err());
    }

    #[test]
    fn bounds_are_checked() {
        let bad = MetadataDocumentSettings {
            min_cache_seconds: 10,
            max_cache_seconds: 5,
            ..MetadataDocumentSettings::default()
        };
        let err = bad.validate().unwrap_err();
        assert_eq!(err.key, "metadata_documents.min_cache_seconds");
        assert!(MetadataDocumentSettings::default().validate().is_ok());
    }
}
