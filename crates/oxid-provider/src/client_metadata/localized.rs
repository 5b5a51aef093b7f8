//! Language-tagged members (OIDC Registration §2.1): `client_name#fr`, `logo_uri#ja-Jpan-JP`
//! …, checked at registration and picked for the page language on the login and consent
//! pages.

use indexmap::IndexMap;
use oxid_store::ClientRecord;
use serde_json::Value;

use super::redirect::{check_web_url, quoted};
use super::{ClientMetadata, MetadataError};

/// The members that may carry a language tag, and whether each is a URL.
pub const LOCALIZABLE_MEMBERS: [(&str, bool); 5] = [
    ("client_name", false),
    ("logo_uri", true),
    ("client_uri", true),
    ("policy_uri", true),
    ("tos_uri", true),
];

/// Whether `tag` has the shape of a BCP 47 language tag (RFC 5646 §2.1): subtags of 1 to 8
/// letters or digits joined by `-`, the first one 2 to 8 letters (or a private-use `x`).
pub fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split('-');
    let first_ok = subtags.next().is_some_and(|first| {
        first.eq_ignore_ascii_case("x")
            || ((2..=8).contains(&first.len()) && first.chars().all(|c| c.is_ascii_alphabetic()))
    });
    first_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The language-tagged members of `extra` that Oxid keeps, checked; every other member of
/// `extra` is one Oxid does not understand and is left out (RFC 7591 §2: ignored).
pub(super) fn check_tagged_members(
    extra: &IndexMap<String, Value>,
) -> Result<IndexMap<String, Value>, MetadataError> {
    let mut kept = IndexMap::new();
    for (name, value) in extra {
        let Some((member, tag)) = name.split_once('#') else {
            continue;
        };
        let Some((_, is_url)) = LOCALIZABLE_MEMBERS.iter().find(|(m, _)| *m == member) else {
            continue;
        };
        if !is_language_tag(tag) {
            return Err(MetadataError::metadata(
                name.as_str(),
                format!(
                    "{} is not a BCP 47 language tag (OIDC Registration §2.1)",
                    quoted(tag)
                ),
            ));
        }
        let Some(text) = value.as_str().filter(|t| !t.trim().is_empty()) else {
            return Err(MetadataError::metadata(
                name.as_str(),
                "must be a non-empty string",
            ));
        };
        if *is_url {
            check_web_url(name, text)?;
        }
        kept.insert(name.clone(), Value::String(text.to_string()));
    }
    Ok(kept)
}

/// What the login and consent pages show of a client, in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientDisplay {
    /// `client_name` (the `client_id` when none was registered).
    pub name: String,
    /// `logo_uri`.
    pub logo_uri: Option<String>,
    /// `client_uri`, the client's home page.
    pub client_uri: Option<String>,
    /// `policy_uri`, how the client uses the data.
    pub policy_uri: Option<String>,
    /// `tos_uri`, the client's terms of service.
    pub tos_uri: Option<String>,
    /// The host of the `client_id` of a client known by its metadata document (`cimd`).
    pub host: Option<String>,
}

impl ClientDisplay {
    /// The client's members for the page language `lang` (e.g. `fr-CA`): the member tagged
    /// exactly so, else one tagged with the same primary language (`fr`, then `fr-FR`), else the
    /// untagged one (OIDC Registration §2.1). Tags compare without regard to case.
    pub fn for_language(record: &ClientRecord, lang: &str) -> ClientDisplay {
        let metadata = ClientMetadata::from_record(record);
        let pick = |member: &str| localized(&metadata, member, lang);
        ClientDisplay {
            name: pick("client_name").unwrap_or_else(|| record.client_id.clone()),
            logo_uri: pick("logo_uri"),
            client_uri: pick("client_uri"),
            policy_uri: pick("policy_uri"),
            tos_uri: pick("tos_uri"),
            host: crate::cimd::display_host(record),
        }
    }
}

/// `member` in the language `lang`, as [`ClientDisplay::for_language`] picks it.
fn localized(metadata: &ClientMetadata, member: &str, lang: &str) -> Option<String> {
    let tagged: Vec<(&str, &str)> = metadata
        .registered
        .extra
        .iter()
        .filter_map(|(name, value)| {
            let (m, tag) = name.split_once('#')?;
            (m == member).then_some((tag, value.as_str()?))
        })
        .collect();
    let primary = |tag: &str| tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    let exact = tagged
        .iter()
        .find(|(tag, _)| tag.eq_ignore_ascii_case(lang));
    // Of the tags of the same language, the least specific (`fr` before `fr-FR`).
    let same_language = || {
        let same = tagged
            .iter()
            .filter(|(tag, _)| primary(tag) == primary(lang));
        same.min_by_key(|(tag, _)| tag.len())
    };
    if let Some((_, text)) = exact.or_else(same_language) {
        return Some(text.to_string());
    }
    let r = &metadata.registered;
    match member {
        "client_name" => r.client_name.clone(),
        "logo_uri" => r.logo_uri.clone(),
        "client_uri" => r.client_uri.clone(),
        "policy_uri" => r.policy_uri.clone(),
        "tos_uri" => r.tos_uri.clone(),
        _ => None,
    }
}
