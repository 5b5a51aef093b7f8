//! The native-app flow of RFC 8252: a loopback redirect listener on 127.0.0.1 with a random
//! port (§7.3), PKCE, and the browser sent to the authorization URL.

use std::time::Duration;

use oxid_protocol::scope::Scope;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::client::{OidcClient, Tokens};
use crate::error::ClientError;

const MAX_REQUEST_HEAD: usize = 16 * 1024;
const CALLBACK_PATH: &str = "/callback";
const DONE_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
<body><main><h1>Done</h1><p>You can close this window and return to the terminal.</p></main></body></html>";

/// A listener for one authorization response on `http://127.0.0.1:PORT/callback`.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    redirect_uri: String,
}

fn io_error(detail: impl std::fmt::Display) -> ClientError {
    ClientError::Http {
        url: "loopback".into(),
        detail: detail.to_string(),
    }
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on `port`, or on a port the system picks when it is 0 (RFC 8252
    /// §7.3, §8.3: the IP literal, not `localhost`).
    pub async fn bind(port: u16) -> Result<Self, ClientError> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(io_error)?;
        let port = listener.local_addr().map_err(io_error)?.port();
        Ok(Self {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
        })
    }

    /// The redirect URI to register and send.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for a GET of the callback path and returns its query; other requests (a
    /// browser's favicon) get a 404 and waiting goes on.
    pub async fn wait_for_callback(&self, timeout: Duration) -> Result<String, ClientError> {
        tokio::time::timeout(timeout, async {
            loop {
                let (mut stream, _) = self.listener.accept().await.map_err(io_error)?;
                if let Some(query) = read_callback(&mut stream).await {
                    respond(&mut stream, "200 OK", DONE_PAGE).await;
                    return Ok(query);
                }
                respond(&mut stream, "404 Not Found", "not found").await;
            }
        })
        .await
        .map_err(|_| io_error("no authorization response arrived in time"))?
    }
}

/// Reads one request head; the query when it is `GET /callback?...`.
async fn read_callback(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 || head.len() + n > MAX_REQUEST_HEAD {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = std::str::from_utf8(&head).ok()?;
    let mut parts = text.lines().next()?.split(' ');
    if parts.next()? != "GET" {
        return None;
    }
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (path == CALLBACK_PATH).then(|| query.to_owned())
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may have gone; the flow's outcome does not depend on this write.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Runs the whole login: listener on `port` (0: any), authorization URL (handed to `open`,
/// which shows it or opens a browser), callback, code exchange and ID token validation.
pub async fn login(
    client: &OidcClient,
    scope: &Scope,
    extra: &[(String, String)],
    port: u16,
    timeout: Duration,
    open: impl FnOnce(&str),
) -> Result<Tokens, ClientError> {
    let listener = LoopbackListener::bind(port).await?;
    let start = client.authorization_url(listener.redirect_uri(), scope, extra)?;
    open(&start.url);
    let query = listener.wait_for_callback(timeout).await?;
    let response = client.handle_callback(&start.session, &query)?;
    let code = response.code.unwrap_or_default();
    client.exchange_code(&start.session, &code).await
}
