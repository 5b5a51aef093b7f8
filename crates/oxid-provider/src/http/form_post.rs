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

/// The one script of the page.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// The auto-submitting form posting `params` to `redirect_uri`, with its policy.
pub fn form_post_page(redirect_uri: &str, params: &[(String, String)]) -> Response {
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
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Submit this form</title></head><body>\
         <form method=\"post\" action=\"{}\">{fields}\
         <noscript><p>JavaScript is off: continue to the application.</p>\
         <button type=\"submit\">Continue</button></noscript></form>\
         <script>{SUBMIT_SCRIPT}</script></body></html>\n",
        escape(redirect_uri)
    );
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

    #[test]
    fn values_are_escaped() {
        let page = form_post_page(
            "https://app.example.com/cb?a=1&b=2",
            &[("state".into(), "\"><script>alert(1)</script>".into())],
        );
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(
            escape("\"><script>&'"),
            "&quot;&gt;&lt;script&gt;&amp;&#39;"
        );
    }
}
