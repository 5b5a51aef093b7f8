//! What every posted page form (login, consent, logout confirmation) is checked for before
//! its logic runs: the CSRF token (double submit) and the sealed interaction, which is opened,
//! read once into its typed request, and claimed so that the form is accepted only once.

use axum::http::HeaderMap;
use oxid_protocol::params::Params;

use super::cookies::csrf_matches;
use super::pages::PageError;
use crate::crypto::secrets::sha256_hex;
use crate::interaction::{Interaction, Purpose};
use crate::state::Provider;

/// A checked page form: its fields and what its interaction carries.
pub struct PostedForm<T> {
    /// The form's fields.
    pub fields: Params,
    /// The interaction's request, read once.
    pub carried: T,
}

impl<T> PostedForm<T> {
    /// A field's value, `""` when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).unwrap_or("")
    }

    /// The option that field `name` picks among `options` (its form value, then what it
    /// means); a 400 naming the allowed values when it picks none.
    pub fn choice<C: Copy>(&self, name: &str, options: &[(&str, C)]) -> Result<C, PageError> {
        let value = self.field(name);
        let picked = options.iter().find(|(text, _)| *text == value);
        picked.map(|(_, meaning)| *meaning).ok_or_else(|| {
            let allowed: Vec<&str> = options.iter().map(|(text, _)| *text).collect();
            PageError::BadRequest(format!("{name} must be {}", allowed.join(" or ")))
        })
    }
}

/// Checks the form in `body` and reads its interaction (sealed for `purpose`) with `read`.
pub async fn open_form<T>(
    provider: &Provider,
    headers: &HeaderMap,
    body: &[u8],
    purpose: Purpose,
    read: impl FnOnce(&Interaction) -> Option<T>,
) -> Result<PostedForm<T>, PageError> {
    let fields = Params::parse_form(body).map_err(|e| PageError::BadRequest(e.description()))?;
    let expired = || {
        PageError::BadRequest(
            "this sign-in has expired or was altered; start again from the application".into(),
        )
    };
    let interaction = fields
        .get("interaction")
        .and_then(|v| Interaction::open(v, provider.secret_box(), provider.now(), purpose))
        .ok_or_else(expired)?;
    let carried = read(&interaction).ok_or_else(expired)?;
    // The token is bound to the form's own interaction (see `cookies`): checked once the
    // interaction is known to be ours, so an altered one is a 400, a foreign token a 403.
    let sealed = fields.get("interaction").unwrap_or("");
    if !csrf_matches(provider.config(), headers, sealed, fields.get("csrf_token")) {
        return Err(PageError::CsrfMismatch);
    }
    // Each rendered form is accepted once: a replayed submission must not log in again or
    // issue a second code for the same authorization.
    let claimed = provider
        .store()
        .claim_interaction(&sha256_hex(&interaction.id), interaction.expires_at())
        .await
        .map_err(crate::error::OAuthError::from)?;
    if !claimed {
        return Err(PageError::BadRequest(
            "this form was already submitted; start again from the application".into(),
        ));
    }
    Ok(PostedForm { fields, carried })
}
