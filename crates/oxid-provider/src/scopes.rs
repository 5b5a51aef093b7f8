//! The scope registry: the OpenID scopes (OIDC Core §5.4, §11) and the operator's
//! `[[scopes]]`, each with the user claims it releases and the words the consent page shows.
//! Discovery, client defaults, the consent page, UserInfo and ID tokens all read it.

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::claims::{OPENID_SCOPES, PROTOCOL_CLAIMS, scope_claims};
use crate::locales::{is_language_tag, primary_subtag};

/// A scope as an operator writes it (`[[scopes]]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeSetting {
    /// The scope token (RFC 6749 §3.3).
    pub name: String,
    /// What the consent page says about it.
    #[serde(default)]
    pub description: Option<Description>,
    /// The user claims it releases (OIDC Core §5.4); none for an API scope.
    #[serde(default)]
    pub claims: Vec<String>,
}

/// The consent page's words for a scope: one text for every language, or one per language
/// (`{ en = "...", fr = "..." }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Description {
    /// The same text in every language.
    Text(String),
    /// Texts by language tag.
    PerLanguage(BTreeMap<String, String>),
}

impl Description {
    /// The text for a page in `tag` (e.g. `fr-CA`): that tag, then its primary language,
    /// then English, then any; a single text always.
    pub fn text_for(&self, tag: &str) -> &str {
        let texts = match self {
            Description::Text(text) => return text,
            Description::PerLanguage(texts) => texts,
        };
        let find = |wanted: &str| {
            texts
                .iter()
                .find(|(lang, _)| lang.eq_ignore_ascii_case(wanted))
                .map(|(_, text)| text.as_str())
        };
        find(tag)
            .or_else(|| find(&primary_subtag(tag)))
            .or_else(|| find("en"))
            .or_else(|| texts.values().next().map(String::as_str))
            .unwrap_or("")
    }
}

/// A scope and the user claims it releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeInfo {
    /// The scope token.
    pub name: String,
    /// Whether it concerns a user (the OpenID scopes, and configured scopes that release
    /// claims), so grants without one refuse it.
    pub about_user: bool,
    /// The user claims it releases (OIDC Core §5.4).
    pub claims: Vec<String>,
    /// The operator's words for the consent page; the built-in catalogue's when absent.
    pub description: Option<Description>,
}

/// A `[[scopes]]` entry that cannot be used: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scope {name:?}: {message}")]
pub struct ScopeError {
    /// The scope's name as written.
    pub name: String,
    /// What is wrong with it.
    pub message: String,
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// A claim name a user may carry: printable, no spaces, and not one the protocol sets.
fn check_claim(claim: &str) -> Result<(), String> {
    if claim.is_empty() || !claim.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!("claim {claim:?} is not a printable name"));
    }
    if PROTOCOL_CLAIMS.contains(&claim) {
        return Err(format!(
            "claim {claim:?} is set by the protocol, not by users"
        ));
    }
    Ok(())
}

fn check_description(description: &Description) -> Result<(), String> {
    match description {
        Description::Text(text) if text.trim().is_empty() => Err("empty description".into()),
        Description::Text(_) => Ok(()),
        Description::PerLanguage(texts) if texts.is_empty() => Err("empty description".into()),
        Description::PerLanguage(texts) => {
            for (lang, text) in texts {
                if !is_language_tag(lang) {
                    return Err(format!(
                        "description language {lang:?} is not a language tag"
                    ));
                }
                if text.trim().is_empty() {
                    return Err(format!("empty {lang} description"));
                }
            }
            Ok(())
        }
    }
}

/// The registry: the OpenID scopes (re-described where configured), then the configured
/// ones in their order. Refuses bad names, duplicates, protocol claims, and new claims
/// for an OpenID scope (OIDC Core §5.4 fixes those).
pub fn registry(settings: &[ScopeSetting]) -> Result<Vec<ScopeInfo>, ScopeError> {
    let mut scopes: Vec<ScopeInfo> = OPENID_SCOPES
        .iter()
        .map(|name| ScopeInfo {
            name: name.to_string(),
            about_user: true,
            claims: scope_claims(name).iter().map(|c| c.to_string()).collect(),
            description: None,
        })
        .collect();
    let mut configured: Vec<&str> = Vec::new();
    for setting in settings {
        let error = |message: String| ScopeError {
            name: setting.name.clone(),
            message,
        };
        if !is_scope_token(&setting.name) {
            return Err(error("not a scope token (RFC 6749 §3.3)".into()));
        }
        if configured.contains(&setting.name.as_str()) {
            return Err(error("configured twice".into()));
        }
        configured.push(&setting.name);
        if let Some(description) = &setting.description {
            check_description(description).map_err(error)?;
        }
        for claim in &setting.claims {
            check_claim(claim).map_err(error)?;
        }
        match scopes.iter_mut().find(|s| s.name == setting.name) {
            Some(builtin) => {
                if !setting.claims.is_empty() {
                    return Err(error(
                        "an OpenID scope's claims are fixed (OIDC Core §5.4); only its \
                         description may be set"
                            .into(),
                    ));
                }
                builtin.description = setting.description.clone();
            }
            None => scopes.push(ScopeInfo {
                name: setting.name.clone(),
                about_user: !setting.claims.is_empty(),
                claims: setting.claims.clone(),
                description: setting.description.clone(),
            }),
        }
    }
    Ok(scopes)
}

/// The scope named `name` in `registry`.
pub fn find<'a>(registry: &'a [ScopeInfo], name: &str) -> Option<&'a ScopeInfo> {
    registry.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(name: &str, claims: &[&str]) -> ScopeSetting {
        ScopeSetting {
            name: name.into(),
            description: None,
            claims: claims.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn configured_scopes_follow_the_openid_ones_and_release_their_claims() {
        let scopes =
            registry(&[setting("read:records", &[]), setting("groups", &["groups"])]).unwrap();
        let names: Vec<&str> = scopes.iter().map(|s| s.name.as_str()).collect();
        let configured = ["read:records", "groups"];
        let expected: Vec<&str> = OPENID_SCOPES.iter().copied().chain(configured).collect();
        assert_eq!(names, expected);
        let api = find(&scopes, "read:records").unwrap();
        assert!(!api.about_user && api.claims.is_empty(), "an API scope");
        let groups = find(&scopes, "groups").unwrap();
        assert!(groups.about_user);
        assert_eq!(groups.claims, ["groups"]);
    }

    #[test]
    fn openid_scopes_may_be_re_described_not_given_claims() {
        let mut email = setting("email", &[]);
        email.description = Some(Description::Text("Your work address".into()));
        let scopes = registry(&[email]).unwrap();
        let email = find(&scopes, "email").unwrap();
        assert_eq!(email.claims, ["email", "email_verified"]);
        assert_eq!(
            email.description.as_ref().unwrap().text_for("de"),
            "Your work address"
        );
        let err = registry(&[setting("email", &["groups"])]).unwrap_err();
        assert!(err.message.contains("OIDC Core §5.4"), "{err}");
    }

    #[test]
    fn bad_names_duplicates_and_protocol_claims_are_refused() {
        for bad in [
            vec![setting("", &[])],
            vec![setting("read records", &[])],
            vec![setting("quote\"d", &[])],
            vec![setting("a", &[]), setting("a", &[])],
            vec![setting("x", &["sub"])],
            vec![setting("x", &["nonce"])],
            vec![setting("x", &["has space"])],
        ] {
            assert!(registry(&bad).is_err(), "{bad:?}");
        }
        let mut described = setting("x", &[]);
        described.description = Some(Description::PerLanguage(BTreeMap::from([(
            "not a tag".to_string(),
            "text".to_string(),
        )])));
        assert!(registry(&[described]).is_err());
    }

    #[test]
    fn a_description_is_chosen_by_tag_then_language_then_english() {
        let texts = Description::PerLanguage(BTreeMap::from([
            ("en".to_string(), "Read your records".to_string()),
            ("fr".to_string(), "Consulter vos dossiers".to_string()),
            (
                "fr-CA".to_string(),
                "Consulter vos dossiers (CA)".to_string(),
            ),
        ]));
        assert_eq!(texts.text_for("fr-CA"), "Consulter vos dossiers (CA)");
        assert_eq!(texts.text_for("fr-FR"), "Consulter vos dossiers");
        assert_eq!(texts.text_for("de"), "Read your records");
        assert_eq!(Description::Text("One".into()).text_for("fr"), "One");
    }
}
