//! Server-rendered pages (login, consent, error): minijinja templates built in, replaceable
//! from a folder, localized through one JSON message catalogue per language.

use minijinja::{Environment, Value, context};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::locales::{Locales, PageLanguage};
use crate::scopes::ScopeInfo;

/// Languages with a catalogue; the first is the fallback.
pub const LANGUAGES: [&str; 3] = ["en", "fr", "de"];

const BUILTIN_TEMPLATES: [(&str, &str); 10] = [
    ("base.html", include_str!("../templates/base.html")),
    ("client.html", include_str!("../templates/client.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("consent.html", include_str!("../templates/consent.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("logout.html", include_str!("../templates/logout.html")),
    ("locked.html", include_str!("../templates/locked.html")),
    ("device.html", include_str!("../templates/device.html")),
    (
        "device_done.html",
        include_str!("../templates/device_done.html"),
    ),
    (
        "logged_out.html",
        include_str!("../templates/logged_out.html"),
    ),
];
const BUILTIN_STYLE: &str = include_str!("../templates/style.css");
const BUILTIN_CATALOGUES: [(&str, &str); 3] = [
    ("en", include_str!("../templates/i18n/en.json")),
    ("fr", include_str!("../templates/i18n/fr.json")),
    ("de", include_str!("../templates/i18n/de.json")),
];

/// A message catalogue: message key to text.
pub type Catalogue = BTreeMap<String, String>;

/// The page renderer.
pub struct Pages {
    env: Environment<'static>,
    catalogues: BTreeMap<&'static str, Arc<Catalogue>>,
    locales: Locales,
    style: String,
    assets_path: String,
}

/// Errors loading templates.
#[derive(Debug, thiserror::Error)]
#[error("templates: {0}")]
pub struct PagesError(String);

impl Pages {
    /// Builds the renderer; files in `override_dir` (same names as the built-ins, plus
    /// `style.css`) replace the built-in ones. `assets_path` is where `style.css` is served;
    /// `locales` are the languages pages are offered in.
    pub fn new(
        override_dir: Option<&Path>,
        assets_path: String,
        locales: Locales,
    ) -> Result<Pages, PagesError> {
        let mut env = Environment::new();
        for (name, builtin) in BUILTIN_TEMPLATES {
            let source = read_override(override_dir, name)?.unwrap_or_else(|| builtin.to_string());
            env.add_template_owned(name, source)
                .map_err(|e| PagesError(format!("{name}: {e}")))?;
        }
        let style =
            read_override(override_dir, "style.css")?.unwrap_or_else(|| BUILTIN_STYLE.to_string());
        let mut catalogues = BTreeMap::new();
        for (lang, json) in BUILTIN_CATALOGUES {
            let catalogue: Catalogue = serde_json::from_str(json)
                .map_err(|e| PagesError(format!("catalogue {lang}: {e}")))?;
            catalogues.insert(lang, Arc::new(catalogue));
        }
        Ok(Pages {
            env,
            catalogues,
            locales,
            style,
            assets_path,
        })
    }

    /// The stylesheet.
    pub fn style(&self) -> &str {
        &self.style
    }

    /// Picks the page language: the first of `ui_locales` (OIDC Core §3.1.2.1) we offer,
    /// then the first of the `Accept-Language` header, then the first configured one (see
    /// [`Locales::negotiate`]).
    pub fn negotiate(
        &self,
        ui_locales: Option<&str>,
        accept_language: Option<&str>,
    ) -> PageLanguage {
        self.locales.negotiate(ui_locales, accept_language).clone()
    }

    /// The catalogue of `lang` (English when unknown).
    pub fn catalogue(&self, lang: &str) -> Arc<Catalogue> {
        self.catalogues
            .get(lang)
            .or_else(|| self.catalogues.get(LANGUAGES[0]))
            .cloned()
            .unwrap_or_default()
    }

    /// One message in `lang`, the key itself when missing.
    pub fn message(&self, lang: &PageLanguage, key: &str) -> String {
        self.catalogue(lang.catalogue)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    /// The words for a scope on the consent page: the operator's description from the
    /// registry entry `info`, else the catalogue's, else a generic sentence naming it.
    pub fn scope_description(
        &self,
        lang: &PageLanguage,
        scope: &str,
        info: Option<&ScopeInfo>,
    ) -> String {
        if let Some(description) = info.and_then(|i| i.description.as_ref()) {
            return description.text_for(&lang.tag).to_string();
        }
        let catalogue = self.catalogue(lang.catalogue);
        match catalogue.get(&format!("scope_{scope}")) {
            Some(text) => text.clone(),
            None => format!(
                "{} “{scope}”",
                catalogue.get("scope_other").map_or("", String::as_str)
            ),
        }
    }

    /// Renders a template with the catalogue of `lang` as `t`, its tag as `lang`, and the
    /// caller's values.
    pub fn render(
        &self,
        name: &str,
        lang: &PageLanguage,
        values: Value,
    ) -> Result<String, PagesError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| PagesError(e.to_string()))?;
        let catalogue = Value::from_serialize(&*self.catalogue(lang.catalogue));
        template
            .render(
                context! { t => catalogue, lang => lang.tag, assets => self.assets_path, ..values },
            )
            .map_err(|e| PagesError(format!("{name}: {e}")))
    }
}

fn read_override(dir: Option<&Path>, name: &str) -> Result<Option<String>, PagesError> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PagesError(format!("{}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locales(tags: &[&str]) -> Locales {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        Locales::new(&tags, &LANGUAGES).unwrap()
    }

    fn pages() -> Pages {
        Pages::new(None, "/assets".into(), locales(&LANGUAGES)).unwrap()
    }

    #[test]
    fn every_catalogue_has_every_english_key() {
        let pages = pages();
        let english = pages.catalogue("en");
        for lang in LANGUAGES {
            let catalogue = pages.catalogue(lang);
            for key in english.keys() {
                assert!(catalogue.contains_key(key), "{lang} lacks {key}");
            }
        }
    }

    #[test]
    fn a_regional_page_uses_its_language_and_says_its_tag() {
        let pages = Pages::new(
            None,
            "/assets".into(),
            locales(&["en-US", "fr-FR", "fr-CA"]),
        )
        .unwrap();
        let lang = pages.negotiate(Some("fr-CA"), None);
        let html = pages
            .render(
                "error.html",
                &lang,
                context! { error => "e", description => "d" },
            )
            .unwrap();
        assert!(html.contains("<html lang=\"fr-CA\">"), "{html}");
        assert_eq!(
            pages.message(&lang, "allow"),
            pages.message(&pages.negotiate(Some("fr"), None), "allow")
        );
        assert_ne!(
            pages.message(&lang, "allow"),
            pages.message(&pages.negotiate(None, None), "allow")
        );
    }

    #[test]
    fn configured_descriptions_win_over_the_catalogue() {
        let pages = pages();
        let fr = pages.negotiate(Some("fr"), None);
        let scopes = crate::scopes::registry(&[crate::scopes::ScopeSetting {
            name: "read:records".into(),
            description: Some(crate::scopes::Description::PerLanguage(
                [
                    ("en", "Read your records"),
                    ("fr", "Consulter vos dossiers"),
                ]
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .into(),
            )),
            claims: vec![],
        }])
        .unwrap();
        let info = crate::scopes::find(&scopes, "read:records");
        assert_eq!(
            pages.scope_description(&fr, "read:records", info),
            "Consulter vos dossiers"
        );
        let email = crate::scopes::find(&scopes, "email");
        assert_eq!(
            pages.scope_description(&fr, "email", email),
            "Voir votre adresse e-mail"
        );
        assert!(
            pages
                .scope_description(&fr, "custom", None)
                .contains("“custom”")
        );
    }

    #[test]
    fn login_page_escapes_values_and_has_the_named_inputs() {
        let pages = pages();
        let html = pages
            .render(
                "login.html",
                &pages.negotiate(Some("fr"), None),
                context! { action => "/login", csrf_token => "c", interaction => "i",
                username => "<script>", client_name => "App", error => "" },
            )
            .unwrap();
        assert!(html.contains("name=\"username\""));
        assert!(html.contains("name=\"password\""));
        assert!(html.contains("name=\"csrf_token\""));
        assert!(html.contains("Se connecter"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn override_folder_replaces_a_template() {
        let dir = std::env::temp_dir().join(format!("oxid-pages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("error.html"), "custom {{ error }}").unwrap();
        let pages = Pages::new(Some(&dir), "/assets".into(), locales(&["en"])).unwrap();
        let html = pages
            .render(
                "error.html",
                &pages.negotiate(None, None),
                context! { error => "invalid_client" },
            )
            .unwrap();
        assert_eq!(html, "custom invalid_client");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
