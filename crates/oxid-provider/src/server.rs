//! Start-up: open the backend (see `backend`), make sure keys exist, serve until a signal.
//! `Backend` and its opening are re-exported here for the CLI, which opens one too.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

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
    provider.spawn_maintenance(Duration::from_secs(300));
    let app = crate::http::router(provider.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(|e| StartError::Listen {
        addr,
        message: e.to_string(),
    })?;
    tracing::info!("oxid stopped");
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
