//! Page languages: the configured `ui_locales` (language tags, with regions or without),
//! each served from its language's message catalogue, and the choice of one for a request
//! from its `ui_locales` parameter (OIDC Core §3.1.2.1) and `Accept-Language` header.

/// RFC 5646 language tag syntax, loosely: a 2-8 letter primary subtag, then alphanumeric
/// subtags of 1-8 characters.
pub fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let primary = subtags.next().unwrap_or("");
    (2..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The primary language subtag of `tag`, lower case (`fr-CA` → `fr`; `_` is taken as `-`).
pub fn primary_subtag(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A language pages are served in: the tag they say (`<html lang="fr-CA">`, as advertised in
/// `ui_locales_supported`) and the catalogue their words come from (`fr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLanguage {
    /// The advertised tag.
    pub tag: String,
    /// The catalogue's language.
    pub catalogue: &'static str,
}

/// The page languages of this deployment; the first is the fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locales {
    supported: Vec<PageLanguage>,
}

impl Locales {
    /// The languages `tags` names, each served from one of `catalogues` by its primary
    /// subtag. Errors say which tag has no catalogue, is malformed or is repeated.
    pub fn new(tags: &[String], catalogues: &[&'static str]) -> Result<Locales, String> {
        if tags.is_empty() {
            return Err("must name at least one language".into());
        }
        let mut supported: Vec<PageLanguage> = Vec::new();
        for tag in tags {
            if !is_language_tag(tag) {
                return Err(format!("{tag:?} is not a language tag (RFC 5646)"));
            }
            if supported.iter().any(|l| l.tag.eq_ignore_ascii_case(tag)) {
                return Err(format!("{tag:?} is listed twice"));
            }
            let primary = primary_subtag(tag);
            let catalogue = catalogues
                .iter()
                .find(|c| **c == primary)
                .ok_or_else(|| format!("{tag:?}: no pages in {primary:?} (have {catalogues:?})"))?;
            supported.push(PageLanguage {
                tag: tag.clone(),
                catalogue,
            });
        }
        Ok(Locales { supported })
    }

    /// The advertised tags, in order (`ui_locales_supported`).
    pub fn tags(&self) -> Vec<String> {
        self.supported.iter().map(|l| l.tag.clone()).collect()
    }

    /// The first requested tag we serve (`ui_locales` first, then `Accept-Language`): the
    /// same tag when it is configured, else the first configured one of its language; the
    /// first configured language when none matches.
    pub fn negotiate(
        &self,
        ui_locales: Option<&str>,
        accept_language: Option<&str>,
    ) -> &PageLanguage {
        let from_ui = ui_locales.into_iter().flat_map(|s| s.split_whitespace());
        let from_header = accept_language
            .into_iter()
            .flat_map(|s| s.split(','))
            .map(|part| part.split(';').next().unwrap_or("").trim());
        for wanted in from_ui.chain(from_header) {
            let wanted = wanted.replace('_', "-");
            let exact = self
                .supported
                .iter()
                .find(|l| l.tag.eq_ignore_ascii_case(&wanted));
            let primary = primary_subtag(&wanted);
            let same_language = || {
                self.supported
                    .iter()
                    .find(|l| primary_subtag(&l.tag) == primary)
            };
            if let Some(language) = exact.or_else(same_language) {
                return language;
            }
        }
        &self.supported[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUES: [&str; 3] = ["en", "fr", "de"];

    fn locales(tags: &[&str]) -> Result<Locales, String> {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        Locales::new(&tags, &CATALOGUES)
    }

    #[test]
    fn regional_tags_use_their_language_catalogue_and_keep_their_tag() {
        let locales = locales(&["en-US", "en-GB", "fr-FR", "fr-CA"]).unwrap();
        let fr_ca = locales.negotiate(Some("fr-CA"), None);
        assert_eq!((fr_ca.tag.as_str(), fr_ca.catalogue), ("fr-CA", "fr"));
        let fr = locales.negotiate(Some("fr"), None);
        assert_eq!((fr.tag.as_str(), fr.catalogue), ("fr-FR", "fr"));
        let header = locales.negotiate(None, Some("en-gb;q=0.9, fr"));
        assert_eq!(header.tag, "en-GB");
        assert_eq!(locales.negotiate(Some("ja"), Some("pt")).tag, "en-US");
        assert_eq!(locales.tags(), ["en-US", "en-GB", "fr-FR", "fr-CA"]);
    }

    #[test]
    fn ui_locales_win_over_accept_language_oidc_core_3_1_2_1() {
        let locales = locales(&["en", "fr", "de"]).unwrap();
        assert_eq!(locales.negotiate(Some("fr-CA en"), Some("de")).tag, "fr");
        assert_eq!(
            locales.negotiate(Some("ja"), Some("de-DE;q=0.9, en")).tag,
            "de"
        );
        assert_eq!(locales.negotiate(None, None).tag, "en");
    }

    #[test]
    fn languages_without_pages_and_bad_tags_are_refused() {
        assert!(locales(&["es-ES"]).unwrap_err().contains("no pages"));
        assert!(locales(&["fr_CA"]).is_err());
        assert!(locales(&["en", "EN"]).is_err());
        assert!(locales(&[]).is_err());
    }
}
