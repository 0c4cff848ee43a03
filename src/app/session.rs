//! A session: one open workspace and what every action on it needs — its segment index, kept
//! current whoever changed the workspace (this session, its server, another process), the last
//! previewed customer's merge data, the storyboard editor's kept frame, the site being served.
//! The CLI opens one per command; the desktop app keeps one while a workspace is open.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{Mutex, OnceCell};

use super::error::{Error, Result};
use crate::error::ErrorKind;
use crate::segments::index::Kept;
use crate::segments::SegmentIndex;
use crate::serve::{PlayerPreview, Server};
use crate::store::{Access, Workspace};
use crate::storyboards::preview::Previewer;

/// The index and the workspace generation it was built at.
struct Indexed {
    index: Arc<SegmentIndex>,
    generation: i64,
}

/// A rendered campaign's site being served.
pub(crate) struct Serving {
    pub folder: PathBuf,
    pub server: Server,
}

pub struct Session {
    pub(crate) workspace: Workspace,
    index: Mutex<Option<Indexed>>,
    /// The merge data of the customer last previewed, reused while a template is edited.
    pub(crate) preview_data: Mutex<Option<(i64, Arc<Value>)>>,
    /// The storyboard editor's frames keep what the last one was drawn from (a lock held while
    /// one is drawn, on a blocking thread).
    pub(crate) previewer: Arc<std::sync::Mutex<Previewer>>,
    /// The folder this session's last render wrote: the one thing a host may open for the user.
    pub(crate) last_render: Mutex<Option<PathBuf>>,
    /// At most one site served at a time, recording into this workspace.
    pub(crate) serving: Mutex<Option<Serving>>,
    /// The storyboard editor's player preview, started the first time it is played.
    pub(crate) player: OnceCell<Arc<PlayerPreview>>,
    /// Where the session says what takes a while or did not go as it should (building the
    /// index), for hosts that show such things.
    notices: Option<Notices>,
}

/// Where a session's notices go.
type Notices = Arc<dyn Fn(&str) + Send + Sync>;

impl Session {
    /// Opens the workspace at `path`. One that `access` lets this create is created with what
    /// every new workspace has (the starter templates).
    pub async fn open(path: &Path, access: Access) -> Result<Session> {
        let is_new = access == Access::Create && std::fs::symlink_metadata(path).is_err();
        let workspace = Workspace::open(path, access).await?;
        if is_new {
            crate::templates::store::install_starter_templates(&workspace.pool).await?;
        }
        Ok(Session::of(workspace))
    }

    /// Creates a workspace at `path` (never over an existing file) and opens it.
    pub async fn create(path: &Path) -> Result<Session> {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} already exists; open it, or choose a new name",
                    path.display()
                ),
            ));
        }
        Session::open(path, Access::Create).await
    }

    /// The demo workspace in `dir` (made with `customers` synthetic customers the first time).
    pub async fn open_demo(dir: &Path, customers: usize) -> Result<Session> {
        let db = dir.join("workspace.sqlite");
        if !db.exists() {
            crate::demo::create_demo(dir, &db, customers).await?;
        }
        Session::open(&db, Access::Existing).await
    }

    pub(crate) fn of(workspace: Workspace) -> Session {
        Session {
            workspace,
            index: Mutex::new(None),
            preview_data: Mutex::new(None),
            previewer: Arc::default(),
            last_render: Mutex::new(None),
            serving: Mutex::new(None),
            player: OnceCell::new(),
            notices: None,
        }
    }

    /// The session, telling `notices` what takes a while or did not go as it should.
    pub fn with_notices(mut self, notices: impl Fn(&str) + Send + Sync + 'static) -> Session {
        self.notices = Some(Arc::new(notices));
        self
    }

    fn notice(&self, text: &str) {
        if let Some(notices) = &self.notices {
            notices(text);
        }
    }

    /// The workspace file.
    pub fn path(&self) -> &Path {
        &self.workspace.path
    }

    /// The segment index as the workspace is now: rebuilt (or loaded from the kept file) when
    /// anything changed since it was last taken, by anyone.
    pub(crate) async fn index(&self) -> Result<Arc<SegmentIndex>> {
        let generation: i64 =
            sqlx::query_scalar("SELECT generation FROM workspace_state WHERE id = 1")
                .fetch_one(&self.workspace.pool)
                .await?;
        let mut kept = self.index.lock().await;
        if let Some(indexed) = kept.as_ref().filter(|i| i.generation == generation) {
            return Ok(indexed.index.clone());
        }
        let path = self.workspace.path.clone();
        let notices = self.notices.clone();
        let current = tokio::task::spawn_blocking(move || {
            SegmentIndex::current(&path, || {
                if let Some(notices) = notices {
                    notices("building the segment index (once after each change to customers or events)…");
                }
            })
        })
        .await
        .map_err(Error::crashed)??;
        if let Kept::NotKept(reason) = &current.kept {
            self.notice(&format!("the segment index could not be kept beside the workspace ({reason}); the next command builds it again"));
        }
        let index = Arc::new(current.index);
        *kept = Some(Indexed {
            index: index.clone(),
            generation,
        });
        // The customer data kept for previews may be stale too.
        *self.preview_data.lock().await = None;
        Ok(index)
    }

    /// Stops what the session serves and closes the workspace (its WAL copied into the file).
    pub async fn close(self) -> Result<()> {
        let stopped = self.stop_serving().await;
        if let Some(player) = self.player.get() {
            player.clear();
        }
        self.workspace.close().await;
        stopped.map(drop)
    }
}
