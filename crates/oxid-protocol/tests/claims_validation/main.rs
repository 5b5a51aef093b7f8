//! `validate_extern` of ID tokens (OIDC Core §3.1.3.7), JWT access tokens (RFC 9068 §4) and
//! logout tokens (OIDC Back-Channel Logout §2.6): one accepting and one rejecting test per
//! rule.
//! One module per token type; the shared issuer, client and time are here.

mod access_token;
mod id_token;
mod logout_token;

use oxid_protocol::Validation;

const ISS: &str = "https://op.example.com";
const CLIENT: &str = "client-1";
const NOW: u64 = 1_700_000_000;

fn v() -> Validation {
    Validation::new(NOW)
}
