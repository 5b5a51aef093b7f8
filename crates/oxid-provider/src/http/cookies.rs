//! Cookies of the provider: the login session and the CSRF token (double submit, RFC 9700
//! §4.7 and OWASP's CSRF guidance), both HttpOnly and SameSite=Lax, Secure on https.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

use crate::config::ProviderConfig;
use crate::crypto::secrets::{constant_time_eq, random_token};

/// The login session cookie.
pub const SESSION_COOKIE: &str = "oxid_session";
/// The CSRF cookie whose value every form must echo.
pub const CSRF_COOKIE: &str = "oxid_csrf";

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
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    read_cookie(headers, SESSION_COOKIE)
}

/// The `Set-Cookie` that gives the browser a new login session.
pub fn session_cookie(config: &ProviderConfig, token: &str) -> String {
    set_cookie(config, SESSION_COOKIE, token, config.lifetimes.session)
}

/// The `Set-Cookie` that removes the login session cookie.
pub fn clear_session_cookie(config: &ProviderConfig) -> String {
    set_cookie(config, SESSION_COOKIE, "", 0)
}

/// Adds a `Set-Cookie` header to `response` (beside any already there).
pub fn with_set_cookie(mut response: Response, cookie: Option<&str>) -> Response {
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The CSRF token of this browser, and the `Set-Cookie` to send when it is new.
pub fn csrf_token(config: &ProviderConfig, headers: &HeaderMap) -> (String, Option<String>) {
    match read_cookie(headers, CSRF_COOKIE) {
        Some(token) if token.len() >= 32 => (token.to_string(), None),
        _ => {
            let token = random_token();
            let cookie = set_cookie(config, CSRF_COOKIE, &token, 86400);
            (token, Some(cookie))
        }
    }
}

/// Whether the form's token matches the cookie (constant time).
pub fn csrf_matches(headers: &HeaderMap, form_token: Option<&str>) -> bool {
    match (read_cookie(headers, CSRF_COOKIE), form_token) {
        (Some(cookie), Some(form)) if cookie.len() >= 32 => {
            constant_time_eq(cookie.as_bytes(), form.as_bytes())
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

    #[test]
    fn csrf_needs_matching_cookie_and_field() {
        let token = "x".repeat(43);
        let h = headers(&format!("oxid_csrf={token}"));
        assert!(csrf_matches(&h, Some(&token)));
        assert!(!csrf_matches(&h, Some("other")));
        assert!(!csrf_matches(&h, None));
        assert!(!csrf_matches(&HeaderMap::new(), Some(&token)));
    }

    #[test]
    fn cookies_are_httponly_lax_and_secure_on_https() {
        let config = crate::config::ProviderConfig::from_settings(&Settings {
            issuer: "https://id.example.com/tenant".into(),
            ..Settings::default()
        })
        .unwrap();
        let cookie = set_cookie(&config, SESSION_COOKIE, "v", 60);
        assert_eq!(
            cookie,
            "oxid_session=v; Path=/tenant; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
        );
    }
}
