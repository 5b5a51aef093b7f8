//! RFC 7522 §3's processing rules for a SAML 2.0 bearer assertion whose signature already
//! verified: issuer, `Conditions` window and audience, bearer `SubjectConfirmation`
//! (recipient and expiry), subject. Pure: the time and the names we answer to are given.

use super::assertion::{Assertion, Confirmation, Refusal};
use super::datetime::parse_utc;

/// Clock difference tolerated between the identity provider and us, in seconds (RFC 7522
/// §3 item 6: "subject to allowable clock skew").
pub const CLOCK_SKEW: u64 = 60;

/// `SubjectConfirmation` method of bearer assertions (SAML Profiles §3.3).
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// What the assertion must name (besides its issuer) and when it is checked.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Names that identify us as an audience: our issuer and our token endpoint (item 2).
    pub audiences: &'a [&'a str],
    /// Our token endpoint, the bearer confirmation's `Recipient` (item 5).
    pub recipient: &'a str,
    /// The time of the request.
    pub now: u64,
}

/// An assertion that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The `NameID`.
    pub subject: String,
    /// Until when its ID must be remembered: the last moment it could still be accepted.
    pub expires_at: u64,
    /// `AuthnInstant`, when the identity provider authenticated the subject (item 7).
    pub auth_time: Option<u64>,
}

/// Checks `assertion`, issued by the identity provider `issuer` (its entity ID; RFC 7522 §3
/// item 1: simple string comparison), against `expected`; the refusal names the failed check.
pub fn check(
    assertion: &Assertion,
    issuer: &str,
    expected: &Expected<'_>,
) -> Result<Accepted, Refusal> {
    let now = expected.now;
    if assertion.version != "2.0" {
        return Err("the assertion's Version is not 2.0".into());
    }
    match assertion.issuer.as_deref() {
        None => return Err("the assertion has no Issuer".into()),
        Some(found) if found != issuer => {
            return Err("the Issuer is not a configured identity provider".into());
        }
        Some(_) => {}
    }
    // Item 2 and item 11: Conditions, each known, its window, each restriction naming us.
    let Some(conditions) = &assertion.conditions else {
        return Err("the assertion has no Conditions (RFC 7522 §3 item 2)".into());
    };
    if let Some(unknown) = conditions.unknown.first() {
        return Err(format!(
            "the Conditions hold a condition this server does not understand ({unknown})"
        ));
    }
    let not_before = time("Conditions NotBefore", conditions.not_before.as_deref())?;
    if not_before.is_some_and(|t| now + CLOCK_SKEW < t) {
        return Err("the assertion is not valid yet (Conditions NotBefore)".into());
    }
    let conditions_end = time(
        "Conditions NotOnOrAfter",
        conditions.not_on_or_after.as_deref(),
    )?;
    if conditions_end.is_some_and(|t| now >= t + CLOCK_SKEW) {
        return Err("the assertion has expired (Conditions NotOnOrAfter)".into());
    }
    if conditions.audience_restrictions.is_empty() {
        return Err("the Conditions have no AudienceRestriction (RFC 7522 §3 item 2)".into());
    }
    // SAML Core §2.5.1.4: every restriction must be met, each by one of its audiences.
    let names_us = |audiences: &Vec<String>| {
        audiences
            .iter()
            .any(|a| expected.audiences.contains(&a.as_str()))
    };
    if !conditions.audience_restrictions.iter().all(names_us) {
        return Err(
            "the AudienceRestriction does not name this server (its issuer or token endpoint)"
                .into(),
        );
    }
    let subject = match assertion.name_id.as_deref() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => return Err("the Subject has no NameID".into()),
    };
    let confirmation_end = bearer_confirmation(&assertion.confirmations, expected)?;
    let auth_time = time("AuthnInstant", assertion.authn_instant.as_deref())?;
    let last_valid = conditions_end.map_or(confirmation_end, |c| c.min(confirmation_end));
    Ok(Accepted {
        subject,
        expires_at: last_valid + CLOCK_SKEW,
        auth_time,
    })
}

/// Item 5 and 6: the `NotOnOrAfter` of a bearer confirmation addressed to our token
/// endpoint and still valid; else the reason the first bearer confirmation fails.
fn bearer_confirmation(
    confirmations: &[Confirmation],
    expected: &Expected<'_>,
) -> Result<u64, Refusal> {
    let mut first_refusal = None;
    for confirmation in confirmations.iter().filter(|c| c.method == BEARER) {
        match confirmation_valid(confirmation, expected) {
            Ok(end) => return Ok(end),
            Err(refusal) => {
                first_refusal.get_or_insert(refusal);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| {
        "the Subject has no SubjectConfirmation with Method bearer (RFC 7522 §3 item 5)".into()
    }))
}

fn confirmation_valid(
    confirmation: &Confirmation,
    expected: &Expected<'_>,
) -> Result<u64, Refusal> {
    let now = expected.now;
    if confirmation.recipient.as_deref() != Some(expected.recipient) {
        return Err(
            "the bearer SubjectConfirmationData's Recipient is not this server's token endpoint"
                .into(),
        );
    }
    let not_before = time(
        "SubjectConfirmationData NotBefore",
        confirmation.not_before.as_deref(),
    )?;
    if not_before.is_some_and(|t| now + CLOCK_SKEW < t) {
        return Err("the bearer SubjectConfirmation is not valid yet (NotBefore)".into());
    }
    let end = time(
        "SubjectConfirmationData NotOnOrAfter",
        confirmation.not_on_or_after.as_deref(),
    )?
    .ok_or("the bearer SubjectConfirmationData has no NotOnOrAfter (RFC 7522 §3 item 5)")?;
    if now >= end + CLOCK_SKEW {
        return Err("the bearer SubjectConfirmation has expired (NotOnOrAfter)".into());
    }
    Ok(end)
}

/// An optional time attribute; present but not a UTC `xs:dateTime` is refused.
fn time(what: &str, value: Option<&str>) -> Result<Option<u64>, Refusal> {
    value
        .map(|v| parse_utc(v).ok_or_else(|| format!("{what} is not a UTC time")))
        .transpose()
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
