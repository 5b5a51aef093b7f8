//! What this deployment supports, in one typed table built once from the validated
//! configuration. Discovery is derived from it; grant dispatch, client registration, client
//! authentication and the authorization endpoint read it. Nothing else lists these values.

use oxid_protocol::authorization::{CodeChallengeMethod, Display, Prompt};
use oxid_protocol::jose::{JweAlg, JweEnc};
use oxid_protocol::token::{
    GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE, GRANT_JWT_BEARER,
    GRANT_PASSWORD, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
};
use std::fmt;
use std::str::FromStr;

use crate::claims::ID_TOKEN_CLAIMS;
use crate::config::{ProviderConfig, Registration};
use crate::crypto::jws::SigningAlg;

pub use crate::scopes::ScopeInfo;
pub use oxid_protocol::authorization::{ResponseMode, ResponseType};

/// The PKCE `code_challenge_method` (RFC 7636 §4.3), the protocol crate's type.
pub type PkceMethod = CodeChallengeMethod;

/// A value with one registered name on the wire, and a list of every value we know.
pub trait WireName: Copy + PartialEq + 'static {
    /// Every value, known to us whether or not this deployment enables it.
    const ALL: &'static [Self];
    /// What the value is called, for error messages.
    const WHAT: &'static str;
    /// The registered name.
    fn as_str(&self) -> &'static str;
}

/// A name that is not one of a [`WireName`]'s values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {found:?}")]
pub struct UnknownName {
    /// What was being parsed.
    pub what: &'static str,
    /// The value found.
    pub found: String,
}

fn parse_wire<T: WireName>(s: &str) -> Result<T, UnknownName> {
    T::ALL
        .iter()
        .copied()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| UnknownName {
            what: T::WHAT,
            found: s.to_string(),
        })
}

/// A grant type (RFC 6749 §4, and the extension grants registered since), by its
/// `grant_type` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1).
    AuthorizationCode,
    /// `implicit` (RFC 6749 §4.2; a registration value, never sent to the token endpoint).
    Implicit,
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken,
    /// `client_credentials` (RFC 6749 §4.4).
    ClientCredentials,
    /// `password` (RFC 6749 §4.3).
    Password,
    /// JWT bearer assertion (RFC 7523 §2.1).
    JwtBearer,
    /// SAML 2.0 bearer assertion (RFC 7522 §2.1).
    Saml2Bearer,
    /// Device authorization (RFC 8628 §3.4).
    DeviceCode,
    /// Token exchange (RFC 8693 §2.1).
    TokenExchange,
}

impl WireName for GrantType {
    const ALL: &'static [Self] = &[
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::JwtBearer,
        GrantType::Saml2Bearer,
        GrantType::DeviceCode,
        GrantType::TokenExchange,
    ];
    const WHAT: &'static str = "grant type";
    fn as_str(&self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => GRANT_AUTHORIZATION_CODE,
            GrantType::Implicit => "implicit",
            GrantType::RefreshToken => GRANT_REFRESH_TOKEN,
            GrantType::ClientCredentials => GRANT_CLIENT_CREDENTIALS,
            GrantType::Password => GRANT_PASSWORD,
            GrantType::JwtBearer => GRANT_JWT_BEARER,
            GrantType::Saml2Bearer => "urn:ietf:params:oauth:grant-type:saml2-bearer",
            GrantType::DeviceCode => GRANT_DEVICE_CODE,
            GrantType::TokenExchange => GRANT_TOKEN_EXCHANGE,
        }
    }
}

/// A client authentication method (OIDC Core §9, RFC 7591 §2
/// `token_endpoint_auth_method`), by its registered name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientAuthMethod {
    /// `none`: a public client, `client_id` only.
    None,
    /// `client_secret_basic`: HTTP Basic (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_secret_post`: the secret in the form body.
    ClientSecretPost,
    /// `client_secret_jwt`: a JWT signed with the secret (RFC 7523 §2.2).
    ClientSecretJwt,
    /// `private_key_jwt`: a JWT signed with the client's key (RFC 7523 §2.2).
    PrivateKeyJwt,
}

impl WireName for ClientAuthMethod {
    const ALL: &'static [Self] = &[
        ClientAuthMethod::None,
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::ClientSecretJwt,
        ClientAuthMethod::PrivateKeyJwt,
    ];
    const WHAT: &'static str = "client authentication method";
    fn as_str(&self) -> &'static str {
        match self {
            ClientAuthMethod::None => "none",
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::ClientSecretJwt => "client_secret_jwt",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// `Display`, `FromStr` and an inherent `as_str` from [`WireName`], for each wire enum.
macro_rules! wire_name_impls {
    ($($name:ty),*) => {$(
        impl $name {
            /// The registered name.
            pub fn as_str(&self) -> &'static str {
                WireName::as_str(self)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_wire(s)
            }
        }
    )*};
}
wire_name_impls!(GrantType, ClientAuthMethod);

/// Every `response_type` value (OAuth 2.0 Multiple Response Types §5, OIDC Core §3).
pub const ALL_RESPONSE_TYPES: [ResponseType; 8] = [
    ResponseType::CODE,
    ResponseType::ID_TOKEN,
    ResponseType::TOKEN,
    ResponseType::ID_TOKEN_TOKEN,
    ResponseType::CODE_ID_TOKEN,
    ResponseType::CODE_TOKEN,
    ResponseType::CODE_ID_TOKEN_TOKEN,
    ResponseType::NONE,
];

/// An endpoint that authenticates clients (RFC 8414 §2 names each one's methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthEndpoint {
    /// The token endpoint (RFC 6749 §3.2).
    Token,
    /// The revocation endpoint (RFC 7009).
    Revocation,
    /// The introspection endpoint (RFC 7662).
    Introspection,
}

impl AuthEndpoint {
    /// Every endpoint that authenticates clients.
    pub const ALL: [AuthEndpoint; 3] = [
        AuthEndpoint::Token,
        AuthEndpoint::Revocation,
        AuthEndpoint::Introspection,
    ];
}

/// How clients authenticate at one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointAuth {
    /// The methods accepted.
    pub methods: Vec<ClientAuthMethod>,
    /// JWS algorithms accepted for the JWT methods' assertions (empty when neither is on).
    pub signing_algs: Vec<SigningAlg>,
}

/// Optional features, each on or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// OIDC Back-Channel Logout 1.0, with `sid`.
    pub backchannel_logout: bool,
    /// OIDC Front-Channel Logout 1.0, with `iss` and `sid`.
    pub frontchannel_logout: bool,
    /// The `claims` request parameter (OIDC Core §5.5): both members are honoured within
    /// the consented scopes (`claims::requested_claims` for the ID token; UserInfo releases
    /// every consented claim, less those whose `value`/`values` do not match), since the
    /// consent page lists scopes, not claims.
    pub claims_parameter: bool,
    /// Request objects by value (OIDC Core §6.1, RFC 9101), at the authorization and pushed
    /// authorization request endpoints (`request_object`).
    pub request_objects: bool,
    /// Request objects by reference (OIDC Core §6.2): PAR's `request_uri` and those a client
    /// pre-registered in `request_uris` (`request_uri`).
    pub request_uri: bool,
    /// Every client must send signed request objects (RFC 9101 §10.5).
    pub require_signed_request_object: bool,
    /// Dynamic client registration (OIDC Registration 1.0, RFC 7591) and its management
    /// (RFC 7592): on unless `registration = "closed"`.
    pub registration: bool,
    /// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): an https
    /// URL `client_id` names the client's metadata (`cimd`); `client_id_metadata_documents`.
    pub client_id_metadata_documents: bool,
    /// `iss` in authorization responses (RFC 9207).
    pub iss_parameter: bool,
    /// The pushed authorization request endpoint (RFC 9126).
    pub pushed_requests: bool,
    /// Every client must push its authorization requests (RFC 9126 §5); a client can ask
    /// this for itself with `require_pushed_authorization_requests` (§6).
    pub require_pushed_requests: bool,
    /// DPoP proofs at the token endpoint and DPoP-bound tokens at UserInfo and
    /// introspection (RFC 9449), with the algorithms of `Capabilities::dpop_algs`.
    pub dpop: bool,
    /// Every token request must carry a DPoP proof, so every access token is
    /// sender-constrained (FAPI 2.0 Security Profile §5.3.2.1; `profile = "fapi2"`).
    pub require_dpop: bool,
    /// Encrypted request objects (OIDC Core §6.1) decrypted with our `use: enc` keys
    /// (`crypto::jwe_decrypt_with_our_keys`); on when the key ring has encryption keys.
    pub request_object_encryption: bool,
}

/// JWE algorithms: key management (`alg`) and content encryption (`enc`) values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JweAlgs {
    /// `alg` values.
    pub algs: Vec<JweAlg>,
    /// `enc` values.
    pub encs: Vec<JweEnc>,
}

/// What this deployment supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// `response_type` values the authorization endpoint serves.
    pub response_types: Vec<ResponseType>,
    /// `response_mode` values it serves.
    pub response_modes: Vec<ResponseMode>,
    /// Grants the token endpoint runs (and `implicit`, when implicit flows are on).
    pub grant_types: Vec<GrantType>,
    /// Client authentication at the token endpoint.
    pub token_auth: EndpointAuth,
    /// Client authentication at the revocation endpoint.
    pub revocation_auth: EndpointAuth,
    /// Client authentication at the introspection endpoint.
    pub introspection_auth: EndpointAuth,
    /// The scope registry (`crate::scopes`): the OpenID scopes, then the configured ones,
    /// in the order discovery lists them.
    pub scopes: Vec<ScopeInfo>,
    /// Claims the provider can release (`claims_supported`).
    pub claims: Vec<String>,
    /// PKCE methods accepted.
    pub pkce_methods: Vec<PkceMethod>,
    /// PKCE required of confidential clients too (it always is of public ones).
    pub pkce_required: bool,
    /// ID token signing algorithms (the key ring's, and HS256 with the client's secret).
    pub id_token_algs: Vec<SigningAlg>,
    /// UserInfo signing algorithms (`userinfo_signed_response_alg`, OIDC Core §5.3.2): those
    /// of ID tokens; discovery lists `none` first, plain JSON, the default.
    pub userinfo_algs: Vec<SigningAlg>,
    /// Algorithms of signed introspection answers (RFC 9701 §5, §6): the key ring's, RS256
    /// (the default, which every key ring has) first.
    pub introspection_response_algs: Vec<SigningAlg>,
    /// Encryption of ID tokens and UserInfo answers to a client's key (OIDC Core §10.2):
    /// the `alg` and `enc` values a client may register.
    pub response_encryption: JweAlgs,
    /// What a JWE sent to us may use (`request_object_encryption_*`): the `alg`s our
    /// encryption keys (`keys.encryption_algs`) serve, with the GCM `enc`s.
    pub request_object_encryption: JweAlgs,
    /// `subject_types_supported`.
    pub subject_types: Vec<&'static str>,
    /// `claim_types_supported` (OIDC Core §5.6).
    pub claim_types: Vec<&'static str>,
    /// `prompt` values honoured.
    pub prompt_values: Vec<Prompt>,
    /// `display` values accepted.
    pub display_values: Vec<Display>,
    /// Languages of the pages (`ui_locales_supported`), as configured.
    pub ui_locales: Vec<String>,
    /// DPoP proof algorithms accepted (RFC 9449 §5.1 `dpop_signing_alg_values_supported`).
    pub dpop_algs: Vec<oxid_protocol::jose::Alg>,
    /// Algorithms of request objects (`request_object_signing_alg_values_supported`): every
    /// one verified, and `none` for the clients that register it.
    pub request_object_algs: Vec<&'static str>,
    /// Optional features.
    pub features: Features,
    /// URLs the provider calls (`backchannel_logout_uri`) may name private, loopback and
    /// link-local addresses (`[outbound] allow_private_addresses`); registration refuses them
    /// otherwise, as the calls would.
    pub private_addresses_allowed: bool,
    /// The `[outbound]` limits of documents fetched at registration (a client's
    /// `sector_identifier_uri`, OIDC Registration §5).
    pub outbound: crate::outbound::OutboundSettings,
}

/// Grants implemented in `grants/` (each runs when its entry is here).
const IMPLEMENTED_GRANTS: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
    GrantType::DeviceCode,
];

/// The implemented grants, with those the configuration must enable when it does:
/// `password` only with `grants.password` (RFC 9700 §2.4); the SAML bearer grant (RFC 7522)
/// when an identity provider is trusted (`[[saml_idps]]`); the JWT bearer grant (RFC 7523
/// §2.1) when an issuer is trusted; token exchange (RFC 8693) when a client has a policy.
fn enabled_grants(config: &ProviderConfig) -> Vec<GrantType> {
    let mut grants = IMPLEMENTED_GRANTS.to_vec();
    if config.grants.password {
        grants.push(GrantType::Password);
    }
    if !config.saml_idps.is_empty() {
        grants.push(GrantType::Saml2Bearer);
    }
    if !config.trusted_issuers.is_empty() {
        grants.push(GrantType::JwtBearer);
    }
    if !config.token_exchange.is_empty() {
        grants.push(GrantType::TokenExchange);
    }
    grants
}

impl Capabilities {
    /// The table for a validated configuration.
    pub fn from_config(config: &ProviderConfig) -> Capabilities {
        // OIDC Core §9: the secret methods and the two JWT methods (RFC 7523 §2.2), whose
        // assertions may be signed with any algorithm the provider verifies; HS256 is the
        // client_secret_jwt one, the others private_key_jwt's.
        let secret_methods = vec![
            ClientAuthMethod::ClientSecretBasic,
            ClientAuthMethod::ClientSecretPost,
            ClientAuthMethod::ClientSecretJwt,
            ClientAuthMethod::PrivateKeyJwt,
        ];
        let with_none = |mut methods: Vec<ClientAuthMethod>| {
            methods.push(ClientAuthMethod::None);
            methods
        };
        let endpoint_auth = |methods| EndpointAuth {
            methods,
            signing_algs: SigningAlg::ALL.to_vec(),
        };
        let mut pkce_methods = vec![PkceMethod::S256];
        if config.allow_plain_pkce {
            pkce_methods.push(PkceMethod::Plain);
        }
        let mut id_token_algs = config.signing_algs.clone();
        id_token_algs.push(SigningAlg::HS256);
        let scopes = config.scopes.clone();
        // What users can carry: the ID token's own claims, then each scope's.
        let mut claims: Vec<String> = ID_TOKEN_CLAIMS.iter().map(|c| c.to_string()).collect();
        for claim in scopes.iter().flat_map(|s| &s.claims) {
            if !claims.contains(claim) {
                claims.push(claim.clone());
            }
        }
        // `implicit` is registrable (OIDC Registration §2 pairs it with the response types
        // returning tokens); the token endpoint never runs it.
        let mut grant_types = enabled_grants(config);
        grant_types.push(GrantType::Implicit);
        let mut caps = Capabilities {
            // Every OIDC and OAuth response type but `none`, each per client allow-list.
            response_types: ALL_RESPONSE_TYPES
                .into_iter()
                .filter(|rt| !rt.is_none())
                .collect(),
            response_modes: vec![
                ResponseMode::Query,
                ResponseMode::Fragment,
                ResponseMode::FormPost,
            ],
            grant_types,
            token_auth: endpoint_auth(with_none(secret_methods.clone())),
            // RFC 7009 §2.1: public clients may revoke their own tokens.
            revocation_auth: endpoint_auth(with_none(secret_methods.clone())),
            // RFC 7662 §2.1: introspection needs real client authentication, so not `none`.
            introspection_auth: endpoint_auth(secret_methods),
            scopes,
            claims,
            pkce_methods,
            pkce_required: config.require_pkce,
            userinfo_algs: id_token_algs.clone(),
            introspection_response_algs: config.signing_algs.clone(),
            // Every alg and enc we encrypt with: they need no key of ours.
            response_encryption: JweAlgs {
                algs: JweAlg::ALL.to_vec(),
                encs: JweEnc::ALL.to_vec(),
            },
            request_object_encryption: JweAlgs {
                algs: JweAlg::ALL
                    .iter()
                    .copied()
                    .filter(|alg| {
                        config
                            .encryption_key_algs
                            .iter()
                            .any(|key| key.key_type() == alg.key_type())
                    })
                    .collect(),
                // CBC-HMAC is not decrypted (`crypto::jwe`).
                encs: vec![JweEnc::A128Gcm, JweEnc::A256Gcm],
            },
            id_token_algs,
            // OIDC Core §8: pairwise subjects are computed in `pairwise`.
            subject_types: vec!["public", crate::pairwise::PAIRWISE],
            claim_types: vec!["normal"],
            prompt_values: vec![
                Prompt::None,
                Prompt::Login,
                Prompt::Consent,
                Prompt::SelectAccount,
            ],
            display_values: Display::ALL.to_vec(),
            ui_locales: config.ui_locales.tags(),
            request_object_algs: crate::request_object_verify::supported_algs(),
            features: Features {
                backchannel_logout: true,
                frontchannel_logout: true,
                claims_parameter: true,
                request_objects: true,
                request_uri: true,
                require_signed_request_object: config.require_signed_request_object,
                registration: config.registration != Registration::Closed,
                client_id_metadata_documents: config.client_id_metadata_documents,
                iss_parameter: true,
                pushed_requests: true,
                require_pushed_requests: config.require_pushed_authorization_requests,
                dpop: true,
                require_dpop: false,
                // Decrypted with our `use: enc` keys (`request_object::decrypt_if_encrypted`).
                request_object_encryption: !config.encryption_key_algs.is_empty(),
            },
            dpop_algs: crate::dpop::DPOP_ALGS.to_vec(),
            private_addresses_allowed: config.outbound.allow_private_addresses,
            outbound: config.outbound,
        };
        // `profile = "fapi2"` narrows the table (crate::profile).
        config.profile.restrict(&mut caps);
        caps
    }

    /// Whether the token endpoint runs `grant`.
    pub fn supports_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether the authorization endpoint serves `response_type`.
    pub fn supports_response_type(&self, response_type: ResponseType) -> bool {
        self.response_types.contains(&response_type)
    }

    /// Whether the authorization endpoint answers in `mode`.
    pub fn supports_response_mode(&self, mode: ResponseMode) -> bool {
        self.response_modes.contains(&mode)
    }

    /// Whether `method` is an accepted PKCE method.
    pub fn supports_pkce(&self, method: PkceMethod) -> bool {
        self.pkce_methods.contains(&method)
    }

    /// Whether ID tokens can be signed with `alg`.
    pub fn supports_id_token_alg(&self, alg: SigningAlg) -> bool {
        self.id_token_algs.contains(&alg)
    }

    /// How clients authenticate at `endpoint`.
    pub fn auth(&self, endpoint: AuthEndpoint) -> &EndpointAuth {
        match endpoint {
            AuthEndpoint::Token => &self.token_auth,
            AuthEndpoint::Revocation => &self.revocation_auth,
            AuthEndpoint::Introspection => &self.introspection_auth,
        }
    }

    /// Whether `endpoint` accepts `method`.
    pub fn accepts_auth(&self, endpoint: AuthEndpoint, method: ClientAuthMethod) -> bool {
        self.auth(endpoint).methods.contains(&method)
    }

    /// Whether a client may be registered with `method`: some endpoint accepts it.
    pub fn registrable_auth(&self, method: ClientAuthMethod) -> bool {
        AuthEndpoint::ALL
            .iter()
            .any(|e| self.accepts_auth(*e, method))
    }

    /// The scope named `name`, when the provider knows it.
    pub fn scope(&self, name: &str) -> Option<&ScopeInfo> {
        crate::scopes::find(&self.scopes, name)
    }

    /// Whether `name` is one of the scopes about a user (grants without a user refuse them).
    pub fn is_user_scope(&self, name: &str) -> bool {
        self.scope(name).is_some_and(|s| s.about_user)
    }

    /// The scope names, in order.
    pub fn scope_names(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().map(|s| s.name.as_str())
    }
}

#[cfg(test)]
#[path = "capabilities_tests.rs"]
mod tests;
