//! `tessera serve`: hosts a rendered campaign site (the `site/` folder of a render) and turns
//! what its visitors do into the events of the customer whose personal page it is: page visits,
//! calls to action (then forwarded), form submissions (checked against the form's
//! declaration; consent fields update consent), and what viewers do in video players (plays,
//! chapters, choices, hotspots, calls to action, completions). Whose page a slug is comes from the render's
//! manifest beside the folder; nothing else maps slugs to customers.
//!
//! Safety: loopback unless told otherwise; only files of the folder (plain names, no dot
//! files, no listings), one 404 for every miss (an unknown slug looks like any missing page);
//! bodies bounded (413), requests per client rate-limited (429); personal URLs never leave in a
//! Referer; the log names kinds of requests, never paths, slugs or addresses.

mod preview;
mod record;
mod site;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::SqlitePool;

use crate::microsites::files::media_type;
use crate::microsites::forms::Submission;
use crate::microsites::render::SITE_FOLDER;
use crate::templates::plan::escape_text;
pub use preview::PlayerPreview;
use record::{Recorder, Visit};
pub use site::{ServedSite, SiteError};

/// How a server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The rendered `site/` folder (its manifest is `../manifest.json`).
    pub site: PathBuf,
    pub listen: SocketAddr,
    /// Requests per second each client may make, on average, and in a burst; 0 for no limit.
    pub rate: u32,
    pub burst: u32,
    /// The largest form submission, in bytes.
    pub max_body: usize,
    /// Print one line per request (kind and status only).
    pub log: bool,
}

impl ServeOptions {
    pub fn new(site: PathBuf) -> ServeOptions {
        ServeOptions {
            site,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            rate: 20,
            burst: 60,
            max_body: 16 * 1024,
            log: false,
        }
    }
}

/// What a server has recorded since it started.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ServeCounts {
    pub visits: u64,
    pub clicks: u64,
    pub submissions: u64,
    /// Plays, choices, chapters, clicks and completions in video players.
    pub video_events: u64,
    pub refused: u64,
}

#[derive(Default)]
struct Counters {
    visits: AtomicU64,
    clicks: AtomicU64,
    submissions: AtomicU64,
    video_events: AtomicU64,
    refused: AtomicU64,
}

struct App {
    site: ServedSite,
    recorder: Recorder,
    counters: Counters,
    limiter: Option<Mutex<Limiter>>,
    max_body: usize,
    log: bool,
}

/// A running server.
pub struct Server {
    address: SocketAddr,
    app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Stopped(String),
}

crate::coded!(ServeError {
    ServeError::Site(_) => NoSite,
    ServeError::Listen { .. } => AddressInUse,
    ServeError::Stopped(_) => Internal,
});

impl Server {
    /// Reads the site's manifest, binds the address and starts serving.
    pub async fn start(pool: SqlitePool, options: ServeOptions) -> Result<Server, ServeError> {
        let site = ServedSite::open(&options.site)?;
        Server::start_site(pool, site, options).await
    }

    /// Serves the campaign rendered into `run_folder` where its personal URLs point when that
    /// is this computer (`http://127.0.0.1:PORT`), else on `127.0.0.1:8080`: what the desktop
    /// app's "serve" does, so the links in the campaign's emails open the served pages.
    pub async fn start_for_run(pool: SqlitePool, run_folder: &Path) -> Result<Server, ServeError> {
        let mut options = ServeOptions::new(run_folder.join(SITE_FOLDER));
        let site = ServedSite::open(&options.site)?;
        if let Some(address) = site.base_url.as_deref().and_then(loopback_address) {
            options.listen = address;
        }
        Server::start_site(pool, site, options).await
    }

    async fn start_site(
        pool: SqlitePool,
        site: ServedSite,
        options: ServeOptions,
    ) -> Result<Server, ServeError> {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| ServeError::Listen {
                address: options.listen,
                source,
            })?;
        let address = listener.local_addr().map_err(|source| ServeError::Listen {
            address: options.listen,
            source,
        })?;
        let recorder = Recorder::start(pool, site.campaign.clone(), site.run);
        let app = Arc::new(App {
            site,
            recorder,
            counters: Counters::default(),
            limiter: (options.rate > 0).then(|| {
                Mutex::new(Limiter {
                    rate: f64::from(options.rate),
                    burst: f64::from(options.burst.max(options.rate)),
                    clients: HashMap::new(),
                })
            }),
            max_body: options.max_body,
            log: options.log,
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(app.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Server {
            address,
            app,
            stop: Some(stop),
            task,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn counts(&self) -> ServeCounts {
        let c = &self.app.counters;
        ServeCounts {
            visits: c.visits.load(Ordering::Relaxed),
            clicks: c.clicks.load(Ordering::Relaxed),
            submissions: c.submissions.load(Ordering::Relaxed),
            video_events: c.video_events.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting, finishes the requests in flight and writes what they recorded.
    pub async fn stop(mut self) -> Result<ServeCounts, ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task)
            .await
            .map_err(|e| ServeError::Stopped(e.to_string()))?
            .map_err(|e| ServeError::Stopped(e.to_string()))?;
        self.app.recorder.flush().await;
        Ok(self.counts())
    }
}

/// The address of an `http://` URL on this computer (`127.0.0.1`, `[::1]`, `localhost`) with
/// its port: where a server must listen for that URL to reach it.
pub fn loopback_address(url: &str) -> Option<SocketAddr> {
    let authority = url.strip_prefix("http://")?.split(['/', '?', '#']).next()?;
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let ip: IpAddr = match host {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        host => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?,
    };
    ip.is_loopback().then_some(SocketAddr::new(ip, port))
}

/// A token bucket per client address.
struct Limiter {
    rate: f64,
    burst: f64,
    clients: HashMap<IpAddr, (f64, Instant)>,
}

impl Limiter {
    fn allow(&mut self, client: IpAddr) -> bool {
        let now = Instant::now();
        if self.clients.len() > 100_000 {
            // Forget clients whose bucket has refilled: a flood of addresses cannot grow this.
            let (rate, burst) = (self.rate, self.burst);
            self.clients.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = self.clients.entry(client).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Headers every answer carries.
fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; \
             font-src 'self'; media-src 'self'; script-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

/// What a request was, for the log and the counters.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Page,
    Click,
    Form,
    Video,
    Asset,
    Missing,
    Refused,
}

async fn handle(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let (kind, response) = answer(&app, client, request).await;
    if matches!(kind, Kind::Refused) {
        app.counters.refused.fetch_add(1, Ordering::Relaxed);
    }
    if app.log {
        eprintln!(
            "{method} {kind:?} {} {} µs",
            response.status().as_u16(),
            started.elapsed().as_micros()
        );
    }
    secured(response)
}

async fn answer(app: &App, client: SocketAddr, request: Request) -> (Kind, Response) {
    if let Some(limiter) = &app.limiter {
        let allowed = limiter
            .lock()
            .map(|mut l| l.allow(client.ip()))
            .unwrap_or(true);
        if !allowed {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests; try again in a moment.\n",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return (Kind::Refused, response);
        }
    }
    let path = request.uri().path().to_string();
    match request.method().clone() {
        // A HEAD is a link checker or a mail client's preview, not a visit.
        Method::GET => get(app, &path, true).await,
        Method::HEAD => get(app, &path, false).await,
        Method::POST => post(app, &path, request).await,
        _ => (
            Kind::Refused,
            (StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD or POST only.\n").into_response(),
        ),
    }
}

fn file_response(file: &str, bytes: Vec<u8>, cache: &'static str) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(file)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

async fn not_found(app: &App) -> (Kind, Response) {
    let body = app.site.read("404.html").unwrap_or_default();
    let mut response = file_response("404.html", body, "no-store");
    *response.status_mut() = StatusCode::NOT_FOUND;
    (Kind::Missing, response)
}

async fn get(app: &App, path: &str, visit: bool) -> (Kind, Response) {
    let Some(target) = app.site.resolve(path) else {
        return not_found(app).await;
    };
    match target {
        site::Target::Shared(file) => match app.site.read(&file) {
            // Hashed names never change content: cache them for good.
            Some(bytes) if file.starts_with("assets/") => (
                Kind::Asset,
                file_response(&file, bytes, "public, max-age=31536000, immutable"),
            ),
            Some(bytes) => (Kind::Asset, file_response(&file, bytes, "no-cache")),
            None => not_found(app).await,
        },
        // Relative links need the slash: /SLUG → /SLUG/.
        site::Target::SlugFolder(slug) => (Kind::Page, with_slash(slug)),
        site::Target::Personal { visitor, file } => {
            let Some(bytes) = app.site.read(&file) else {
                // /SLUG/video → /SLUG/video/ (the player)
                if app.site.is_folder(&file) {
                    return (Kind::Page, with_slash(&file));
                }
                return not_found(app).await;
            };
            let page = file.split_once('/').map_or("", |(_, rest)| rest);
            let (kind, record) = match page
                .strip_prefix("go/")
                .and_then(|f| f.strip_suffix(".html"))
            {
                Some(action) => (Kind::Click, Some(Visit::click(visitor, action))),
                None if page.ends_with(".html") => (Kind::Page, Some(Visit::page(visitor, page))),
                None => (Kind::Asset, None),
            };
            if let Some(visit) = record.filter(|_| visit) {
                match kind {
                    Kind::Click => &app.counters.clicks,
                    _ => &app.counters.visits,
                }
                .fetch_add(1, Ordering::Relaxed);
                // Visits are recorded in the background: the page need not wait for the disk.
                app.recorder.record(visit);
            }
            (kind, file_response(&file, bytes, "private, no-cache"))
        }
    }
}

fn with_slash(folder: &str) -> Response {
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/{folder}/")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

async fn post(app: &App, path: &str, request: Request) -> (Kind, Response) {
    if let Some(visitor) = app.site.event_target(path) {
        return video_event(app, visitor, request).await;
    }
    let Some((visitor, form_name)) = app.site.form_target(path) else {
        return not_found(app).await;
    };
    let Some(form) = app.site.form(visitor, &form_name) else {
        return not_found(app).await;
    };
    let bytes = match axum::body::to_bytes(request.into_body(), app.max_body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                Kind::Refused,
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form sent more than it may.\n",
                )
                    .into_response(),
            )
        }
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let lang = app.site.language(visitor);
    match form.check_submission(&pairs) {
        Ok(Submission::Bot) => (Kind::Refused, thanks(lang, visitor.slug())),
        Ok(Submission::Taken {
            properties,
            consent,
        }) => {
            let visit = Visit::submission(visitor, &form_name, properties, consent);
            // Acknowledged only once committed: a crash after this answer loses nothing.
            match app.recorder.record_durably(visit).await {
                Ok(()) => {
                    app.counters.submissions.fetch_add(1, Ordering::Relaxed);
                    (Kind::Form, thanks(lang, visitor.slug()))
                }
                Err(_) => (
                    Kind::Refused,
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Your answers could not be saved; please try again.\n",
                    )
                        .into_response(),
                ),
            }
        }
        Err(problem) => (Kind::Refused, refused_form(lang, &problem, visitor.slug())),
    }
}

/// `POST /SLUG/video/event` (`kind=choice&scene=intro&target=tea`, as the player sends it):
/// recorded when the kind is one the player reports and the scenes are the player's.
async fn video_event(app: &App, visitor: &site::Visitor, request: Request) -> (Kind, Response) {
    let refused = |status: StatusCode| (Kind::Refused, status.into_response());
    let Ok(bytes) = axum::body::to_bytes(request.into_body(), app.max_body).await else {
        return refused(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let fields: HashMap<String, String> = form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        fields
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let kind = field("kind").and_then(|k| record::VIDEO_EVENTS.iter().find(|(name, _)| *name == k));
    let scene = field("scene").filter(|s| app.site.has_scene(visitor, s));
    let target = field("target");
    let (Some((_, kind)), Some(scene)) = (kind, scene) else {
        return refused(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if target.is_some_and(|t| !app.site.has_scene(visitor, t)) {
        return refused(StatusCode::UNPROCESSABLE_ENTITY);
    }
    app.counters.video_events.fetch_add(1, Ordering::Relaxed);
    app.recorder
        .record(Visit::video(visitor, kind, scene, target));
    (Kind::Video, StatusCode::NO_CONTENT.into_response())
}

fn small_page(status: StatusCode, lang: &str, title: &str, text: &str, back: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{title}</title>\n</head>\n\
         <body>\n<main>\n<h1>{title}</h1>\n<p>{text}</p>\n<p><a href=\"{back}\">{}</a></p>\n</main>\n</body>\n</html>\n",
        if lang == "zh" { "返回" } else { "Back" }
    );
    let mut response = file_response("page.html", body.into_bytes(), "no-store");
    *response.status_mut() = status;
    response
}

fn thanks(lang: &str, slug: &str) -> Response {
    let (title, text) = if lang == "zh" {
        ("谢谢！", "您的选择已保存。")
    } else {
        ("Thank you!", "Your answers are saved.")
    };
    small_page(StatusCode::OK, lang, title, text, &format!("/{slug}/"))
}

fn refused_form(lang: &str, problem: &str, slug: &str) -> Response {
    let title = if lang == "zh" {
        "表单未能提交"
    } else {
        "The form was not sent"
    };
    // The problem names a field of the form, in the form's own words (no personal data).
    small_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        lang,
        title,
        &escape_text(problem),
        &format!("/{slug}/"),
    )
}
