//! The desktop app's player preview: one customer's interactive player, held in memory, served
//! on loopback for the app's sandboxed preview frame. It is served over HTTP, not from a custom
//! scheme, because WebKitGTK's media player does not load video from custom schemes.
//!
//! Only the package shown last is served, under a random path that changes with each package
//! (another program on the computer cannot guess it); nothing is recorded (the page's events
//! are refused by its content policy), nothing is written to disk.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use serde_json::Value;

use super::ServeError;
use crate::microsites::files::{media_type, SiteFiles};
use crate::storyboards::preview::preview_player;
use crate::storyboards::StoryboardError;

/// The package shown: its files by name, under `/TOKEN/`.
#[derive(Default)]
struct Shown {
    token: String,
    files: HashMap<String, Bytes>,
}

struct Preview {
    shown: RwLock<Shown>,
    /// The page's content policy: scripts, styles, images and video from this server only, no
    /// requests of its own (the player's event reports), no forms.
    policy: HeaderValue,
}

/// A running preview server (stops when dropped with the runtime it was started on).
pub struct PlayerPreview {
    address: SocketAddr,
    preview: Arc<Preview>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for PlayerPreview {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// 128 random bits, in hex.
fn token() -> String {
    let mut bytes = [0u8; 16];
    // Should the system have no randomness to give, the clock still tells packages apart.
    if getrandom::fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        bytes = now.unwrap_or_default().as_nanos().to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PlayerPreview {
    /// Listens on `127.0.0.1` at a port the system picks.
    pub async fn start() -> Result<PlayerPreview, ServeError> {
        let wanted = SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(|source| ServeError::Listen {
                address: wanted,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| ServeError::Listen {
            address: wanted,
            source,
        })?;
        let origin = format!("http://{address}");
        let policy = HeaderValue::from_str(&format!(
            "default-src 'none'; script-src {origin}; style-src {origin}; img-src {origin} data:; \
             media-src {origin}; connect-src 'none'; form-action 'none'; base-uri 'none'"
        ))
        .expect("an address is a valid header");
        let preview = Arc::new(Preview {
            shown: RwLock::default(),
            policy,
        });
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(preview.clone());
        let task = tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(PlayerPreview {
            address,
            preview,
            task,
        })
    }

    /// Serves `files` (a player's folder: `index.html`, its script, clips…) in place of what was
    /// shown before; the URL of its page.
    pub fn show(&self, files: Vec<(String, Vec<u8>)>) -> String {
        let token = token();
        let mut shown = self
            .preview
            .shown
            .write()
            .unwrap_or_else(|e| e.into_inner());
        *shown = Shown {
            token: token.clone(),
            files: files
                .into_iter()
                .map(|(name, bytes)| (name, Bytes::from(bytes)))
                .collect(),
        };
        format!("http://{}/{token}/index.html", self.address)
    }

    /// Serves nothing any more (another workspace was opened: its customer's player must not
    /// stay reachable).
    pub fn clear(&self) {
        self.show(Vec::new());
    }

    /// Renders the customer's player of the storyboard in `files` (whose merge data is `data`)
    /// and shows it: the URL of its page.
    pub fn play(&self, files: &SiteFiles, data: &Value) -> Result<String, StoryboardError> {
        Ok(self.show(preview_player(files, data)?))
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

async fn answer(State(preview): State<Arc<Preview>>, request: Request) -> Response {
    let found = (request.method() == Method::GET || request.method() == Method::HEAD)
        .then(|| {
            let shown = preview.shown.read().unwrap_or_else(|e| e.into_inner());
            let path = request.uri().path().strip_prefix('/')?;
            let (token, file) = path.split_once('/')?;
            // An empty token is the state before anything is shown.
            (!shown.token.is_empty() && token == shown.token).then(|| {
                shown
                    .files
                    .get(file)
                    .map(|bytes| (file.to_string(), bytes.clone()))
            })?
        })
        .flatten();
    let mut response = match found {
        Some((file, bytes)) => {
            let mut response = Response::new(Body::from(bytes));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(media_type(&file)),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "Not found.\n").into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, preview.policy.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
