//! The parts of a SAML 2.0 `<Assertion>` (SAML Core §2.3.3) the bearer grant checks, read
//! from the bytes its signature covers (`oxid_xmldsig` hands them over): only the root's
//! direct children are read, each at most once, so nothing unsigned or nested (an `Advice`
//! holding other assertions) is ever taken for the assertion's own content.

use roxmltree::{Document, Node};

/// The SAML 2.0 assertion namespace (SAML Core §2.1).
pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// What is wrong with an assertion's shape, as an `error_description`.
pub type Refusal = String;

/// An assertion's fields, as strings exactly as signed (times are parsed by the checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assertion {
    /// `ID`.
    pub id: String,
    /// `Version` (must be `2.0`).
    pub version: String,
    /// `<Issuer>`.
    pub issuer: Option<String>,
    /// `<Subject><NameID>`.
    pub name_id: Option<String>,
    /// `<Subject><SubjectConfirmation>`s.
    pub confirmations: Vec<Confirmation>,
    /// `<Conditions>`.
    pub conditions: Option<Conditions>,
    /// `AuthnInstant` of the `<AuthnStatement>`, when there is one.
    pub authn_instant: Option<String>,
}

/// One `<SubjectConfirmation>` (SAML Core §2.4.1.1) with its `<SubjectConfirmationData>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confirmation {
    /// `Method`.
    pub method: String,
    /// `Recipient`.
    pub recipient: Option<String>,
    /// `NotBefore`.
    pub not_before: Option<String>,
    /// `NotOnOrAfter`.
    pub not_on_or_after: Option<String>,
}

/// `<Conditions>` (SAML Core §2.5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// `NotBefore`.
    pub not_before: Option<String>,
    /// `NotOnOrAfter`.
    pub not_on_or_after: Option<String>,
    /// Each `<AudienceRestriction>`'s `<Audience>` values.
    pub audience_restrictions: Vec<Vec<String>>,
    /// Conditions this provider does not know (SAML Core §2.5.1.2: then the assertion's
    /// validity is indeterminate, and RFC 7522 §3 item 11 says reject it).
    pub unknown: Vec<String>,
}

/// The `<Issuer>` of the document `xml` before its signature is checked: only to choose
/// which identity provider's certificate to check it with.
pub fn unverified_issuer(xml: &str) -> Result<String, Refusal> {
    let doc = Document::parse(xml).map_err(|e| match e {
        roxmltree::Error::DtdDetected => {
            "the assertion has a document type declaration, which is not accepted".to_string()
        }
        _ => "the assertion is not well-formed XML".to_string(),
    })?;
    let root = doc.root_element();
    if !is_saml(root, "Assertion") {
        return Err("the document is not a SAML 2.0 Assertion (RFC 7522 §2.1)".into());
    }
    match only_child(root, "Issuer")? {
        Some(issuer) => text_of(issuer),
        None => Err("the assertion has no Issuer".into()),
    }
}

/// Reads the signed canonical form of an assertion.
pub fn read(signed: &str) -> Result<Assertion, Refusal> {
    let doc = Document::parse(signed)
        .map_err(|_| "the signed assertion is not well-formed XML".to_string())?;
    let root = doc.root_element();
    if !is_saml(root, "Assertion") {
        return Err("the document is not a SAML 2.0 Assertion".into());
    }
    let mut assertion = Assertion {
        id: root.attribute("ID").unwrap_or_default().to_string(),
        version: root.attribute("Version").unwrap_or_default().to_string(),
        ..Assertion::default()
    };
    if let Some(issuer) = only_child(root, "Issuer")? {
        assertion.issuer = Some(text_of(issuer)?);
    }
    if let Some(subject) = only_child(root, "Subject")? {
        if let Some(name_id) = only_child(subject, "NameID")? {
            assertion.name_id = Some(text_of(name_id)?);
        }
        assertion.confirmations = saml_children(subject, "SubjectConfirmation")
            .map(confirmation)
            .collect::<Result<_, _>>()?;
    }
    if let Some(conditions) = only_child(root, "Conditions")? {
        assertion.conditions = Some(read_conditions(conditions)?);
    }
    if let Some(statement) = only_child(root, "AuthnStatement")? {
        assertion.authn_instant = statement.attribute("AuthnInstant").map(str::to_string);
    }
    Ok(assertion)
}

fn confirmation(node: Node<'_, '_>) -> Result<Confirmation, Refusal> {
    let mut confirmation = Confirmation {
        method: node.attribute("Method").unwrap_or_default().to_string(),
        ..Confirmation::default()
    };
    if let Some(data) = only_child(node, "SubjectConfirmationData")? {
        let attribute = |name: &str| data.attribute(name).map(str::to_string);
        confirmation.recipient = attribute("Recipient");
        confirmation.not_before = attribute("NotBefore");
        confirmation.not_on_or_after = attribute("NotOnOrAfter");
    }
    Ok(confirmation)
}

fn read_conditions(node: Node<'_, '_>) -> Result<Conditions, Refusal> {
    let mut conditions = Conditions {
        not_before: node.attribute("NotBefore").map(str::to_string),
        not_on_or_after: node.attribute("NotOnOrAfter").map(str::to_string),
        ..Conditions::default()
    };
    for condition in node.children().filter(Node::is_element) {
        let name = condition.tag_name().name();
        match name {
            "AudienceRestriction" if is_saml(condition, name) => {
                let audiences = saml_children(condition, "Audience")
                    .map(text_of)
                    .collect::<Result<_, _>>()?;
                conditions.audience_restrictions.push(audiences);
            }
            // SAML Core §2.5.1.5: we never reuse an assertion (its ID is remembered).
            "OneTimeUse" if is_saml(condition, name) => {}
            // SAML Core §2.5.1.6: limits what a relying party may assert onwards; we assert
            // nothing from it to others.
            "ProxyRestriction" if is_saml(condition, name) => {}
            _ => conditions.unknown.push(name.to_string()),
        }
    }
    Ok(conditions)
}

fn is_saml(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element()
        && node.tag_name().namespace() == Some(SAML_NS)
        && node.tag_name().name() == name
}

fn saml_children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |c| is_saml(*c, name))
}

/// The one child `name` of `node`, if any; more than one is refused (SAML Core's schema
/// allows one), so no reader can pick a different one from ours.
fn only_child<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> Result<Option<Node<'a, 'input>>, Refusal> {
    let mut found = saml_children(node, name);
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("the assertion has more than one {name}"));
    }
    Ok(first)
}

/// The text of a simple element; one with child elements is refused.
fn text_of(node: Node<'_, '_>) -> Result<String, Refusal> {
    let mut text = String::new();
    for child in node.children() {
        if child.is_element() {
            return Err(format!("{} must hold text only", node.tag_name().name()));
        }
        if let Some(t) = child.text().filter(|_| child.is_text()) {
            text.push_str(t);
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0"><saml:Issuer>https://idp</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData Recipient="https://op/token" NotOnOrAfter="2026-01-01T00:05:00Z"></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="2026-01-01T00:00:00Z" NotOnOrAfter="2026-01-01T00:10:00Z"><saml:AudienceRestriction><saml:Audience>https://op</saml:Audience></saml:AudienceRestriction><saml:OneTimeUse></saml:OneTimeUse><saml:Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x"></saml:Condition></saml:Conditions><saml:AuthnStatement AuthnInstant="2026-01-01T00:00:00Z"></saml:AuthnStatement></saml:Assertion>"#;

    #[test]
    fn saml_core_2_3_3_the_checked_fields_are_read() {
        let a = read(FULL).unwrap();
        assert_eq!((a.id.as_str(), a.version.as_str()), ("_1", "2.0"));
        assert_eq!(a.issuer.as_deref(), Some("https://idp"));
        assert_eq!(a.name_id.as_deref(), Some("alice"));
        assert_eq!(a.confirmations.len(), 1);
        assert_eq!(
            a.confirmations[0].recipient.as_deref(),
            Some("https://op/token")
        );
        let conditions = a.conditions.unwrap();
        assert_eq!(conditions.audience_restrictions, vec![vec!["https://op"]]);
        assert_eq!(conditions.unknown, vec!["Condition"]);
        assert_eq!(a.authn_instant.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(unverified_issuer(FULL).as_deref(), Ok("https://idp"));
    }

    #[test]
    fn duplicated_or_structured_fields_are_refused() {
        let two_issuers = FULL.replace(
            "<saml:Issuer>https://idp</saml:Issuer>",
            "<saml:Issuer>https://idp</saml:Issuer><saml:Issuer>https://evil</saml:Issuer>",
        );
        assert!(
            read(&two_issuers)
                .unwrap_err()
                .contains("more than one Issuer")
        );
        let nested = FULL.replace(">alice<", "><x:b xmlns:x=\"urn:x\">alice</x:b><");
        assert!(
            read(&nested)
                .unwrap_err()
                .contains("NameID must hold text only")
        );
        assert!(read("<a/>").is_err());
        assert!(read("<a").is_err());
    }

    #[test]
    fn nested_assertions_are_not_read_as_the_root() {
        // An assertion inside Advice: its subject is never the root's.
        let advice = FULL.replace(
            "<saml:Subject>",
            "<saml:Advice><saml:Assertion ID=\"_2\" Version=\"2.0\"><saml:Subject><saml:NameID>mallory</saml:NameID></saml:Subject></saml:Assertion></saml:Advice><saml:Subject>",
        );
        assert_eq!(read(&advice).unwrap().name_id.as_deref(), Some("alice"));
    }
}
