//! Waiting for the signal to stop: Ctrl-C (SIGINT) or, on Unix, SIGTERM.

/// Resolves when the process is asked to stop. Handed to axum's graceful shutdown,
/// it stops accepting connections and lets requests already in flight finish.
pub async fn signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, never resolve rather than stop at once.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
