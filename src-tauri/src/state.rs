//! What the app holds between commands: the session of the open workspace (the engine keeps
//! its index, caches and served site) and the flags that cancel a running render or import.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tessera_engine::app::Session;
use tokio::sync::RwLock;

use crate::error::{CommandError, CommandResult, ErrorCode};

pub struct AppState {
    /// Where the app keeps its own files (the demo workspace).
    pub data_dir: PathBuf,
    session: RwLock<Option<Arc<Session>>>,
    pub cancel_render: Arc<AtomicBool>,
    pub cancel_import: Arc<AtomicBool>,
    /// Pauses, resumes or stops the send running now.
    pub send_control: tokio::sync::Mutex<Option<tessera_engine::app::SendControl>>,
}

impl AppState {
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            session: RwLock::new(None),
            cancel_render: Arc::default(),
            cancel_import: Arc::default(),
            send_control: Default::default(),
        }
    }

    /// The open workspace's session, or the error that asks the user to open one.
    pub async fn session(&self) -> CommandResult<Arc<Session>> {
        self.session.read().await.clone().ok_or_else(no_workspace)
    }

    /// Makes `session` the open one; the last one is closed (what it served stops: it records
    /// into its own workspace; its previews and kept frames go with it).
    pub async fn replace(&self, session: Session) -> CommandResult<()> {
        let previous = self.session.write().await.replace(Arc::new(session));
        if let Some(previous) = previous {
            match Arc::try_unwrap(previous) {
                Ok(previous) => previous.close().await?,
                // A command still uses it: it stops serving now and closes when that ends.
                Err(shared) => {
                    shared.stop_serving().await?;
                }
            }
        }
        Ok(())
    }
}

pub fn no_workspace() -> CommandError {
    CommandError::new(ErrorCode::NoWorkspace, "no workspace is open")
}
