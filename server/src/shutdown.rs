//! Graceful shutdown: SIGTERM (what a container stop or `kill` sends) or Ctrl-C stops accepting
//! connections and lets in-flight requests finish, on every listener at once.

use tokio::sync::watch;

/// Resolves once on SIGTERM or Ctrl-C; every clone of the receiver sees it.
pub fn on_signal() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received, draining connections");
        let _ = sender.send(true);
    });
    receiver
}

/// A future for `axum::serve(..).with_graceful_shutdown`.
pub async fn signalled(mut receiver: watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens after it has signalled.
    let _ = receiver.wait_for(|stop| *stop).await;
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
