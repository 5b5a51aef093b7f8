//! The rules of client metadata, each naming the member it refuses (RFC 7591 §2 and §3.2.2,
//! OIDC Registration §2): supported values from the capability table, consistency between
//! members, and defaults filled in.

use oxid_protocol::registration::RegistrationErrorCode;
use std::str::FromStr;

use super::localized::check_tagged_members;
use super::redirect::{
    check_jwks_uri, check_logout_uri, check_post_logout_redirect_uris, check_redirect_uris,
    check_web_url, quoted,
};
use super::{ClientMetadata, MetadataError, RegisteredMetadata, ValidatedClient};
use crate::capabilities::{Capabilities, ClientAuthMethod, GrantType, ResponseType, WireName};
use crate::client::{ApplicationType, IdTokenClaims};
use crate::crypto::jws::SigningAlg;

/// Checks `metadata` against every rule; see [`ClientMetadata::validate`].
pub(super) fn validate(
    metadata: &ClientMetadata,
    caps: &Capabilities,
) -> Result<ValidatedClient, MetadataError> {
    let m = &metadata.registered;
    refuse_what_would_be_ignored_unsafely(m)?;
    let application_type: ApplicationType = m
        .application_type()
        .parse()
        .map_err(|why: String| MetadataError::metadata("application_type", why))?;
    let native = application_type == ApplicationType::Native;
    let auth_method = supported(
        "token_endpoint_auth_method",
        m.token_endpoint_auth_method(),
        |method| caps.registrable_auth(*method),
    )?;
    let public = auth_method == ClientAuthMethod::None;
    let grant_types = match &m.grant_types {
        Some(names) => each_supported("grant_types", names, |g| caps.supports_grant(*g))?,
        // RFC 7591 §2: the default is authorization_code.
        None => vec![GrantType::AuthorizationCode],
    };
    let uses_code = grant_types.contains(&GrantType::AuthorizationCode);
    let implicit = grant_types.contains(&GrantType::Implicit);
    let response_types = match &m.response_types {
        Some(names) => response_types(names, caps)?,
        // RFC 7591 §2 defaults to `code`, which a client without the authorization_code
        // grant could never use: such a client gets none.
        None if uses_code => vec![ResponseType::CODE],
        None => Vec::new(),
    };
    check_grants_fit_response_types(&grant_types, &response_types)?;
    if public && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(MetadataError::metadata(
            "grant_types",
            "client_credentials needs a confidential client, not token_endpoint_auth_method none",
        ));
    }
    if (uses_code || implicit) && m.redirect_uris.is_empty() {
        return Err(MetadataError::redirect(
            "redirect_uris",
            "required with the authorization_code and implicit grants",
        ));
    }
    check_redirect_uris(&m.redirect_uris, native, implicit)?;
    check_post_logout_redirect_uris(m.post_logout_redirect_uris.as_deref().unwrap_or_default())?;
    for (member, uri) in [
        ("frontchannel_logout_uri", &m.frontchannel_logout_uri),
        ("backchannel_logout_uri", &m.backchannel_logout_uri),
    ] {
        if let Some(uri) = uri {
            check_logout_uri(member, uri, !public)?;
        }
    }
    // Back-Channel Logout §2.2: the provider itself calls this URI, so it must not lead into
    // the provider's own network (SSRF); a front-channel URI is loaded by the browser.
    if let Some(uri) = &m.backchannel_logout_uri {
        let allow_private = caps.private_addresses_allowed;
        crate::outbound::Outbound::check_target_url(uri, allow_private).map_err(|refused| {
            MetadataError::metadata("backchannel_logout_uri", refused.to_string())
        })?;
    }
    super::sector::check_subject_members(m, caps)?;
    let id_token_alg = id_token_alg(m, caps, public)?;
    let userinfo_alg = userinfo_alg(m, caps, public)?;
    check_client_keys(m, auth_method, caps)?;
    let request_objects = super::request_objects::check(metadata, caps, public)?;
    let encryptions = super::encryption::check_encryption(m, caps)?;
    request_object_encryption(m, caps)?;
    for (member, uri) in [
        ("logo_uri", &m.logo_uri),
        ("client_uri", &m.client_uri),
        ("policy_uri", &m.policy_uri),
        ("tos_uri", &m.tos_uri),
    ] {
        if let Some(uri) = uri {
            check_web_url(member, uri)?;
        }
    }
    let mut tagged = check_tagged_members(&m.extra)?;
    if let Some(alg) = introspection_alg(m, caps)? {
        let member = crate::introspection_jwt::SIGNED_RESPONSE_ALG;
        tagged.insert(member.into(), alg.as_str().into());
    }
    for contact in m.contacts.iter().flatten() {
        if !contact.contains('@') || contact.chars().any(char::is_control) {
            return Err(MetadataError::metadata(
                "contacts",
                format!("{} is not an e-mail address", quoted(contact)),
            ));
        }
    }
    let scopes = scopes(m, caps)?;
    if metadata.require_pkce == Some(false) && public {
        return Err(MetadataError::metadata(
            "require_pkce",
            "a public client must use PKCE (RFC 9700 §2.1.1)",
        ));
    }
    crate::token_policy::check(metadata)?;
    let id_token_claims: IdTokenClaims = match &metadata.id_token_claims {
        Some(name) => name
            .parse()
            .map_err(|why: String| MetadataError::metadata("id_token_claims", why))?,
        None => IdTokenClaims::default(),
    };
    // What is registered, and returned: defaults filled, members Oxid does not act on left
    // out (RFC 7591 §3.2.1: the server may replace what it was sent).
    let mut registered = RegisteredMetadata {
        token_endpoint_auth_method: Some(auth_method.to_string()),
        grant_types: Some(grant_types.iter().map(|g| g.to_string()).collect()),
        response_types: Some(response_types.iter().map(|r| r.as_str().into()).collect()),
        application_type: Some(application_type.as_str().to_string()),
        id_token_signed_response_alg: Some(id_token_alg.as_str().to_string()),
        userinfo_signed_response_alg: userinfo_alg.map(|a| a.as_str().to_string()),
        scope: Some(scopes.join(" ")),
        // OIDC Core §8.1, computed by `pairwise`; the document was checked by the registry.
        subject_type: m.subject_type.clone(),
        sector_identifier_uri: m.sector_identifier_uri.clone(),
        request_object_signing_alg: request_objects.alg,
        default_acr_values: None,
        initiate_login_uri: None,
        request_uris: request_objects.request_uris,
        extra: tagged,
        ..m.clone()
    };
    encryptions.fill(&mut registered);
    Ok(ValidatedClient {
        metadata: ClientMetadata {
            registered,
            // Absent: the deployment's `require_pkce` applies (`Client::requires_pkce`).
            require_pkce: metadata.require_pkce,
            id_token_claims: Some(id_token_claims.as_str().to_string()),
            backchannel_logout_revoke_tokens: metadata.backchannel_logout_revoke_tokens,
            access_token_format: metadata.access_token_format.clone(),
            access_token_lifetime: metadata.access_token_lifetime,
            refresh_token_lifetime: metadata.refresh_token_lifetime,
            refresh_token_idle: metadata.refresh_token_idle,
            // 0 is off: kept absent, as never set.
            refresh_token_grace: metadata.refresh_token_grace.filter(|g| *g > 0),
            // RFC 9126 §6: false is the default, so only true is kept.
            require_pushed_authorization_requests: metadata
                .require_pushed_authorization_requests
                .filter(|required| *required),
            // RFC 9449 §5.2: false is the default, so only true is kept.
            dpop_bound_access_tokens: metadata.dpop_bound_access_tokens.filter(|bound| *bound),
            // RFC 9101 §10.5: false is the default, so only true is kept.
            require_signed_request_object: request_objects.require_signed.then_some(true),
        },
        auth_method,
        grant_types,
        response_types,
        id_token_alg,
        userinfo_alg,
        scopes,
    })
}

/// Members asking for something Oxid does not do, where registering the client without it
/// would leave the client believing it protected (encryption) or
/// overriding what it sent (a software statement).
fn refuse_what_would_be_ignored_unsafely(m: &RegisteredMetadata) -> Result<(), MetadataError> {
    // ID token and UserInfo encryption: `encryption::check_encryption`; request objects
    // encrypted to us: `request_object_encryption`; pairwise subjects: `pairwise`.
    if m.software_statement.is_some() {
        return Err(MetadataError {
            code: RegistrationErrorCode::UnapprovedSoftwareStatement,
            member: "software_statement".into(),
            description: "software statements are not accepted".into(),
        });
    }
    Ok(())
}

/// `request_object_encryption_alg` / `_enc` (OIDC Registration §2): what the client may
/// encrypt its request objects to our `use: enc` keys with, among what we decrypt.
fn request_object_encryption(
    m: &RegisteredMetadata,
    caps: &Capabilities,
) -> Result<(), MetadataError> {
    let supported = &caps.request_object_encryption;
    let refused = |member: &str, name: &str| {
        MetadataError::metadata(member, format!("{} is not a supported value", quoted(name)))
    };
    let enabled = caps.features.request_object_encryption;
    if let Some(name) = &m.request_object_encryption_alg {
        let alg = name.parse::<oxid_protocol::jose::JweAlg>().ok();
        if !enabled || !alg.is_some_and(|a| supported.algs.contains(&a)) {
            return Err(refused("request_object_encryption_alg", name));
        }
    }
    if let Some(name) = &m.request_object_encryption_enc {
        if m.request_object_encryption_alg.is_none() {
            return Err(MetadataError::metadata(
                "request_object_encryption_enc",
                "needs request_object_encryption_alg (OIDC Registration §2)",
            ));
        }
        let enc = name.parse::<oxid_protocol::jose::JweEnc>().ok();
        if !enc.is_some_and(|e| supported.encs.contains(&e)) {
            return Err(refused("request_object_encryption_enc", name));
        }
    }
    Ok(())
}

/// `name` parsed, when the capability table supports it; the error lists what it does.
fn supported<T: WireName + FromStr>(
    member: &str,
    name: &str,
    is_supported: impl Fn(&T) -> bool,
) -> Result<T, MetadataError> {
    name.parse::<T>()
        .ok()
        .filter(|value| is_supported(value))
        .ok_or_else(|| {
            let names: Vec<&str> = T::ALL
                .iter()
                .filter(|v| is_supported(v))
                .map(|v| v.as_str())
                .collect();
            MetadataError::metadata(
                member,
                format!("{} is not one of {}", quoted(name), names.join(", ")),
            )
        })
}

/// Every name parsed and supported, repeats dropped.
fn each_supported<T: WireName + FromStr>(
    member: &str,
    names: &[String],
    is_supported: impl Fn(&T) -> bool,
) -> Result<Vec<T>, MetadataError> {
    let mut values = Vec::new();
    for name in names {
        let value = supported(member, name, &is_supported)?;
        if !values.contains(&value) {
            values.push(value);
        }
    }
    Ok(values)
}

/// `response_types` parsed (any order of the values, OAuth 2.0 Multiple Response Types
/// §2) and served by this deployment; repeats dropped.
fn response_types(
    names: &[String],
    caps: &Capabilities,
) -> Result<Vec<ResponseType>, MetadataError> {
    let mut values = Vec::new();
    for name in names {
        let value = ResponseType::parse(name)
            .ok()
            .filter(|r| caps.supports_response_type(*r))
            .ok_or_else(|| {
                let served: Vec<&str> = caps.response_types.iter().map(|r| r.as_str()).collect();
                let why = format!("{} is not one of {}", quoted(name), served.join(", "));
                MetadataError::metadata("response_types", why)
            })?;
        if !values.contains(&value) {
            values.push(value);
        }
    }
    Ok(values)
}

/// OIDC Registration §2's table: `code` needs the authorization_code grant, `token` and
/// `id_token` need implicit.
fn check_grants_fit_response_types(
    grants: &[GrantType],
    response_types: &[ResponseType],
) -> Result<(), MetadataError> {
    let has = |grant| grants.contains(&grant);
    for rt in response_types {
        if rt.code() && !has(GrantType::AuthorizationCode) {
            return Err(MetadataError::metadata(
                "grant_types",
                format!(
                    "response type '{}' needs the authorization_code grant (OIDC Registration §2)",
                    rt.as_str()
                ),
            ));
        }
        if (rt.token() || rt.id_token()) && !has(GrantType::Implicit) {
            return Err(MetadataError::metadata(
                "grant_types",
                format!(
                    "response type '{}' needs the implicit grant (OIDC Registration §2)",
                    rt.as_str()
                ),
            ));
        }
    }
    Ok(())
}

/// A signing algorithm member: one the table lists, never `none`, HS256 only for a client
/// with a secret.
fn signing_alg(
    member: &str,
    name: &str,
    is_supported: impl Fn(SigningAlg) -> bool,
    public: bool,
) -> Result<SigningAlg, MetadataError> {
    let alg = name
        .parse::<SigningAlg>()
        .ok()
        .filter(|alg| is_supported(*alg))
        .ok_or_else(|| {
            MetadataError::metadata(member, format!("{} is not supported", quoted(name)))
        })?;
    if alg == SigningAlg::HS256 && public {
        return Err(MetadataError::metadata(
            member,
            "HS256 needs a client secret, which a public client does not have",
        ));
    }
    Ok(alg)
}

/// `id_token_signed_response_alg`, RS256 by default (OIDC Registration §2).
fn id_token_alg(
    m: &RegisteredMetadata,
    caps: &Capabilities,
    public: bool,
) -> Result<SigningAlg, MetadataError> {
    // Where RS256 is not allowed (FAPI 2.0, `crate::profile`), the default is the first
    // algorithm that is.
    let name = match &m.id_token_signed_response_alg {
        None if !caps.supports_id_token_alg(SigningAlg::RS256) => caps
            .id_token_algs
            .first()
            .map_or("RS256", |alg| alg.as_str()),
        _ => m.id_token_signed_response_alg(),
    };
    signing_alg(
        "id_token_signed_response_alg",
        name,
        |a| caps.supports_id_token_alg(a),
        public,
    )
}

/// `userinfo_signed_response_alg`; absent means plain JSON answers.
fn userinfo_alg(
    m: &RegisteredMetadata,
    caps: &Capabilities,
    public: bool,
) -> Result<Option<SigningAlg>, MetadataError> {
    // Discovery lists `none` for UserInfo: the plain JSON answer, as when none is registered.
    let Some(name) = m
        .userinfo_signed_response_alg
        .as_ref()
        .filter(|n| *n != "none")
    else {
        return Ok(None);
    };
    let member = "userinfo_signed_response_alg";
    // Signed with the ID token's keys (OIDC Core §5.3.2), so any ID token algorithm.
    signing_alg(member, name, |a| caps.supports_id_token_alg(a), public).map(Some)
}

/// `introspection_signed_response_alg` (RFC 9701 §6): one of the key ring's algorithms;
/// absent means RS256.
fn introspection_alg(
    m: &RegisteredMetadata,
    caps: &Capabilities,
) -> Result<Option<SigningAlg>, MetadataError> {
    let member = crate::introspection_jwt::SIGNED_RESPONSE_ALG;
    let Some(value) = m.extra.get(member) else {
        return Ok(None);
    };
    value
        .as_str()
        .and_then(|name| name.parse::<SigningAlg>().ok())
        .filter(|alg| caps.introspection_response_algs.contains(alg))
        .map(Some)
        .ok_or_else(|| {
            MetadataError::metadata(member, format!("{value} is not a supported algorithm"))
        })
}

/// `jwks` / `jwks_uri` (one or the other, OIDC Registration §2; public keys only) and
/// `token_endpoint_auth_signing_alg` (OIDC Registration §2: never `none`), as the JWT
/// authentication methods need them.
fn check_client_keys(
    m: &RegisteredMetadata,
    auth_method: ClientAuthMethod,
    caps: &Capabilities,
) -> Result<(), MetadataError> {
    if m.jwks.is_some() && m.jwks_uri.is_some() {
        return Err(MetadataError::metadata(
            "jwks",
            "jwks and jwks_uri must not both be given (OIDC Registration §2)",
        ));
    }
    if let Some(uri) = &m.jwks_uri {
        check_jwks_uri(uri)?;
    }
    if let Some(jwks) = &m.jwks
        && jwks.keys.iter().any(|key| key.is_private())
    {
        return Err(MetadataError::metadata(
            "jwks",
            "holds private or symmetric key material; register public keys only",
        ));
    }
    let has_keys = m.jwks.as_ref().is_some_and(|j| !j.keys.is_empty()) || m.jwks_uri.is_some();
    if auth_method == ClientAuthMethod::PrivateKeyJwt && !has_keys {
        return Err(MetadataError::metadata(
            "token_endpoint_auth_method",
            "private_key_jwt needs the client's public keys in jwks or jwks_uri",
        ));
    }
    let Some(name) = &m.token_endpoint_auth_signing_alg else {
        return Ok(());
    };
    let member = "token_endpoint_auth_signing_alg";
    let unsupported =
        || MetadataError::metadata(member, format!("{} is not supported", quoted(name)));
    let alg = name.parse::<SigningAlg>().map_err(|_| unsupported())?;
    // RFC 7523 §3 with OIDC Core §9: the secret signs HS256, the client's key the rest.
    let fits = match auth_method {
        ClientAuthMethod::ClientSecretJwt => alg == SigningAlg::HS256,
        ClientAuthMethod::PrivateKeyJwt => alg != SigningAlg::HS256,
        _ => false,
    };
    if !fits {
        let why = format!("{} does not fit {auth_method}", alg.as_str());
        return Err(MetadataError::metadata(member, why));
    }
    if !caps.token_auth.signing_algs.contains(&alg) {
        return Err(unsupported());
    }
    Ok(())
}

/// `scope`: scope tokens (RFC 6749 §3.3); every scope of the provider when absent.
fn scopes(m: &RegisteredMetadata, caps: &Capabilities) -> Result<Vec<String>, MetadataError> {
    match m.scope() {
        None => Ok(caps.scope_names().map(str::to_string).collect()),
        Some(Ok(scope)) if scope.iter().next().is_some() => {
            // The registry (OpenID and configured scopes) is what a client may ask for.
            if let Some(unknown) = scope.iter().find(|s| caps.scope(s).is_none()) {
                let known: Vec<&str> = caps.scope_names().collect();
                let why = format!("scope {unknown:?} is not one of {known:?}");
                return Err(MetadataError::metadata("scope", why));
            }
            Ok(scope.iter().map(str::to_string).collect())
        }
        Some(Ok(_)) => Ok(caps.scope_names().map(str::to_string).collect()),
        Some(Err(e)) => Err(MetadataError::metadata("scope", e.to_string())),
    }
}
