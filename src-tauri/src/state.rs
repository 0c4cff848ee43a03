//! What the app holds between commands: the open workspace, its segment index (rebuilt after
//! every change to customers or events) and the flags that cancel a running render or import.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde_json::Value;
use tessera_engine::segments::SegmentIndex;
use tessera_engine::serve::{PlayerPreview, ServeCounts, Server};
use tessera_engine::store::{Access, Workspace};
use tessera_engine::storyboards::preview::Previewer;
use tokio::sync::{Mutex, OnceCell, RwLock, RwLockReadGuard};

use crate::error::{crashed, CommandError, CommandResult, ErrorCode};

pub struct Open {
    pub workspace: Workspace,
    pub index: Arc<SegmentIndex>,
}

/// A rendered campaign's site the app is serving.
pub struct Serving {
    pub folder: PathBuf,
    pub server: Server,
}

pub struct AppState {
    /// Where the app keeps its own files (the demo workspace).
    pub data_dir: PathBuf,
    pub open: RwLock<Option<Open>>,
    pub cancel_render: Arc<AtomicBool>,
    pub cancel_import: Arc<AtomicBool>,
    /// The merge data of the customer last previewed, reused while a template is edited; cleared
    /// whenever the workspace changes.
    pub preview_data: Mutex<Option<(i64, Arc<Value>)>>,
    /// The folder the last campaign was rendered to: the one thing `campaign_open` may open.
    pub last_render: Mutex<Option<PathBuf>>,
    /// At most one site served at a time, recording into the open workspace.
    pub serving: Mutex<Option<Serving>>,
    /// The storyboard editor's player preview, started the first time it is played.
    pub player_preview: OnceCell<Arc<PlayerPreview>>,
    /// The storyboard editor's live frames, which keep what the last one was drawn from (a
    /// lock held while one is drawn, on a blocking thread).
    pub previewer: Arc<std::sync::Mutex<Previewer>>,
}

impl AppState {
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            open: RwLock::new(None),
            cancel_render: Arc::default(),
            cancel_import: Arc::default(),
            preview_data: Mutex::new(None),
            last_render: Mutex::new(None),
            serving: Mutex::new(None),
            player_preview: OnceCell::new(),
            previewer: Arc::default(),
        }
    }

    /// The open workspace, or the error that asks the user to open one.
    pub async fn current(&self) -> CommandResult<RwLockReadGuard<'_, Open>> {
        RwLockReadGuard::try_map(self.open.read().await, Option::as_ref).map_err(|_| no_workspace())
    }

    /// Opens the workspace at `path` and builds its segment index.
    pub async fn open(&self, path: &Path, access: Access) -> CommandResult<()> {
        let workspace = Workspace::open(path, access).await?;
        // What a served site records belongs to the workspace it was rendered from.
        self.stop_serving().await?;
        let index = load_index(&workspace).await?;
        *self.preview_data.lock().await = None;
        // Nothing of the last workspace's customers stays served or kept for the editor.
        if let Some(player) = self.player_preview.get() {
            player.clear();
        }
        self.previewer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .forget();
        if let Some(previous) = self.open.write().await.replace(Open { workspace, index }) {
            previous.workspace.close().await;
        }
        Ok(())
    }

    /// The player preview's server, started on first use.
    pub async fn player_preview(&self) -> CommandResult<Arc<PlayerPreview>> {
        let started = self
            .player_preview
            .get_or_try_init(|| async { PlayerPreview::start().await.map(Arc::new) });
        Ok(started.await?.clone())
    }

    /// Stops the served site, if any, with what it recorded written; its last counts.
    pub async fn stop_serving(&self) -> CommandResult<Option<ServeCounts>> {
        let Some(serving) = self.serving.lock().await.take() else {
            return Ok(None);
        };
        Ok(Some(serving.server.stop().await?))
    }

    pub async fn reindex(&self) -> CommandResult<()> {
        let mut open = self.open.write().await;
        let open = open.as_mut().ok_or_else(no_workspace)?;
        open.index = load_index(&open.workspace).await?;
        *self.preview_data.lock().await = None;
        Ok(())
    }
}

pub fn no_workspace() -> CommandError {
    CommandError::new(ErrorCode::NoWorkspace, "no workspace is open")
}

/// The kept index when nothing changed since it was built (a large workspace opens in
/// milliseconds instead of seconds), else built and kept.
async fn load_index(workspace: &Workspace) -> CommandResult<Arc<SegmentIndex>> {
    let path = workspace.path.clone();
    tokio::task::spawn_blocking(move || SegmentIndex::current(&path, || {}))
        .await
        .map_err(crashed)?
        .map(|current| Arc::new(current.index))
        .map_err(CommandError::from)
}
