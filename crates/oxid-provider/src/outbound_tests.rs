//! Outbound fetches against a local server: loopback refused by default (as an address and
//! as a name), allowed when configured, and the size and time limits.

use super::*;
use axum::Router;
use axum::routing::get;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Serves `/small` (a short JSON), `/large` (2000 bytes with a length), `/slow` (after
/// 2 s) and `/missing` (404); returns the base URL.
async fn local_server() -> String {
    let app = Router::new()
        .route("/small", get(|| async { r#"{"keys":[]}"# }))
        .route("/large", get(|| async { "x".repeat(2000) }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Answers one request with 2000 bytes in chunks and no `Content-Length`; returns its URL.
async fn chunked_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stream", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        for _ in 0..20 {
            let chunk = format!("64\r\n{}\r\n", "y".repeat(100));
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
    });
    url
}

fn outbound(adjust: impl FnOnce(&mut OutboundSettings)) -> Outbound {
    let mut settings = OutboundSettings::default();
    adjust(&mut settings);
    Outbound::new(settings, None).unwrap()
}

fn allowing_private() -> Outbound {
    outbound(|s| s.allow_private_addresses = true)
}

#[tokio::test]
async fn loopback_is_refused_by_default_as_an_address_and_as_a_name() {
    let base = local_server().await;
    let fetch = outbound(|_| {});
    let err = fetch
        .get(&format!("{base}/small"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::RefusedAddress { address, .. } if address.is_loopback()),
        "{err:?}"
    );
    // By name: the resolver's answer is checked before any connection.
    let by_name = base.replace("127.0.0.1", "localhost");
    let err = fetch
        .get(&format!("{by_name}/small"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::RefusedAddress { host, .. } if host == "localhost"),
        "{err:?}"
    );
    let err = fetch.get("http://[::1]:9/x", "*/*").await.unwrap_err();
    assert!(matches!(err, FetchError::RefusedAddress { .. }), "{err:?}");
}

#[tokio::test]
async fn loopback_is_fetched_when_private_addresses_are_allowed() {
    let base = local_server().await;
    let fetch = allowing_private();
    let by_name = base.replace("127.0.0.1", "localhost");
    for url in [format!("{base}/small"), format!("{by_name}/small")] {
        let body = fetch.get(&url, "application/json").await.unwrap();
        assert_eq!(body, br#"{"keys":[]}"#, "{url}");
    }
    let err = fetch
        .get(&format!("{base}/missing"), "*/*")
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Status(404));
}

#[tokio::test]
async fn answers_over_the_size_limit_are_refused_with_or_without_a_length() {
    let base = local_server().await;
    let fetch = outbound(|s| {
        s.allow_private_addresses = true;
        s.max_response_bytes = 1000;
    });
    for url in [format!("{base}/large"), chunked_server().await] {
        let err = fetch.get(&url, "*/*").await.unwrap_err();
        assert_eq!(err, FetchError::TooLarge(1000), "{url}");
    }
    assert!(fetch.get(&format!("{base}/small"), "*/*").await.is_ok());
}

#[tokio::test]
async fn a_slow_answer_hits_the_time_limit() {
    let base = local_server().await;
    let fetch = outbound(|s| {
        s.allow_private_addresses = true;
        s.timeout_ms = 200;
    });
    let started = std::time::Instant::now();
    let err = fetch.get(&format!("{base}/slow"), "*/*").await.unwrap_err();
    assert_eq!(err, FetchError::Timeout(200));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn only_http_and_https_urls_are_fetched() {
    let fetch = allowing_private();
    for url in ["file:///etc/passwd", "ftp://example.com/x", "not a url"] {
        let err = fetch.get(url, "*/*").await.unwrap_err();
        assert!(matches!(err, FetchError::NotHttp(_)), "{url}: {err:?}");
    }
}

#[test]
fn public_addresses_are_told_from_the_others() {
    let public = [
        IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14)),
        IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
        IpAddr::V6("2606:4700::1111".parse().unwrap()),
        IpAddr::V6("::ffff:8.8.8.8".parse().unwrap()),
    ];
    for address in public {
        assert!(is_public(address), "{address}");
    }
    let others = [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
    ];
    for address in others {
        let parsed: IpAddr = address.parse().unwrap();
        assert!(!is_public(parsed), "{address}");
    }
    assert!(!is_public(IpAddr::V6(Ipv6Addr::LOCALHOST)));
}

#[test]
fn a_named_bundle_that_is_missing_or_holds_no_certificate_is_an_error() {
    let settings = OutboundSettings::default();
    let missing = Path::new("/nonexistent/bundle.pem");
    let err = Outbound::new(settings, Some(missing)).err().unwrap();
    assert!(err.contains("/nonexistent/bundle.pem"), "{err}");
    let dir = std::env::temp_dir().join(format!("oxid-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    assert!(Outbound::new(settings, Some(&empty)).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_system_bundle_loads_when_there_is_one() {
    let Some(path) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) else {
        return;
    };
    assert!(!pem_bundle(path).unwrap().is_empty(), "{}", path.display());
    let settings = OutboundSettings::default();
    assert!(Outbound::new(settings, Some(path)).is_ok());
}

#[test]
fn zero_limits_are_refused() {
    let settings = OutboundSettings {
        timeout_ms: 0,
        ..OutboundSettings::default()
    };
    assert_eq!(settings.validate().unwrap_err().key, "outbound.timeout_ms");
    let settings = OutboundSettings {
        max_response_bytes: 0,
        ..OutboundSettings::default()
    };
    let key = settings.validate().unwrap_err().key;
    assert_eq!(key, "outbound.max_response_bytes");
}

#[test]
fn addresses_written_in_other_forms_are_checked_as_addresses() {
    // What a redirect's Location could say: the URL parser reads each as 127.0.0.1 or ::1,
    // so the check sees the loopback address, not a name.
    for url in [
        "http://0x7f.0.0.1/jwks",
        "http://127.1/jwks",
        "http://2130706433/jwks",
        "http://0177.0.0.1/jwks",
        "https://[::ffff:127.0.0.1]/jwks",
        "http://[0:0:0:0:0:0:0:1]:8080/jwks",
    ] {
        let parsed = Url::parse(url).unwrap();
        let err = check_url(&parsed, false).unwrap_err();
        assert!(
            matches!(err, FetchError::RefusedAddress { .. }),
            "{url}: {err:?}"
        );
        assert!(check_url(&parsed, true).is_ok(), "{url}");
    }
    let public = Url::parse("https://93.184.215.14/jwks").unwrap();
    assert!(check_url(&public, false).is_ok());
    let named = Url::parse("https://rp.example/jwks").unwrap();
    assert!(
        check_url(&named, false).is_ok(),
        "names are checked when resolved"
    );
}
