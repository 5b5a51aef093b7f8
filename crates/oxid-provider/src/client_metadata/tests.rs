//! Each rule of client metadata, accepted and refused, with the member the refusal names.

use oxid_protocol::registration::RegistrationErrorCode::{
    self, InvalidClientMetadata, InvalidRedirectUri, UnapprovedSoftwareStatement,
};
use serde_json::{Value, json};

use super::*;
use crate::capabilities::Capabilities;
use crate::config::{ProviderConfig, Settings};

const WEB: &str = "https://rp.example.com/cb";

fn default_caps() -> Capabilities {
    let settings = Settings {
        scopes: crate::test_support::api_scopes(),
        ..Settings::default()
    };
    Capabilities::from_config(&ProviderConfig::from_settings(&settings).unwrap())
}

/// The defaults widened with what other parts of Oxid switch on (implicit and hybrid
/// response types, the JWT authentication methods), so the rules about them can be reached.
fn wide_caps() -> Capabilities {
    let mut caps = default_caps();
    caps.grant_types.push(GrantType::Implicit);
    caps.response_types = crate::capabilities::ALL_RESPONSE_TYPES.to_vec();
    caps.token_auth
        .methods
        .push(ClientAuthMethod::PrivateKeyJwt);
    caps.token_auth
        .methods
        .push(ClientAuthMethod::ClientSecretJwt);
    caps.token_auth.signing_algs = vec![SigningAlg::RS256, SigningAlg::HS256];
    caps
}

fn metadata(value: Value) -> ClientMetadata {
    ClientMetadata::from_json(value.to_string().as_bytes()).unwrap()
}

fn accepted_by(caps: &Capabilities, value: Value) -> ValidatedClient {
    let text = value.to_string();
    metadata(value)
        .validate(caps)
        .unwrap_or_else(|e| panic!("{text} refused: {e}"))
}

fn accepted(value: Value) -> ValidatedClient {
    accepted_by(&wide_caps(), value)
}

fn refused_by(caps: &Capabilities, value: Value) -> (RegistrationErrorCode, String) {
    let text = value.to_string();
    match metadata(value).validate(caps) {
        Ok(_) => panic!("{text} accepted"),
        Err(e) => (e.code, e.member),
    }
}

fn refused(value: Value) -> (RegistrationErrorCode, String) {
    refused_by(&wide_caps(), value)
}

fn is(code: RegistrationErrorCode, member: &str) -> (RegistrationErrorCode, String) {
    (code, member.to_string())
}

#[test]
fn defaults_are_filled_in_rfc7591_2_oidc_registration_2() {
    let client = accepted_by(&default_caps(), json!({"redirect_uris": [WEB]}));
    let m = &client.metadata.registered;
    assert_eq!(client.auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(client.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(client.response_types, [ResponseType::CODE]);
    assert_eq!(client.id_token_alg, SigningAlg::RS256);
    assert_eq!(
        m.token_endpoint_auth_method.as_deref(),
        Some("client_secret_basic")
    );
    assert_eq!(m.application_type.as_deref(), Some("web"));
    assert_eq!(m.id_token_signed_response_alg.as_deref(), Some("RS256"));
    let every_scope: Vec<String> = default_caps().scope_names().map(str::to_string).collect();
    assert_eq!(client.scopes, every_scope);
    assert_eq!(
        client.metadata.require_pkce, None,
        "the deployment's default applies"
    );
    assert_eq!(client.metadata.id_token_claims.as_deref(), Some("scope"));
    assert!(client.needs_secret() && !client.needs_secret_in_clear());
    let public = accepted(json!({"redirect_uris": [WEB], "token_endpoint_auth_method": "none"}));
    assert!(!public.needs_secret());
}

#[test]
fn web_redirect_uris_are_https_or_loopback_http_oidc_registration_2() {
    for uri in [
        WEB,
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8/cb",
    ] {
        accepted(json!({"redirect_uris": [uri]}));
    }
    let refusal = is(InvalidRedirectUri, "redirect_uris");
    for uri in ["http://rp.example.com/cb", "com.example.app:/cb"] {
        assert_eq!(refused(json!({"redirect_uris": [uri]})), refusal, "{uri}");
    }
    // With the implicit grant: https only, and never localhost.
    let implicit = |uri: &str| json!({"redirect_uris": [uri], "grant_types": ["implicit"], "response_types": ["id_token"]});
    accepted(implicit(WEB));
    for uri in [
        "http://localhost:3000/cb",
        "https://localhost/cb",
        "https://127.0.0.1/cb",
    ] {
        assert_eq!(refused(implicit(uri)), refusal, "{uri}");
    }
}

#[test]
fn native_redirect_uris_are_custom_schemes_or_loopback_http_oidc_registration_2() {
    let native = |uri: &str| json!({"redirect_uris": [uri], "application_type": "native"});
    for uri in [
        "com.example.app:/cb",
        "http://127.0.0.1/cb",
        "http://localhost:5/cb",
    ] {
        accepted(native(uri));
    }
    let refusal = is(InvalidRedirectUri, "redirect_uris");
    for uri in ["http://rp.example.com/cb", WEB, "javascript:alert(1)"] {
        assert_eq!(refused(native(uri)), refusal, "{uri}");
    }
    assert_eq!(
        refused(json!({"redirect_uris": [WEB], "application_type": "desktop"})),
        is(InvalidClientMetadata, "application_type")
    );
}

#[test]
fn redirect_uris_are_absolute_without_fragment_and_required_for_code_rfc7591_2() {
    let refusal = is(InvalidRedirectUri, "redirect_uris");
    for uri in [
        "https://rp.example.com/cb#frag",
        "/cb",
        "https://rp.example.com/c\r\nb",
    ] {
        assert_eq!(refused(json!({"redirect_uris": [uri]})), refusal, "{uri:?}");
    }
    assert_eq!(refused(json!({})), refusal, "code needs a redirect URI");
    let service = accepted(json!({"grant_types": ["client_credentials"]}));
    assert!(
        service.response_types.is_empty(),
        "no code default without the code grant"
    );
}

#[test]
fn response_types_need_their_grants_oidc_registration_2_table() {
    let hybrid = |grants: Value| json!({"redirect_uris": [WEB], "response_types": ["code id_token"], "grant_types": grants});
    accepted(hybrid(json!(["authorization_code", "implicit"])));
    let refusal = is(InvalidClientMetadata, "grant_types");
    assert_eq!(refused(hybrid(json!(["authorization_code"]))), refusal);
    assert_eq!(refused(hybrid(json!(["implicit"]))), refusal);
    let token_only = json!({"redirect_uris": [WEB], "response_types": ["token"]});
    assert_eq!(refused(token_only), refusal, "token needs implicit");
    // What the deployment does not serve is refused by name.
    let unserved = json!({"redirect_uris": [WEB], "response_types": ["code id_token"],
        "grant_types": ["authorization_code", "implicit"]});
    let mut code_only = default_caps();
    code_only.response_types.retain(|rt| rt.is_code_flow());
    code_only.grant_types.retain(|g| *g != GrantType::Implicit);
    assert_eq!(refused_by(&code_only, unserved).1, "grant_types");
    let unknown = json!({"redirect_uris": [WEB], "response_types": ["code magic"]});
    assert_eq!(
        refused(unknown),
        is(InvalidClientMetadata, "response_types")
    );
}

#[test]
fn public_clients_cannot_use_client_credentials_or_skip_pkce() {
    let service = |method: &str| json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": method});
    accepted(service("client_secret_post"));
    assert_eq!(
        refused(service("none")),
        is(InvalidClientMetadata, "grant_types")
    );
    let no_pkce = |method: &str| json!({"redirect_uris": [WEB], "token_endpoint_auth_method": method, "require_pkce": false});
    assert_eq!(
        accepted(no_pkce("client_secret_basic"))
            .metadata
            .require_pkce,
        Some(false)
    );
    assert_eq!(
        refused(no_pkce("none")),
        is(InvalidClientMetadata, "require_pkce")
    );
}

#[test]
fn auth_methods_and_algorithms_come_from_the_capability_table() {
    let method = |name: &str| json!({"redirect_uris": [WEB], "token_endpoint_auth_method": name});
    accepted_by(&default_caps(), method("client_secret_post"));
    let refusal = is(InvalidClientMetadata, "token_endpoint_auth_method");
    // The JWT methods are in the default table (client_secret_jwt keeps the secret).
    accepted_by(&default_caps(), method("client_secret_jwt"));
    assert_eq!(refused(method("tls_client_auth")), refusal);
    let alg = |name: &str, method: &str| {
        json!({"redirect_uris": [WEB], "id_token_signed_response_alg": name,
            "token_endpoint_auth_method": method})
    };
    let es256 = accepted(alg("ES256", "client_secret_basic"));
    assert_eq!(es256.id_token_alg, SigningAlg::ES256);
    let hs256 = accepted(alg("HS256", "client_secret_basic"));
    assert!(hs256.needs_secret_in_clear(), "the HMAC key is the secret");
    let refusal = is(InvalidClientMetadata, "id_token_signed_response_alg");
    assert_eq!(refused(alg("none", "client_secret_basic")), refusal);
    assert_eq!(
        refused(alg("HS256", "none")),
        refusal,
        "a public client has no secret"
    );
    let userinfo =
        |name: &str| json!({"redirect_uris": [WEB], "userinfo_signed_response_alg": name});
    assert_eq!(
        accepted(userinfo("ES256")).userinfo_alg,
        Some(SigningAlg::ES256)
    );
    // `none` is listed in discovery: plain JSON, as when nothing is registered.
    accepted(userinfo("none"));
}

#[test]
fn client_keys_jwks_or_jwks_uri_public_only_oidc_registration_2() {
    let key = json!({"kty": "EC", "crv": "P-256", "kid": "k1",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    let jwt = |extra: Value| {
        let mut m = json!({"redirect_uris": [WEB], "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "RS256"});
        m.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        m
    };
    let by_value = accepted(jwt(json!({"jwks": {"keys": [key]}})));
    assert!(
        !by_value.needs_secret(),
        "private_key_jwt clients get no secret"
    );
    accepted(jwt(json!({"jwks_uri": "https://rp.example.com/jwks"})));
    let refusal = is(InvalidClientMetadata, "jwks");
    let both = json!({"jwks": {"keys": [key]}, "jwks_uri": "https://rp.example.com/jwks"});
    assert_eq!(refused(jwt(both)), refusal);
    let mut private = key.clone();
    private["d"] = json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
    assert_eq!(refused(jwt(json!({"jwks": {"keys": [private]}}))), refusal);
    let plain = json!({"jwks_uri": "http://rp.example.com/jwks"});
    assert_eq!(refused(jwt(plain)), is(InvalidClientMetadata, "jwks_uri"));
    accepted(jwt(json!({"jwks_uri": "http://127.0.0.1:8/jwks"})));
    assert_eq!(refused(jwt(json!({}))).1, "token_endpoint_auth_method");
    let empty = json!({"jwks": {"keys": []}});
    assert_eq!(
        refused(jwt(empty)).1,
        "token_endpoint_auth_method",
        "no key to verify with"
    );
    let hmac = json!({"jwks_uri": "https://rp.example.com/jwks",
        "token_endpoint_auth_signing_alg": "HS256"});
    assert_eq!(refused(jwt(hmac)).1, "token_endpoint_auth_signing_alg");
}

#[test]
fn pages_and_language_tagged_members_oidc_registration_2_1() {
    let client = accepted(json!({"redirect_uris": [WEB], "client_name": "Shop",
        "client_name#fr": "Boutique", "logo_uri#fr-CA": "https://rp.example.com/fr.png",
        "policy_uri": "https://rp.example.com/policy", "unknown_member": 1,
        "redirect_uris#fr": "kept out"}));
    let extra = &client.metadata.registered.extra;
    let names: Vec<&str> = extra.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["client_name#fr", "logo_uri#fr-CA"],
        "RFC 7591 §2: others ignored"
    );
    let refusal = |member: &str| is(InvalidClientMetadata, member);
    for (member, value) in [
        ("logo_uri", "javascript:alert(1)"),
        ("tos_uri", "not a url"),
        ("client_name#not a tag", "x"),
        ("policy_uri#de", "data:text/html,x"),
    ] {
        let mut m = json!({"redirect_uris": [WEB]});
        m[member] = json!(value);
        assert_eq!(refused(m), refusal(member), "{member}");
    }
    let contacts = |c: &str| json!({"redirect_uris": [WEB], "contacts": [c]});
    accepted(contacts("ops@rp.example.com"));
    assert_eq!(refused(contacts("call me")), refusal("contacts"));
}

#[test]
fn what_oxid_cannot_honour_safely_is_refused() {
    let base = |member: &str, value: Value| {
        let mut m = json!({"redirect_uris": [WEB]});
        m[member] = value;
        m
    };
    for member in [
        "id_token_encrypted_response_alg",
        "userinfo_encrypted_response_alg",
    ] {
        let (code, named) = refused(base(member, json!("RSA-OAEP")));
        assert_eq!((code, named.as_str()), (InvalidClientMetadata, member));
    }
    assert_eq!(
        refused(base("subject_type", json!("secret"))).1,
        "subject_type"
    );
    accepted(base("subject_type", json!("public")));
    let statement = refused(base("software_statement", json!("eyJ.eyJ.sig")));
    assert_eq!(
        statement,
        is(UnapprovedSoftwareStatement, "software_statement")
    );
    assert_eq!(
        refused(base("id_token_claims", json!("all"))).1,
        "id_token_claims"
    );
    accepted(base("id_token_claims", json!("minimal")));
    assert_eq!(
        refused(base("scope", json!("openid bad\"scope"))).1,
        "scope"
    );
    let scoped = accepted(base("scope", json!("openid api:read")));
    assert_eq!(scoped.scopes, ["openid", "api:read"]);
}

#[test]
fn logout_uris_are_https_or_http_for_confidential_clients_logout_specs_2() {
    let client = |method: &str, uri: &str| {
        json!({"redirect_uris": [WEB], "token_endpoint_auth_method": method,
            "backchannel_logout_uri": uri, "frontchannel_logout_uri": uri,
            "post_logout_redirect_uris": [WEB]})
    };
    accepted(client("none", "https://rp.example.com/logout"));
    accepted(client(
        "client_secret_basic",
        "http://rp.example.com/logout",
    ));
    let refusal = is(InvalidClientMetadata, "frontchannel_logout_uri");
    assert_eq!(
        refused(client("none", "http://rp.example.com/logout")),
        refusal
    );
    let fragment =
        json!({"redirect_uris": [WEB], "post_logout_redirect_uris": [format!("{WEB}#x")]});
    assert_eq!(
        refused(fragment),
        is(InvalidClientMetadata, "post_logout_redirect_uris")
    );
}

#[test]
fn a_record_reads_back_as_the_metadata_it_was_made_from() {
    let client = accepted(json!({"redirect_uris": [WEB], "client_name": "Shop",
        "client_name#fr": "Boutique", "logo_uri": "https://rp.example.com/logo.png",
        "contacts": ["ops@rp.example.com"], "default_max_age": 600, "require_auth_time": true,
        "backchannel_logout_uri": "https://rp.example.com/bc",
        "backchannel_logout_session_required": true, "grant_types": ["authorization_code",
        "refresh_token"], "post_logout_redirect_uris": ["https://rp.example.com/bye"]}));
    let record = client.to_record("shop", false, 7);
    assert_eq!(
        record.metadata.get("client_name"),
        None,
        "kept in its column"
    );
    assert_eq!(
        record.metadata["logo_uri"],
        "https://rp.example.com/logo.png"
    );
    let read = ClientMetadata::from_record(&record);
    assert_eq!(read, client.metadata);
    assert_eq!(
        read.validate(&wide_caps()).unwrap(),
        client,
        "stable under validation"
    );
}

#[test]
fn pages_show_the_members_of_the_page_language_oidc_registration_2_1() {
    let client = accepted(json!({"redirect_uris": [WEB], "client_name": "Shop",
        "client_name#fr": "Boutique", "client_name#fr-CA": "Magasin",
        "tos_uri": "https://rp.example.com/tos", "tos_uri#de": "https://rp.example.com/agb"}));
    let record = client.to_record("shop", false, 0);
    let shown = |lang: &str| ClientDisplay::for_language(&record, lang);
    assert_eq!(shown("fr-CA").name, "Magasin", "exact tag first");
    assert_eq!(shown("fr").name, "Boutique");
    assert_eq!(shown("FR-be").name, "Boutique", "same language, any case");
    assert_eq!(shown("en").name, "Shop", "untagged otherwise");
    assert_eq!(
        shown("de").tos_uri.as_deref(),
        Some("https://rp.example.com/agb")
    );
    assert_eq!(
        shown("en").tos_uri.as_deref(),
        Some("https://rp.example.com/tos")
    );
    let unnamed = accepted(json!({"redirect_uris": [WEB]})).to_record("x1", false, 0);
    assert_eq!(ClientDisplay::for_language(&unnamed, "en").name, "x1");
}
