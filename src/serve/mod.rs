//! `tessera serve`: hosts a rendered campaign site (the `site/` folder of a render) and turns
//! what its visitors do into the events of the customer whose personal page it is: page visits,
//! calls to action (then forwarded), form submissions (checked against the form's
//! declaration; consent fields update consent), and what viewers do in video players (plays,
//! chapters, choices, hotspots, calls to action, completions). Whose page a slug is comes from the render's
//! manifest beside the folder; nothing else maps slugs to customers.
//!
//! Safety: loopback unless told otherwise; only real files inside the folder (plain names, no
//! dot files, no listings, no links followed), one 404 for every miss (an unknown slug looks
//! like any missing page); bodies bounded (413) and timed, requests per client rate-limited
//! (429), connections bounded with headers and idle time limited (see `connections`); posts
//! only as forms from the site's own pages (a cross-site post is refused); files streamed, with
//! ranges; personal URLs never leave in a Referer; the log names kinds of requests, never
//! paths, slugs or addresses. What is recorded goes into the workspace the run was rendered
//! from and no other.

mod connections;
mod files;
mod preview;
mod record;
mod site;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::SqlitePool;

use crate::microsites::files::media_type;
use crate::microsites::forms::{FormProblem, Submission};
use crate::microsites::render::SITE_FOLDER;
use crate::store::Workspace;
use crate::render::links::UNSUBSCRIBE_PATH;
use crate::templates::plan::escape_text;
pub use connections::connection_limit;
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
    /// The most connections open at once (see `connections`).
    pub max_connections: usize,
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
            max_connections: connection_limit(),
        }
    }
}

/// What a server has stored in the workspace since it started (events wait briefly to be
/// stored, longer when another program keeps the workspace busy).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ServeCounts {
    pub visits: u64,
    pub clicks: u64,
    pub submissions: u64,
    /// Plays, choices, chapters, clicks and completions in video players.
    pub video_events: u64,
    pub refused: u64,
    /// Visits, clicks and video events that could not be stored (more waiting than the server
    /// keeps, or the workspace unwritable until the server stopped).
    pub unrecorded: u64,
}

struct App {
    site: ServedSite,
    /// The workspace (unsubscribe tokens are looked up in it).
    pool: SqlitePool,
    recorder: Recorder,
    refused: AtomicU64,
    limiter: Option<Mutex<Limiter>>,
    max_body: usize,
    log: bool,
}

/// A running server.
pub struct Server {
    address: SocketAddr,
    app: Arc<App>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// How long a form's sender waits for their answers to be stored before being asked to try
/// again (the workspace is busy meanwhile).
const SUBMISSION_PATIENCE: Duration = Duration::from_secs(15);
/// Time a request body may take to arrive.
const BODY_TIME: Duration = Duration::from_secs(10);

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
    /// What visitors do is recorded onto the customers of the workspace the run was rendered
    /// from, and nowhere else.
    #[error("this render of campaign '{campaign}' (run {run}) {why}; serve it with the workspace it was rendered from, or render the campaign again in this one")]
    OtherWorkspace {
        campaign: String,
        run: i64,
        why: &'static str,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

crate::coded!(ServeError {
    ServeError::Site(_) => NoSite,
    ServeError::Listen { .. } => AddressInUse,
    ServeError::Stopped(_) => Internal,
    ServeError::OtherWorkspace { .. } => WrongWorkspace,
    ServeError::Sql(_) => Database,
});

impl Server {
    /// Reads the site's manifest, checks the render is `workspace`'s, binds the address and
    /// starts serving.
    pub async fn start(workspace: &Workspace, options: ServeOptions) -> Result<Server, ServeError> {
        let site = ServedSite::open(&options.site)?;
        Server::start_site(workspace, site, options).await
    }

    /// Serves the campaign rendered into `run_folder` where its personal URLs point when that
    /// is this computer (`http://127.0.0.1:PORT`), else on `127.0.0.1:8080`: what the desktop
    /// app's "serve" does, so the links in the campaign's emails open the served pages.
    pub async fn start_for_run(
        workspace: &Workspace,
        run_folder: &Path,
    ) -> Result<Server, ServeError> {
        let mut options = ServeOptions::new(run_folder.join(SITE_FOLDER));
        let site = ServedSite::open(&options.site)?;
        if let Some(address) = site.base_url.as_deref().and_then(loopback_address) {
            options.listen = address;
        }
        Server::start_site(workspace, site, options).await
    }

    async fn start_site(
        workspace: &Workspace,
        site: ServedSite,
        options: ServeOptions,
    ) -> Result<Server, ServeError> {
        check_belongs(&workspace.pool, &site).await?;
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
        let recorder = Recorder::start(workspace.clone(), site.campaign.clone(), site.run);
        let app = Arc::new(App {
            pool: workspace.pool.clone(),
            site,
            recorder,
            refused: AtomicU64::new(0),
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
        let router = axum::Router::new().fallback(handle).with_state(app.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(connections::serve(
            listener,
            router,
            options.max_connections.max(1),
            stopped,
        ));
        Ok(Server {
            address,
            app,
            stop,
            task,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn counts(&self) -> ServeCounts {
        let r = &self.app.recorder.recorded;
        ServeCounts {
            visits: r.visits.load(Ordering::Relaxed),
            clicks: r.clicks.load(Ordering::Relaxed),
            submissions: r.submissions.load(Ordering::Relaxed),
            video_events: r.video_events.load(Ordering::Relaxed),
            refused: self.app.refused.load(Ordering::Relaxed),
            unrecorded: r.unrecorded.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting, finishes the requests in flight and stores what they recorded (or,
    /// when the workspace stays unwritable, counts it unrecorded).
    pub async fn stop(mut self) -> Result<ServeCounts, ServeError> {
        let _ = self.stop.send(true);
        (&mut self.task)
            .await
            .map_err(|e| ServeError::Stopped(e.to_string()))?
            .map_err(|e| ServeError::Stopped(e.to_string()))?;
        self.app.recorder.stop().await;
        Ok(self.counts())
    }
}

/// Refuses a render made from another workspace than `pool`'s (before anything listens).
async fn check_belongs(pool: &SqlitePool, site: &ServedSite) -> Result<(), ServeError> {
    let refuse = |why| ServeError::OtherWorkspace {
        campaign: site.campaign.clone(),
        run: site.run,
        why,
    };
    let ours = crate::store::workspace_id(pool).await?;
    match site.workspace.as_deref() {
        Some(theirs) if theirs == ours => {}
        Some(_) => return Err(refuse("was made from another workspace")),
        None => return Err(refuse("does not say which workspace it was made from (it is older than this version of Tessera)")),
    }
    let logged: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM campaign_runs WHERE id = ? AND campaign = ?)",
    )
    .bind(site.run)
    .bind(&site.campaign)
    .fetch_one(pool)
    .await?;
    if !logged {
        return Err(refuse("is not in this workspace's log of runs"));
    }
    Ok(())
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
        app.refused.fetch_add(1, Ordering::Relaxed);
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
    if let Some(token) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(UNSUBSCRIBE_PATH))
        .and_then(|p| p.strip_prefix('/'))
    {
        return unsubscribe(app, token.trim_end_matches('/').to_string(), request).await;
    }
    match request.method().clone() {
        // A HEAD is a link checker or a mail client's preview, not a visit.
        Method::GET => get(app, &path, request.headers(), true),
        Method::HEAD => get(app, &path, request.headers(), false),
        Method::POST => post(app, &path, request).await,
        _ => (
            Kind::Refused,
            (StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD or POST only.\n").into_response(),
        ),
    }
}

/// A small page Tessera writes itself.
fn page_response(bytes: Vec<u8>, status: StatusCode) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type("page.html")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn not_found(app: &App) -> (Kind, Response) {
    let body = app
        .site
        .open_file("404.html")
        .and_then(|mut f| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f.file, &mut bytes).ok()?;
            Some(bytes)
        })
        .unwrap_or_default();
    (Kind::Missing, page_response(body, StatusCode::NOT_FOUND))
}

fn get(app: &App, path: &str, headers: &HeaderMap, visit: bool) -> (Kind, Response) {
    let Some(target) = app.site.resolve(path) else {
        return not_found(app);
    };
    match target {
        site::Target::Shared(file) => match app.site.open_file(&file) {
            // Hashed names never change content: cache them for good.
            Some(served) if file.starts_with("assets/") => (
                Kind::Asset,
                files::respond(
                    &file,
                    served,
                    headers,
                    "public, max-age=31536000, immutable",
                    visit,
                ),
            ),
            Some(served) => (
                Kind::Asset,
                files::respond(&file, served, headers, "no-cache", visit),
            ),
            None => not_found(app),
        },
        // Relative links need the slash: /SLUG → /SLUG/.
        site::Target::SlugFolder(slug) => (Kind::Page, with_slash(slug)),
        site::Target::Personal { visitor, file } => {
            let Some(served) = app.site.open_file(&file) else {
                // /SLUG/video → /SLUG/video/ (the player)
                if app.site.is_folder(&file) {
                    return (Kind::Page, with_slash(&file));
                }
                return not_found(app);
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
                // Recorded in the background: the page need not wait for the disk.
                app.recorder.record(visit);
            }
            (
                kind,
                files::respond(&file, served, headers, "private, no-cache", visit),
            )
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

/// Whether a post comes from the site's own pages as a form (or a player's beacon): browsers
/// say where a request comes from (`Sec-Fetch-Site`, `Origin`), and a page of another site
/// can post only as a form or plain text. A client that says nothing (not a browser) is not a
/// forgery.
fn from_own_page(app: &App, headers: &HeaderMap) -> bool {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    if let Some(origin) = text(header::ORIGIN) {
        let host = text(header::HOST).unwrap_or_default();
        let own = |scheme: &str| !host.is_empty() && origin == format!("{scheme}://{host}");
        let published = app.site.base_url.as_deref().is_some_and(|base| {
            base.trim_end_matches('/')
                .split('/')
                .take(3)
                .collect::<Vec<_>>()
                .join("/")
                == origin
        });
        if !(own("http") || own("https") || published) {
            return false;
        }
    }
    let form = text(header::CONTENT_TYPE)
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    form
}

/// A request's body, bounded in size and in time.
async fn body_of(app: &App, request: Request) -> Result<axum::body::Bytes, (Kind, Response)> {
    let read = axum::body::to_bytes(request.into_body(), app.max_body);
    match tokio::time::timeout(BODY_TIME, read).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err((
            Kind::Refused,
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form sent more than it may.\n",
            )
                .into_response(),
        )),
        Err(_) => Err((
            Kind::Refused,
            (
                StatusCode::REQUEST_TIMEOUT,
                "The form took too long to arrive.\n",
            )
                .into_response(),
        )),
    }
}

async fn post(app: &App, path: &str, request: Request) -> (Kind, Response) {
    if !from_own_page(app, request.headers()) {
        return (
            Kind::Refused,
            (
                StatusCode::FORBIDDEN,
                "Forms are accepted from this site's own pages only.\n",
            )
                .into_response(),
        );
    }
    if let Some(visitor) = app.site.event_target(path) {
        return video_event(app, visitor, request).await;
    }
    let Some((visitor, form_name)) = app.site.form_target(path) else {
        return not_found(app);
    };
    let Some(form) = app.site.form(visitor, &form_name) else {
        return not_found(app);
    };
    let bytes = match body_of(app, request).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
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
            match app
                .recorder
                .record_durably(visit, SUBMISSION_PATIENCE)
                .await
            {
                Ok(()) => (Kind::Form, thanks(lang, visitor.slug())),
                Err(_) => {
                    let mut response = (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Your answers could not be saved; please try again.\n",
                    )
                        .into_response();
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                    (Kind::Refused, response)
                }
            }
        }
        Err(problem) => (Kind::Refused, refused_form(lang, &problem, visitor.slug())),
    }
}

/// `POST /SLUG/video/event` (`kind=choice&scene=intro&target=tea`, as the player sends it):
/// recorded when the kind is one the player reports and the scenes are the player's.
async fn video_event(app: &App, visitor: &site::Visitor, request: Request) -> (Kind, Response) {
    let refused = |status: StatusCode| (Kind::Refused, status.into_response());
    let bytes = match body_of(app, request).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
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
    app.recorder
        .record(Visit::video(visitor, kind, scene, target));
    (Kind::Video, StatusCode::NO_CONTENT.into_response())
}

/// `/unsubscribe/TOKEN`: a GET shows the customer a button; a POST unsubscribes them, whether
/// from that button or from a mail client's one-click (RFC 8058: `List-Unsubscribe=One-Click`
/// as the body, from anywhere, without cookies). Acknowledged once the opt-out is committed.
async fn unsubscribe(app: &App, token: String, request: Request) -> (Kind, Response) {
    let lang = if request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l.trim_start().to_ascii_lowercase().starts_with("zh"))
    {
        "zh"
    } else {
        "en"
    };
    let zh = lang == "zh";
    let customer = match crate::sending::unsubscribe::customer_of(&app.pool, &token).await {
        Ok(Some(customer)) => customer,
        // A token of another workspace (or none at all) is found in none but its own.
        Ok(None) => {
            let (title, text) = if zh {
                ("链接无效", "此退订链接不属于本站点。")
            } else {
                ("Unknown link", "This unsubscribe link is not one of this site's.")
            };
            return (Kind::Missing, small_page(StatusCode::NOT_FOUND, lang, title, text, "/"));
        }
        Err(_) => return (Kind::Refused, busy()),
    };
    let method = request.method().clone();
    if method == Method::GET || method == Method::HEAD {
        let (title, text, button) = if zh {
            ("退订邮件", "您将不再收到我们的营销邮件。", "退订")
        } else {
            (
                "Unsubscribe",
                "You will no longer receive our marketing emails.",
                "Unsubscribe",
            )
        };
        let body = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{title}</title>\n</head>\n\
             <body>\n<main>\n<h1>{title}</h1>\n<p>{text}</p>\n\
             <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">{button}</button></form>\n</main>\n</body>\n</html>\n"
        );
        return (Kind::Page, page_response(body.into_bytes(), StatusCode::OK));
    }
    if method != Method::POST {
        return (
            Kind::Refused,
            (StatusCode::METHOD_NOT_ALLOWED, "GET or POST only.\n").into_response(),
        );
    }
    let bytes = match body_of(app, request).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let one_click = form_urlencoded::parse(&bytes)
        .any(|(k, v)| k.eq_ignore_ascii_case("List-Unsubscribe") && v == "One-Click");
    if !one_click {
        return (
            Kind::Refused,
            (
                StatusCode::BAD_REQUEST,
                "Expected List-Unsubscribe=One-Click.\n",
            )
                .into_response(),
        );
    }
    let visit = Visit::unsubscribe(customer, &app.site.campaign, "one_click");
    match app
        .recorder
        .record_durably(visit, SUBMISSION_PATIENCE)
        .await
    {
        Ok(()) => {
            let (title, text) = if zh {
                ("已退订", "您已退订，将不再收到我们的营销邮件。")
            } else {
                (
                    "You are unsubscribed",
                    "You will no longer receive our marketing emails.",
                )
            };
            (Kind::Form, small_page(StatusCode::OK, lang, title, text, "/"))
        }
        Err(_) => (Kind::Refused, busy()),
    }
}

/// The answer when the workspace cannot take a write now.
fn busy() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        "Not saved; please try again.\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

fn small_page(status: StatusCode, lang: &str, title: &str, text: &str, back: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{title}</title>\n</head>\n\
         <body>\n<main>\n<h1>{title}</h1>\n<p>{text}</p>\n<p><a href=\"{back}\">{}</a></p>\n</main>\n</body>\n</html>\n",
        if lang == "zh" { "返回" } else { "Back" }
    );
    page_response(body.into_bytes(), status)
}

fn thanks(lang: &str, slug: &str) -> Response {
    let (title, text) = if lang == "zh" {
        ("谢谢！", "您的选择已保存。")
    } else {
        ("Thank you!", "Your answers are saved.")
    };
    small_page(StatusCode::OK, lang, title, text, &format!("/{slug}/"))
}

fn refused_form(lang: &str, problem: &FormProblem, slug: &str) -> Response {
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
        &escape_text(&problem.words(lang)),
        &format!("/{slug}/"),
    )
}
