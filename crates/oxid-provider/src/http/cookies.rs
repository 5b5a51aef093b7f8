//! Cookies of the provider: the login session and the CSRF secret, both HttpOnly and
//! SameSite=Lax; on https Secure, and named with the `__Host-` prefix (RFC 6265bis §4.1.3.2:
//! no Domain, Path=/, so a sibling host or a plain-http page cannot plant them) or, for an
//! issuer with a path, `__Secure-`. A form's CSRF token is an HMAC of the sealed interaction
//! it carries keyed with the CSRF cookie (OWASP's signed double submit): a token copied from
//! one form is refused on another interaction's form.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::ProviderConfig;
use crate::crypto::secrets::{constant_time_eq, random_token};

/// The login session cookie's name without its prefix.
pub const SESSION_COOKIE: &str = "oxid_session";
/// The CSRF cookie's name without its prefix: the key of every form's token.
pub const CSRF_COOKIE: &str = "oxid_csrf";

/// The name cookie `base` has under `config`: prefixed on https (see the module's text).
pub fn cookie_name(config: &ProviderConfig, base: &str) -> String {
    match (config.secure_cookies(), config.issuer_path()) {
        (false, _) => base.to_string(),
        (true, "") => format!("__Host-{base}"),
        (true, _) => format!("__Secure-{base}"),
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value; `max_age` of 0 deletes the cookie.
pub fn set_cookie(config: &ProviderConfig, name: &str, value: &str, max_age: u64) -> String {
    let path = match config.issuer_path() {
        "" => "/",
        path => path,
    };
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The browser's login session value (see `session`), if it sent one.
pub fn session_token<'a>(config: &ProviderConfig, headers: &'a HeaderMap) -> Option<&'a str> {
    read_cookie(headers, &cookie_name(config, SESSION_COOKIE))
}

/// The `Set-Cookie` that gives the browser a new login session.
pub fn session_cookie(config: &ProviderConfig, token: &str) -> String {
    let name = cookie_name(config, SESSION_COOKIE);
    set_cookie(config, &name, token, config.lifetimes.session)
}

/// The `Set-Cookie` that removes the login session cookie.
pub fn clear_session_cookie(config: &ProviderConfig) -> String {
    set_cookie(config, &cookie_name(config, SESSION_COOKIE), "", 0)
}

/// Adds a `Set-Cookie` header to `response` (beside any already there).
pub fn with_set_cookie(mut response: Response, cookie: Option<&str>) -> Response {
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The token of a form carrying the sealed `interaction`, for the browser whose CSRF cookie
/// holds `secret`: HMAC-SHA256 keyed with the secret, over the interaction.
fn form_token(secret: &str, interaction: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, format!("oxid/csrf/{interaction}").as_bytes());
    URL_SAFE_NO_PAD.encode(tag.as_ref())
}

/// The CSRF token of a form carrying `interaction` (the sealed value of its `interaction`
/// field; empty for a form with none), and the `Set-Cookie` to send when the browser had no
/// CSRF secret yet.
pub fn csrf_token(
    config: &ProviderConfig,
    headers: &HeaderMap,
    interaction: &str,
) -> (String, Option<String>) {
    let name = cookie_name(config, CSRF_COOKIE);
    match read_cookie(headers, &name) {
        Some(secret) if secret.len() >= 32 => (form_token(secret, interaction), None),
        _ => {
            let secret = random_token();
            let cookie = set_cookie(config, &name, &secret, 86400);
            (form_token(&secret, interaction), Some(cookie))
        }
    }
}

/// Whether the form's token is the one this browser's CSRF secret gives for the form's
/// `interaction` (constant time).
pub fn csrf_matches(
    config: &ProviderConfig,
    headers: &HeaderMap,
    interaction: &str,
    form: Option<&str>,
) -> bool {
    match (
        read_cookie(headers, &cookie_name(config, CSRF_COOKIE)),
        form,
    ) {
        (Some(secret), Some(form)) if secret.len() >= 32 => {
            let expected = form_token(secret, interaction);
            constant_time_eq(expected.as_bytes(), form.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, cookie.parse().unwrap());
        headers
    }

    #[test]
    fn reads_one_cookie_among_several() {
        let h = headers("a=1; oxid_session=abc; b=2");
        assert_eq!(read_cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(read_cookie(&h, "missing"), None);
    }

    fn config(issuer: &str) -> ProviderConfig {
        let settings = Settings {
            issuer: issuer.into(),
            ..Settings::default()
        };
        ProviderConfig::from_settings(&settings).unwrap()
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_cookie_and_the_interaction() {
        let config = config("http://localhost:8080");
        let secret = "x".repeat(43);
        let h = headers(&format!("oxid_csrf={secret}"));
        let (token, set) = csrf_token(&config, &h, "interaction-a");
        assert_eq!(set, None, "the browser's secret is kept");
        assert!(csrf_matches(&config, &h, "interaction-a", Some(&token)));
        // A token from one login form is refused on another interaction's form.
        assert!(!csrf_matches(&config, &h, "interaction-b", Some(&token)));
        assert!(
            !csrf_matches(&config, &h, "interaction-a", Some(&secret)),
            "not the bare cookie"
        );
        assert!(!csrf_matches(&config, &h, "interaction-a", None));
        assert!(!csrf_matches(
            &config,
            &HeaderMap::new(),
            "interaction-a",
            Some(&token)
        ));
        let other = headers(&format!("oxid_csrf={}", "y".repeat(43)));
        assert!(!csrf_matches(
            &config,
            &other,
            "interaction-a",
            Some(&token)
        ));
    }

    #[test]
    fn cookies_are_httponly_lax_secure_and_prefixed_on_https() {
        let root = config("https://id.example.com");
        let cookie = session_cookie(&root, "v");
        assert!(
            cookie.starts_with("__Host-oxid_session=v; Path=/; Max-Age="),
            "{cookie}"
        );
        assert!(
            cookie.ends_with("; HttpOnly; SameSite=Lax; Secure"),
            "{cookie}"
        );
        let h = headers("oxid_session=planted; __Host-oxid_session=real");
        assert_eq!(
            session_token(&root, &h),
            Some("real"),
            "an unprefixed cookie is ignored"
        );
        let (_, set) = csrf_token(&root, &HeaderMap::new(), "i");
        assert!(set.unwrap().starts_with("__Host-oxid_csrf="));
        // __Host- needs Path=/: an issuer with a path gets __Secure-.
        let tenant = config("https://id.example.com/tenant");
        let cookie = set_cookie(&tenant, &cookie_name(&tenant, SESSION_COOKIE), "v", 60);
        assert_eq!(
            cookie,
            "__Secure-oxid_session=v; Path=/tenant; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
        );
        let plain = config("http://localhost:8080");
        assert_eq!(cookie_name(&plain, CSRF_COOKIE), "oxid_csrf");
    }
}
