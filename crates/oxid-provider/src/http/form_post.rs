//! The `form_post` response mode (OAuth 2.0 Form Post Response Mode §2): an HTML page whose
//! form POSTs the response parameters to the client's redirect URI. One inline script
//! submits it; without JavaScript its button does. The page is built here, not from a
//! replaceable template, so that its Content-Security-Policy can allow exactly that script
//! (by its hash) and a form to exactly that redirect URI.

use aws_lc_rs::digest;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::locales::PageLanguage;
use crate::pages::Pages;

/// The one script of the page.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// The words of the page, in the request's language (`ui_locales`, OIDC Core §3.1.2.1, then
/// `Accept-Language`), from the page catalogue like every other page's.
pub struct FormPostWords {
    /// The language tag the page says (`<html lang>`).
    pub lang: String,
    /// The page title.
    pub title: String,
    /// What a browser without JavaScript shows above the button.
    pub noscript: String,
    /// The button's label.
    pub button: String,
}

impl FormPostWords {
    /// The words of `lang` from `pages`' catalogue.
    pub fn new(pages: &Pages, lang: &PageLanguage) -> Self {
        FormPostWords {
            lang: lang.tag.clone(),
            title: pages.message(lang, "form_post_title"),
            noscript: pages.message(lang, "form_post_noscript"),
            button: pages.message(lang, "form_post_continue"),
        }
    }
}

/// The auto-submitting form posting `params` to `redirect_uri`, with its policy.
pub fn form_post_page(
    redirect_uri: &str,
    params: &[(String, String)],
    words: &FormPostWords,
) -> Response {
    let body = form_post_html(redirect_uri, params, words);
    let mut response = (StatusCode::OK, Html(body)).into_response();
    match HeaderValue::from_str(&form_post_csp(redirect_uri)) {
        Ok(csp) => {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        // A redirect URI that cannot stand in a header cannot be a form target either.
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    }
    response
}

/// The page itself: hidden fields, the button for browsers without JavaScript, the script.
fn form_post_html(
    redirect_uri: &str,
    params: &[(String, String)],
    words: &FormPostWords,
) -> String {
    let fields: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head><body>\
         <form method=\"post\" action=\"{action}\">{fields}\
         <noscript><p>{noscript}</p>\
         <button type=\"submit\">{button}</button></noscript></form>\
         <script>{SUBMIT_SCRIPT}</script></body></html>\n",
        lang = escape(&words.lang),
        title = escape(&words.title),
        action = escape(redirect_uri),
        noscript = escape(&words.noscript),
        button = escape(&words.button),
    )
}

/// Nothing but the submit script (CSP 3 hash source) and a form to the redirect URI, never
/// framed (clickjacking, RFC 9700 §4.16).
fn form_post_csp(redirect_uri: &str) -> String {
    let script_hash = STANDARD.encode(digest::digest(&digest::SHA256, SUBMIT_SCRIPT.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{script_hash}'; form-action {}; \
         frame-ancestors 'none'; base-uri 'none'",
        form_target(redirect_uri)
    )
}

/// The redirect URI as a CSP source: the URL itself (CSP 3 matches its path exactly and
/// ignores the query), with `;` and `,` escaped as CSP 3 §2.3.1 asks; a scheme source for a
/// URI without a host (a native app's private-use scheme, RFC 8252 §7.1).
fn form_target(redirect_uri: &str) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(url) if url.has_host() => {
            let path = url.path().replace(';', "%3B").replace(',', "%2C");
            format!("{}{path}", url.origin().ascii_serialization())
        }
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => "'none'".into(),
    }
}

/// HTML text and attribute escaping.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_script_by_hash_and_the_form_to_the_redirect_uri() {
        let csp = form_post_csp("https://app.example.com/cb;x,y?q=1");
        assert!(
            csp.starts_with("default-src 'none'; script-src 'sha256-"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            csp.contains("form-action https://app.example.com/cb%3Bx%2Cy;"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let csp = form_post_csp("com.example.app:/callback");
        assert!(csp.contains("form-action com.example.app:;"), "{csp}");
    }

    fn english() -> FormPostWords {
        FormPostWords {
            lang: "en".into(),
            title: "Submit this form".into(),
            noscript: "JavaScript is off".into(),
            button: "Continue".into(),
        }
    }

    #[test]
    fn values_are_escaped() {
        let page = form_post_page(
            "https://app.example.com/cb?a=1&b=2",
            &[("state".into(), "\"><script>alert(1)</script>".into())],
            &english(),
        );
        assert_eq!(page.status(), StatusCode::OK);
        let html = form_post_html(
            "https://app.example.com/cb",
            &[("state".into(), "\"><b>".into())],
            &english(),
        );
        assert!(html.contains("value=\"&quot;&gt;&lt;b&gt;\""), "{html}");
        assert_eq!(
            escape("\"><script>&'"),
            "&quot;&gt;&lt;script&gt;&amp;&#39;"
        );
    }

    /// The page is localized like the others (OIDC Core §3.1.2.1 `ui_locales`): a request in
    /// `fr-CA` gets the `fr` catalogue's words and `lang="fr-CA"`.
    #[test]
    fn the_page_speaks_the_requested_language() {
        let tags = ["en-US".to_string(), "fr-CA".to_string()];
        let locales = crate::locales::Locales::new(&tags, &crate::pages::LANGUAGES).unwrap();
        let pages = Pages::new(None, "/assets".into(), locales).unwrap();
        let fr = pages.negotiate(Some("fr-CA"), None);
        let html = form_post_html(
            "https://a.example/cb",
            &[],
            &FormPostWords::new(&pages, &fr),
        );
        assert!(html.contains("<html lang=\"fr-CA\">"), "{html}");
        assert!(
            html.contains("<title>Envoyer ce formulaire</title>"),
            "{html}"
        );
        assert!(html.contains(">Continuer</button>"), "{html}");
        let en = pages.negotiate(None, Some("de, en"));
        let html = form_post_html(
            "https://a.example/cb",
            &[],
            &FormPostWords::new(&pages, &en),
        );
        assert!(html.contains("<html lang=\"en-US\">"), "{html}");
        assert!(html.contains(">Continue</button>"), "{html}");
    }
}
