//! `tessera serve`: one engine server, until Ctrl+C.

use std::net::SocketAddr;
use std::path::PathBuf;

use tessera_engine::app::{ServeOptions, Session};

use crate::terminal::{say, tell};
use crate::Failure;

pub async fn serve(
    session: &Session,
    site: PathBuf,
    listen: SocketAddr,
    rate: u32,
    log: bool,
) -> Result<(), Failure> {
    let mut options = ServeOptions::new(site.clone());
    options.listen = listen;
    options.rate = rate;
    options.burst = rate.saturating_mul(3);
    options.log = log;
    let server = session.serve(options).await?;
    if !listen.ip().is_loopback() {
        eprintln!("warning: listening on {listen}: other computers can reach these personal pages");
    }
    say!(
        "serving {} at http://{}/ (Ctrl+C to stop)",
        site.display(),
        server.address()
    );
    tokio::signal::ctrl_c().await?;
    let counts = server.stop().await?;
    say!(
        "stopped: {} visits, {} clicks, {} form submissions and {} video events recorded; {} requests refused",
        counts.visits,
        counts.clicks,
        counts.submissions,
        counts.video_events,
        counts.refused
    );
    if counts.unrecorded > 0 {
        tell!(
            "{} visits, clicks or video events could not be recorded (the workspace stayed busy or unwritable)",
            counts.unrecorded
        );
    }
    Ok(())
}
