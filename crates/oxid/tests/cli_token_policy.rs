//! `oxid client add|update` with the token policy flags: the access token format and
//! lifetime, the refresh token's absolute and idle lifetimes and grace window (issue 12),
//! checked by the shared client metadata rules.

mod common;

use common::{oxid_with_input, temp_dir};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn client_add_and_update_take_the_token_policy_flags() {
    let dir = temp_dir("cli-token-policy");
    let oxid = |args: &[&str]| oxid_with_input(&dir, args, b"");
    let added = oxid(&[
        "client",
        "add",
        "--client-id",
        "api-client",
        "--redirect-uri",
        "https://app.example/cb",
        "--access-token-format",
        "jwt",
        "--access-token-lifetime",
        "300",
        "--refresh-token-lifetime",
        "86400",
        "--refresh-token-idle",
        "3600",
        "--refresh-token-grace",
        "10",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let client = || {
        let listed = oxid(&["client", "list"]);
        let clients: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        clients[0].clone()
    };
    let c = client();
    assert_eq!(c["access_token_format"], "jwt");
    assert_eq!(c["access_token_lifetime"], 300);
    assert_eq!(c["refresh_token_lifetime"], 86400);
    assert_eq!(c["refresh_token_idle"], 3600);
    assert_eq!(c["refresh_token_grace"], 10);
    // Only the given members change; 0 turns the grace window off.
    let updated = oxid(&[
        "client",
        "update",
        "api-client",
        "--access-token-format",
        "opaque",
        "--refresh-token-grace",
        "0",
    ]);
    assert!(updated.status.success(), "{}", stderr(&updated));
    let c = client();
    assert_eq!(c["access_token_format"], "opaque");
    assert!(c.get("refresh_token_grace").is_none(), "{c}");
    assert_eq!(c["refresh_token_idle"], 3600);
    // The rules name the member.
    for (flag, value, member) in [
        ("--access-token-format", "paseto", "access_token_format"),
        ("--refresh-token-idle", "100000", "refresh_token_idle"),
        ("--refresh-token-grace", "3600", "refresh_token_grace"),
        ("--access-token-lifetime", "0", "access_token_lifetime"),
    ] {
        let refused = oxid(&["client", "update", "api-client", flag, value]);
        assert!(!refused.status.success(), "{flag} {value}");
        assert!(stderr(&refused).contains(member), "{}", stderr(&refused));
    }
}
