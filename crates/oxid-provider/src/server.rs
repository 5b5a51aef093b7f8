//! Start-up: open the backend (see `backend`), make sure keys exist, serve until a signal.
//! `Backend` and its opening are re-exported here for the CLI, which opens one too.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::{Service, ServiceExt as _};

use crate::config::Limits;

pub use crate::backend::{Backend, StartError, open_backend};
use crate::config::Settings;
use crate::state::Provider;

/// Runs the provider until Ctrl-C or SIGTERM, then finishes requests in flight.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let shutdown = shutdown_signal().map_err(|e| StartError::Listen {
        addr: settings.listen.clone(),
        message: format!("cannot install signal handlers: {e}"),
    })?;
    let backend = open_backend(&settings).await?;
    backend.ensure_keys().await?;
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| StartError::Listen {
            addr: settings.listen.clone(),
            message: e.to_string(),
        })?;
    let provider = Provider::start(backend).await?;
    serve_admin(&settings, &provider).await?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| settings.listen.clone());
    tracing::info!(issuer = %provider.config().issuer, listen = %addr, "oxid is serving");
    log_first_steps(&provider).await;
    provider.spawn_maintenance(provider.config().maintenance_interval);
    provider.spawn_backchannel_sender();
    let app = crate::http::app(provider.clone());
    serve_connections(listener, app, provider.config().limits, shutdown).await;
    tracing::info!(listen = %addr, "oxid stopped");
    Ok(())
}

/// When `admin_listen` is set, binds it (failing start-up when it cannot) and serves the
/// admin router there (`/metrics` and the probes) until the process ends.
async fn serve_admin(settings: &Settings, provider: &Provider) -> Result<(), StartError> {
    let Some(addr) = settings.admin_listen.clone() else {
        return Ok(());
    };
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| StartError::Listen {
            addr: addr.clone(),
            message: e.to_string(),
        })?;
    let bound = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    tracing::info!(admin_listen = %bound, "serving /metrics, /healthz and /readyz");
    let app = crate::http::admin_router(provider.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the admin listener stopped");
        }
    });
    Ok(())
}

/// Open-file descriptors kept free of connections: the database pool, key files, logs.
const SPARE_FILES: u64 = 64;

/// Longest wait for requests in flight after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, then lets connections finish their
/// requests in flight. Slow or idle clients cannot take the server offline: headers must
/// arrive within `limits.header_read_timeout_ms` (idle keep-alive connections are closed
/// after it too) and at most [`connection_cap`] connections are open at once; more wait in
/// the kernel's listen backlog.
pub async fn serve_connections<S>(
    listener: TcpListener,
    app: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let open = Arc::new(Semaphore::new(connection_cap(&limits)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms));
    tokio::pin!(shutdown);
    loop {
        // A permit first: beyond the cap, sockets wait unaccepted instead of using a file.
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and the like: pause rather than spin on the error.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(
            move |request: axum::extract::Request<hyper::body::Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, peer = %peer, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace period");
    }
}

/// The open-connection cap: `limits.max_connections`, lowered below the process's open-file
/// limit (less [`SPARE_FILES`]) so that the accept loop never meets `Too many open files`.
pub fn connection_cap(limits: &Limits) -> usize {
    let by_files = open_file_limit()
        .map(|files| files.saturating_sub(SPARE_FILES).max(1))
        .unwrap_or(u64::MAX);
    usize::try_from(by_files)
        .unwrap_or(usize::MAX)
        .min(limits.max_connections)
}

/// The soft `RLIMIT_NOFILE`, when the platform says.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, narrower on some other unixes
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (status == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// On an empty database, say how to add a user and a client.
async fn log_first_steps(provider: &Provider) {
    let store = provider.store();
    let no_users = store
        .list_users()
        .await
        .map(|u| u.is_empty())
        .unwrap_or(false);
    let no_clients = store
        .list_clients()
        .await
        .map(|c| c.is_empty())
        .unwrap_or(false);
    if no_users {
        tracing::info!("no user yet: oxid user add --username alice --password-stdin");
    }
    if no_clients {
        tracing::info!(
            "no client yet: oxid client add --client-id my-app --redirect-uri http://localhost:3000/callback"
        );
    }
}

/// Ctrl-C or SIGTERM. The handlers are installed here, before the provider says it serves,
/// so a signal sent as soon as it is up is never the default "terminate at once".
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_cap_stays_below_the_open_file_limit() {
        let limits = Limits {
            max_connections: usize::MAX,
            ..Limits::default()
        };
        let cap = connection_cap(&limits);
        if let Some(files) = open_file_limit() {
            assert!((cap as u64) < files.max(2), "{cap} of {files}");
        }
        let small = Limits {
            max_connections: 3,
            ..Limits::default()
        };
        assert!(connection_cap(&small) <= 3);
    }
}
