//! A browser for tests: follows redirects with a cookie jar, fills and submits each page's
//! first form (hidden inputs kept, username/login and password filled), and stops at the
//! redirect URI.
#![allow(dead_code)]

/// Decodes the HTML character references a template engine emits in attributes.
fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')?;
    Some(html_unescape(&tag[at..at + end]))
}

/// The first form of a page: its action and its fields, credentials filled in.
pub fn first_form(
    html: &str,
    username: &str,
    password: &str,
) -> Option<(String, Vec<(String, String)>)> {
    let start = html.find("<form")?;
    let end = html[start..]
        .find("</form>")
        .map(|e| start + e)
        .unwrap_or(html.len());
    let form = &html[start..end];
    let action = attribute(&form[..form.find('>')?], "action")?;
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find("<input") {
        let tag_end = rest[i..].find('>').map(|e| i + e).unwrap_or(rest.len());
        let tag = &rest[i..tag_end];
        if let Some(name) = attribute(tag, "name") {
            let value = match name.as_str() {
                "username" | "login" => username.to_owned(),
                "password" => password.to_owned(),
                _ => attribute(tag, "value").unwrap_or_default(),
            };
            fields.push((name, value));
        }
        rest = &rest[tag_end..];
    }
    // A submit button with a name (such as an "allow" choice) is part of the form data.
    if let Some(i) = form.find("<button") {
        let tag = &form[i..form[i..].find('>').map(|e| i + e).unwrap_or(form.len())];
        if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
            fields.push((name, value));
        }
    }
    Some((action, fields))
}

/// Follows `start` until a redirect to `redirect_uri`, and returns that redirect's query.
pub async fn browse_to_callback(
    start: &str,
    redirect_uri: &str,
    username: &str,
    password: &str,
) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut url = url::Url::parse(start).unwrap();
    let mut response = browser.get(url.clone()).send().await.unwrap();
    for _ in 0..20 {
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            if location.starts_with(redirect_uri) {
                return location
                    .split_once('?')
                    .map(|(_, q)| q.to_owned())
                    .unwrap_or_default();
            }
            url = url.join(&location).unwrap();
            response = browser.get(url.clone()).send().await.unwrap();
            continue;
        }
        let status = response.status();
        let html = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "the provider answered {status}: {html}"
        );
        let (action, fields) = first_form(&html, username, password).expect("a page with a form");
        let action = url.join(&action).unwrap();
        response = browser
            .post(action.clone())
            .form(&fields)
            .send()
            .await
            .unwrap();
        url = action;
    }
    panic!("no redirect to {redirect_uri} after 20 steps");
}
