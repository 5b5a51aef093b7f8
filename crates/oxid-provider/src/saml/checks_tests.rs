//! Each RFC 7522 §3 check on its own: a good assertion passes, each change fails naming it.

use super::*;
use crate::saml::assertion::Conditions;

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const IDP: &str = "https://idp.test";
const TOKEN: &str = "https://op.test/token";
const AUDIENCES: [&str; 2] = ["https://op.test", TOKEN];

fn expected(now: u64) -> Expected<'static> {
    Expected {
        audiences: &AUDIENCES,
        recipient: TOKEN,
        now,
    }
}

fn good() -> Assertion {
    Assertion {
        id: "_1".into(),
        version: "2.0".into(),
        issuer: Some("https://idp.test".into()),
        name_id: Some("alice".into()),
        confirmations: vec![Confirmation {
            method: BEARER.into(),
            recipient: Some(TOKEN.into()),
            not_before: None,
            not_on_or_after: Some("2026-01-01T00:05:00Z".into()),
        }],
        conditions: Some(Conditions {
            not_before: Some("2025-12-31T23:59:00Z".into()),
            not_on_or_after: Some("2026-01-01T00:10:00Z".into()),
            audience_restrictions: vec![vec!["https://op.test".into()]],
            unknown: Vec::new(),
        }),
        authn_instant: Some("2025-12-31T23:58:00Z".into()),
    }
}

/// A change to a good assertion.
type Change = Box<dyn FnOnce(&mut Assertion)>;

fn refusal(change: impl FnOnce(&mut Assertion), now: u64) -> String {
    let mut a = good();
    change(&mut a);
    check(&a, IDP, &expected(now)).unwrap_err()
}

fn conditions(a: &mut Assertion) -> &mut Conditions {
    a.conditions.as_mut().unwrap()
}

#[test]
fn rfc7522_3_a_good_assertion_is_accepted_until_its_earliest_expiry_and_skew() {
    let accepted = check(&good(), IDP, &expected(NOW)).unwrap();
    assert_eq!(accepted.subject, "alice");
    assert_eq!(accepted.expires_at, NOW + 300 + CLOCK_SKEW);
    assert_eq!(accepted.auth_time, Some(NOW - 120));
    // The token endpoint is an audience too (item 2).
    let mut a = good();
    conditions(&mut a).audience_restrictions = vec![vec!["urn:other".into(), TOKEN.into()]];
    assert!(check(&a, IDP, &expected(NOW)).is_ok());
}

#[test]
fn rfc7522_3_items_1_2_11_issuer_audience_and_conditions() {
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|a| a.version = "1.1".into()), "Version"),
        (Box::new(|a| a.issuer = None), "no Issuer"),
        (
            Box::new(|a| a.issuer = Some("https://idp.test/".into())),
            "Issuer is not",
        ),
        (Box::new(|a| a.conditions = None), "no Conditions"),
        (
            Box::new(|a| conditions(a).audience_restrictions.clear()),
            "no AudienceRestriction",
        ),
        (
            Box::new(|a| {
                conditions(a).audience_restrictions = vec![vec!["https://op.test.evil".into()]]
            }),
            "does not name this server",
        ),
        (
            // SAML Core §2.5.1.4: a second restriction without us fails the whole.
            Box::new(|a| {
                conditions(a)
                    .audience_restrictions
                    .push(vec!["urn:x".into()])
            }),
            "does not name this server",
        ),
        (
            Box::new(|a| conditions(a).unknown.push("Condition".into())),
            "does not understand (Condition)",
        ),
        (
            Box::new(|a| conditions(a).not_on_or_after = Some("tomorrow".into())),
            "Conditions NotOnOrAfter is not a UTC time",
        ),
        (Box::new(|a| a.name_id = Some(String::new())), "no NameID"),
    ];
    for (change, expected) in cases {
        let refusal = refusal(change, NOW);
        assert!(refusal.contains(expected), "{refusal} / {expected}");
    }
}

#[test]
fn rfc7522_3_item_6_the_conditions_window_with_clock_skew() {
    // NotOnOrAfter 00:10 plus 60 s of skew.
    let late = NOW + 600 + CLOCK_SKEW;
    let mut a = good();
    a.confirmations[0].not_on_or_after = Some("2026-01-02T00:00:00Z".into());
    assert!(check(&a, IDP, &expected(late - 1)).is_ok());
    let refused = check(&a, IDP, &expected(late)).unwrap_err();
    assert!(
        refused.contains("expired (Conditions NotOnOrAfter)"),
        "{refused}"
    );
    let early = refusal(
        |a| conditions(a).not_before = Some("2026-01-01T00:01:01Z".into()),
        NOW,
    );
    assert!(early.contains("not valid yet"), "{early}");
}

#[test]
fn rfc7522_3_item_5_a_bearer_confirmation_to_our_token_endpoint_not_expired() {
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|a| a.confirmations.clear()), "Method bearer"),
        (
            Box::new(|a| {
                a.confirmations[0].method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".into()
            }),
            "Method bearer",
        ),
        (
            Box::new(|a| a.confirmations[0].recipient = None),
            "Recipient",
        ),
        (
            Box::new(|a| a.confirmations[0].recipient = Some("https://op.test/other".into())),
            "Recipient",
        ),
        (
            Box::new(|a| a.confirmations[0].not_on_or_after = None),
            "no NotOnOrAfter",
        ),
        (
            Box::new(|a| a.confirmations[0].not_on_or_after = Some("2025-12-31T23:58:59Z".into())),
            "SubjectConfirmation has expired",
        ),
        (
            Box::new(|a| a.confirmations[0].not_before = Some("2026-01-01T00:02:00Z".into())),
            "SubjectConfirmation is not valid yet",
        ),
    ];
    for (change, expected) in cases {
        let refusal = refusal(change, NOW);
        assert!(refusal.contains(expected), "{refusal} / {expected}");
    }
    // Another, valid, bearer confirmation is enough.
    let mut a = good();
    let mut other = a.confirmations[0].clone();
    other.recipient = Some("https://elsewhere/token".into());
    a.confirmations.insert(0, other);
    assert!(check(&a, IDP, &expected(NOW)).is_ok());
}
