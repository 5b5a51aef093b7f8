//! A TCP proxy in front of the test PostgreSQL server that a test owns, to take the database
//! away and bring it back (the machine's PostgreSQL is never stopped).

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy to PostgreSQL that can cut every connection and refuse new ones.
pub struct Proxy {
    pub address: String,
    cut: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (cut, watching) = watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if *watching.borrow() {
                    continue; // dropped: closed at once
                }
                let (upstream, mut watching) = (upstream.clone(), watching.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = watching.wait_for(|cut| *cut) => {} // both sockets dropped
                    }
                });
            }
        });
        Proxy { address, cut }
    }

    /// Closes every proxied connection and closes new ones as they come.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// The `host:port` of the test PostgreSQL server.
pub fn postgres_address() -> Option<String> {
    let url = std::env::var(super::POSTGRES_VAR).ok()?;
    let url = url::Url::parse(&url).ok()?;
    Some(format!(
        "{}:{}",
        url.host_str()?,
        url.port().unwrap_or(5432)
    ))
}
