//! Authorization endpoint parameters: `Params::parse_query` → `AuthenticationRequest::
//! from_params` never panics; a request that is accepted encodes (query string, full URL,
//! JSON) and is read back to the same request; an error carries valid `error_description`
//! text and the request's `state`, and redirects. The client-side readers of the response
//! (`AuthorizationResult`, `AuthorizationResponse`) and `EndSessionRequest` get the same
//! parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxid_protocol::authorization::AuthorizationResponse;
use oxid_protocol::{
    AuthenticationRequest, AuthorizationResult, EndSessionRequest, Params, ResponseMode,
    is_valid_error_text,
};

const ENDPOINT: &str = "https://op.example.com/authorize";

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(params) = Params::parse_query(query) else {
        return;
    };
    match AuthenticationRequest::from_params(&params) {
        Ok(req) => {
            let encoded = req.encode();
            let p2 = Params::parse_query(&encoded)
                .unwrap_or_else(|e| panic!("re-parse of {encoded:?} failed: {e}"));
            assert_eq!(p2, req.to_params());
            let again = AuthenticationRequest::from_params(&p2)
                .unwrap_or_else(|e| panic!("re-read of {encoded:?} refused: {e}"));
            assert_eq!(again, req, "decode(encode(x)) != x for {encoded:?}");
            assert_eq!(again.encode(), encoded, "encoding is not stable");

            let url = url::Url::parse(&req.to_url(ENDPOINT)).expect("to_url is not a URL");
            let p3 = Params::parse_query(url.query().unwrap_or("")).expect("URL query");
            assert_eq!(AuthenticationRequest::from_params(&p3).unwrap(), req);

            let json = serde_json::to_string(&req).expect("serialize");
            let from_json: AuthenticationRequest = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("JSON {json:?} refused: {e}"));
            assert_eq!(from_json, req, "JSON round trip");

            let _ = req.effective_response_mode();
            let _ = req.effective_code_challenge_method();
        }
        Err(err) => {
            if let Some(d) = &err.error_description {
                assert!(is_valid_error_text(d), "invalid error_description {d:?}");
            }
            assert_eq!(
                err.state.as_deref(),
                params.get("state"),
                "state not echoed"
            );
            if let Some(uri) = params.get("redirect_uri") {
                let _ = err.redirect_url(uri, ResponseMode::Query);
                let _ = err.redirect_url(uri, ResponseMode::Fragment);
            }
        }
    }
    // The same parameters as a response the client reads, and as a logout request.
    if let Ok(r) = AuthorizationResult::from_params(&params) {
        let _ = (r.state(), r.iss());
    }
    if let Ok(resp) = AuthorizationResponse::from_params(&params) {
        let again =
            AuthorizationResponse::from_params(&Params::parse_query(&resp.encode()).unwrap())
                .expect("response re-read");
        assert_eq!(again, resp, "authorization response round trip");
    }
    if let Ok(es) = EndSessionRequest::from_params(&params) {
        let _ = es.post_logout_redirect();
    }
});
