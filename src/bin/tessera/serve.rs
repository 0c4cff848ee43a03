//! `tessera serve`: one engine server, until Ctrl+C.

use std::net::SocketAddr;
use std::path::PathBuf;

use tessera_engine::serve::{ServeOptions, Server};
use tessera_engine::store::Workspace;

use crate::terminal::say;
use crate::Failure;

pub async fn serve(
    ws: &Workspace,
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
    let server = Server::start(ws.pool.clone(), options).await?;
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
        "stopped: {} visits, {} clicks, {} form submissions recorded; {} requests refused",
        counts.visits,
        counts.clicks,
        counts.submissions,
        counts.refused
    );
    Ok(())
}
