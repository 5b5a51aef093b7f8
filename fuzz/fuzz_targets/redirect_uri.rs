//! Redirect URI validation: `is_absolute_uri_without_fragment` on arbitrary text, and every
//! place the crate applies it (the authentication request's `redirect_uri`, the end-session
//! `post_logout_redirect_uri`, client registration's `redirect_uris` and
//! `post_logout_redirect_uris`) agrees with it. For an accepted URI, the redirects built on
//! it (`redirect_with` in query and fragment mode, the post-logout redirect) are URLs whose
//! query / fragment carries exactly the parameters put in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::authorization::{is_absolute_uri_without_fragment, redirect_with};
use oxid_protocol::metadata::check_issuer;
use oxid_protocol::{
    AuthenticationRequest, ClientMetadata, EndSessionRequest, Params, ResponseMode,
};

const STATE: &str = "af0 ifj&sld=kj#%+?";

fn pairs() -> Vec<(String, String)> {
    vec![
        ("code".into(), "SplxlOBeZQQYbYS6WxSbIA".into()),
        ("state".into(), STATE.into()),
        ("iss".into(), "https://op.example.com".into()),
    ]
}

fn registration(uri: &str, app: &str, grants: &[&str], responses: &[&str]) -> ClientMetadata {
    let doc = serde_json::json!({
        "redirect_uris": [uri],
        "application_type": app,
        "grant_types": grants,
        "response_types": responses,
    });
    ClientMetadata::from_json(doc.to_string().as_bytes()).expect("fixed registration")
}

fuzz_target!(|data: &[u8]| {
    let Ok(uri) = std::str::from_utf8(data) else {
        return;
    };
    let absolute = is_absolute_uri_without_fragment(uri);
    // The rule: parses as a URL, no '#', and no space or control character anywhere (the
    // URL parser would strip those at the ends; see fuzz_regressions.rs).
    let clean = !uri.bytes().any(|b| b <= b' ' || b == 0x7f);
    // A userinfo without a host (`h://@`) is refused too, though the url crate parses it.
    let rule = clean && url::Url::parse(uri).is_ok() && !uri.contains('#');
    assert!(!absolute || rule, "accepted against the rule");
    if !uri.contains('@') {
        assert_eq!(absolute, rule);
    }
    let _ = check_issuer(uri);

    // The authentication request applies the rule to redirect_uri.
    let p = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "s6BhdRkqt3"),
        ("redirect_uri", uri),
        ("scope", "openid"),
        ("state", STATE),
    ])
    .unwrap();
    let req = AuthenticationRequest::from_params(&p);
    if uri.is_empty() {
        assert!(req.is_err());
    } else {
        assert_eq!(req.is_ok(), absolute, "authentication request disagrees");
    }

    // So does the end-session request for post_logout_redirect_uri.
    let p = Params::from_pairs([("post_logout_redirect_uri", uri), ("state", STATE)]).unwrap();
    let es = EndSessionRequest::from_params(&p);
    if !uri.is_empty() {
        assert_eq!(es.is_ok(), absolute, "end-session request disagrees");
    }

    // Registration: a redirect URI it accepts is absolute without fragment.
    for (app, grants, responses) in [
        ("web", &["authorization_code"][..], &["code"][..]),
        ("native", &["authorization_code"][..], &["code"][..]),
        (
            "web",
            &["authorization_code", "implicit"][..],
            &["code id_token"][..],
        ),
    ] {
        if registration(uri, app, grants, responses).validate().is_ok() {
            assert!(absolute, "registration accepted {uri:?} ({app})");
        }
    }
    let reg = ClientMetadata::from_json(
        serde_json::json!({"redirect_uris": ["https://rp.example/cb"],
                           "post_logout_redirect_uris": [uri]})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        reg.validate().is_ok(),
        absolute,
        "post_logout_redirect_uris disagrees"
    );

    if !absolute {
        return;
    }
    // Query mode: the parameters come last in the query, exactly as given.
    let q = redirect_with(uri, ResponseMode::Query, pairs());
    let u = url::Url::parse(&q).unwrap_or_else(|e| panic!("query redirect {q:?}: {e}"));
    let got: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert!(
        got.ends_with(&pairs()),
        "query redirect {q:?} carries {got:?}"
    );
    assert!(u.fragment().is_none());

    // Fragment mode: the fragment is exactly the parameters.
    let f = redirect_with(uri, ResponseMode::Fragment, pairs());
    let u = url::Url::parse(&f).unwrap_or_else(|e| panic!("fragment redirect {f:?}: {e}"));
    let frag = Params::parse_query(u.fragment().expect("fragment"))
        .unwrap_or_else(|e| panic!("fragment of {f:?}: {e}"));
    assert_eq!(
        frag,
        Params::from_pairs(pairs()).unwrap(),
        "fragment of {f:?}"
    );

    // The post-logout redirect carries the state.
    let back = es
        .expect("accepted")
        .post_logout_redirect()
        .expect("has a URI");
    let u = url::Url::parse(&back).unwrap_or_else(|e| panic!("post-logout {back:?}: {e}"));
    let got: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert_eq!(
        got.last(),
        Some(&("state".to_owned(), STATE.to_owned())),
        "{back:?}"
    );
});
