//! One user agent walking an authorization code flow the way a browser does: it follows
//! redirects itself (so it can stop at the client's redirect URI), keeps cookies, and submits
//! the forms it is shown with every hidden field they carry (CSRF tokens included), filling in
//! the username and password and choosing the `allow` button where there is one.

use reqwest::{Client, StatusCode, header};
use url::Url;

pub type Error = String;

/// How many pages one flow may pass through before it is called a loop.
const MAX_STEPS: usize = 12;

/// The client's view of a provider.
pub struct Setup {
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub userinfo_endpoint: Url,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub username: String,
    pub password: String,
    pub scope: String,
}

/// What one complete flow ends with.
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// Runs one flow with a fresh browser (no session cookie: the user logs in), from the
/// authorization request to the UserInfo response, checking every answer.
pub async fn code_flow(setup: &Setup, api: &Client) -> Result<Tokens, Error> {
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = random_b64(32);
    let challenge = base64url(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    let state = random_b64(16);
    let mut url = setup.authorization_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &setup.client_id)
        .append_pair("redirect_uri", &setup.redirect_uri)
        .append_pair("scope", &setup.scope)
        .append_pair("state", &state)
        .append_pair("nonce", &random_b64(16))
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "consent");
    let code = walk(&browser, setup, url, &state).await?;
    let response = api
        .post(setup.token_endpoint.clone())
        .basic_auth(&setup.client_id, Some(&setup.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", setup.redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| format!("token request: {e}"))?;
    let body = json_of(response, "token").await?;
    let access_token = string_member(&body, "access_token")?;
    string_member(&body, "id_token")?;
    let refresh_token = body["refresh_token"].as_str().map(str::to_string);
    if setup.scope.contains("offline_access") && refresh_token.is_none() {
        return Err(format!("no refresh_token with offline_access: {body}"));
    }
    let response = api
        .get(setup.userinfo_endpoint.clone())
        .bearer_auth(&access_token)
        .send()
        .await
        .map_err(|e| format!("userinfo request: {e}"))?;
    let claims = json_of(response, "userinfo").await?;
    if claims["sub"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no sub in {claims}"));
    }
    Ok(Tokens {
        access_token,
        refresh_token,
    })
}

/// Follows redirects and submits forms from `start` until the provider redirects to the
/// client with a code; returns the code (after checking `state`, RFC 6749 §4.1.2).
async fn walk(browser: &Client, setup: &Setup, start: Url, state: &str) -> Result<String, Error> {
    let mut next = browser.get(start.clone());
    let mut at = start;
    for _ in 0..MAX_STEPS {
        let response = next.send().await.map_err(|e| format!("{at}: {e}"))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| format!("{at}: {status} without Location"))?;
            let target = at.join(location).map_err(|e| format!("{location}: {e}"))?;
            if target.as_str().starts_with(&setup.redirect_uri) {
                return code_from(&target, state);
            }
            next = browser.get(target.clone());
            at = target;
            continue;
        }
        let body = response.text().await.map_err(|e| format!("{at}: {e}"))?;
        if status != StatusCode::OK {
            return Err(format!("{at}: {status}: {}", excerpt(&body)));
        }
        let form =
            Form::parse(&body).ok_or_else(|| format!("{at}: no form: {}", excerpt(&body)))?;
        let target = at.join(&form.action).map_err(|e| e.to_string())?;
        let mut fields = form.fields;
        if form.has_password {
            fields.retain(|(name, _)| name != "username" && name != "password");
            fields.push(("username".into(), setup.username.clone()));
            fields.push(("password".into(), setup.password.clone()));
        }
        next = browser.post(target.clone()).form(&fields);
        at = target;
    }
    Err(format!("no redirect to the client after {MAX_STEPS} pages"))
}

fn code_from(redirect: &Url, state: &str) -> Result<String, Error> {
    let pairs: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(error) = get("error") {
        return Err(format!("authorization error {error}: {redirect}"));
    }
    if get("state").as_deref() != Some(state) {
        return Err(format!("state not returned: {redirect}"));
    }
    get("code").ok_or_else(|| format!("no code: {redirect}"))
}

/// The first form of a page: its action, its hidden fields and the `allow` button if any.
struct Form {
    action: String,
    fields: Vec<(String, String)>,
    has_password: bool,
}

impl Form {
    fn parse(html: &str) -> Option<Form> {
        let start = html.find("<form")?;
        let end = html[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e);
        let body = &html[start..end];
        let action = attr(tag_at(body, 0), "action").unwrap_or_default();
        let mut fields = Vec::new();
        let mut has_password = false;
        let mut allow = None;
        for (i, _) in body.match_indices('<') {
            let tag = tag_at(body, i);
            if tag.starts_with("<input") {
                match attr(tag, "type").as_deref() {
                    Some("hidden") => {
                        if let Some(name) = attr(tag, "name") {
                            fields.push((name, attr(tag, "value").unwrap_or_default()));
                        }
                    }
                    Some("password") => has_password = true,
                    _ => {}
                }
            } else if tag.starts_with("<button")
                && attr(tag, "value").as_deref() == Some("allow")
                && let Some(name) = attr(tag, "name")
            {
                allow = Some((name, "allow".to_string()));
            }
        }
        fields.extend(allow);
        Some(Form {
            action: unescape(&action),
            fields,
            has_password,
        })
    }
}

/// The tag that starts at `i` (up to its `>`).
fn tag_at(html: &str, i: usize) -> &str {
    let rest = &html[i..];
    &rest[..rest.find('>').map_or(rest.len(), |e| e + 1)]
}

/// The value of attribute `name` in `tag` (double-quoted, as both providers write them).
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn json_of(response: reqwest::Response, what: &str) -> Result<serde_json::Value, Error> {
    let status = response.status();
    let body = response.text().await.map_err(|e| format!("{what}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("{what}: {status}: {}", excerpt(&body)));
    }
    serde_json::from_str(&body).map_err(|e| format!("{what}: {e}: {}", excerpt(&body)))
}

fn string_member(body: &serde_json::Value, name: &str) -> Result<String, Error> {
    body[name]
        .as_str()
        .filter(|s| s.len() >= 16)
        .map(str::to_string)
        .ok_or_else(|| format!("no {name} in {body}"))
}

fn excerpt(body: &str) -> String {
    body.chars().take(300).collect()
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf).expect("the system RNG works");
    base64url(buf)
}

fn base64url(bytes: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_oxid_login_form() {
        let html = r#"<form method="post" action="&#x2f;login">
<input type="hidden" name="csrf_token" value="a&amp;b">
<input type="hidden" name="interaction" value="xyz">
<input id="username" name="username" type="text" required value="">
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form>"#;
        let form = Form::parse(html).unwrap();
        assert_eq!(form.action, "/login");
        assert!(form.has_password);
        assert_eq!(
            form.fields,
            vec![
                ("csrf_token".to_string(), "a&b".to_string()),
                ("interaction".to_string(), "xyz".to_string())
            ]
        );
    }

    #[test]
    fn consent_form_chooses_allow() {
        let html = r#"<form method="post" action="/consent"><input type="hidden" name="csrf_token" value="t">
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button></form>"#;
        let form = Form::parse(html).unwrap();
        assert!(!form.has_password);
        assert_eq!(
            form.fields[1],
            ("decision".to_string(), "allow".to_string())
        );
    }
}
