use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tessera_engine::campaigns::{
    plan_campaign, render_campaign, Campaign, RunOptions, RunSummary, Selector,
};
use tessera_engine::customers::{import_customers, import_events, ImportOptions, ImportSummary};
use tessera_engine::store::{Access, Workspace};

/// A session on a new workspace (`dir/shop.sqlite`) holding the customers of `csv`.
pub async fn shop_session(dir: &Path, csv: &str) -> tessera_engine::app::Session {
    use tessera_engine::app::{ImportKind, Session};
    let session = Session::create(&dir.join("shop.sqlite")).await.unwrap();
    let path = dir.join("customers.csv");
    std::fs::write(&path, csv).unwrap();
    import_as(&session, &path, ImportKind::Customers)
        .await
        .unwrap();
    session
}

/// A render of `campaign` into `out`, as the user asks for one (no replacing, no strictness).
pub fn render_request(
    campaign: tessera_engine::app::Campaign,
    out: &Path,
) -> tessera_engine::app::RenderRequest<'static> {
    tessera_engine::app::RenderRequest {
        campaign,
        out: out.to_path_buf(),
        strict: false,
        replace: false,
        sources: Default::default(),
        progress: &|_| {},
        cancel: Default::default(),
    }
}

/// Imports `path` as `kind`, read as the wizard first detects it.
pub async fn import_as(
    session: &tessera_engine::app::Session,
    path: &Path,
    kind: tessera_engine::app::ImportKind,
) -> Result<ImportSummary, tessera_engine::app::Error> {
    let settings = tessera_engine::app::ImportSettings::default();
    session.import(path, kind, &settings, None, &|_| {}).await
}

pub struct TestWorkspace {
    pub dir: tempfile::TempDir,
    pub ws: Workspace,
}

impl TestWorkspace {
    pub async fn new() -> TestWorkspace {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(&dir.path().join("workspace.sqlite"), Access::Create)
            .await
            .unwrap();
        TestWorkspace { dir, ws }
    }

    pub fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    pub async fn customers(&self, path: &Path) -> ImportSummary {
        import_customers(&self.ws, path, &ImportOptions::default(), &|_| {})
            .await
            .unwrap()
    }

    pub async fn events(&self, path: &Path) -> ImportSummary {
        import_events(&self.ws, path, &ImportOptions::default(), &|_| {})
            .await
            .unwrap()
    }

    /// Saves a template under `name`.
    pub async fn template(&self, name: &str, source: &str) {
        tessera_engine::templates::store::save_email_template(&self.ws.pool, name, source)
            .await
            .unwrap();
    }

    /// Plans and renders a campaign document into `out`.
    pub async fn render(
        &self,
        campaign: &str,
        out: &Path,
    ) -> Result<RunSummary, tessera_engine::campaigns::CampaignError> {
        let campaign = Campaign::parse(campaign).unwrap();
        let now = chrono::Utc::now();
        let plan = plan_campaign(&self.ws.pool, Selector::Sql, &campaign, now).await?;
        render_campaign(
            &self.ws.pool,
            plan,
            RunOptions::unattended(out.to_path_buf(), now),
        )
        .await
    }

    pub async fn count(&self, table: &str) -> i64 {
        let sql = match table {
            "customers" => "SELECT COUNT(*) FROM customers",
            "events" => "SELECT COUNT(*) FROM events",
            "customer_merges" => "SELECT COUNT(*) FROM customer_merges",
            "deliveries" => "SELECT COUNT(*) FROM deliveries",
            other => panic!("no count for {other}"),
        };
        sqlx::query_scalar(sql)
            .fetch_one(&self.ws.pool)
            .await
            .unwrap()
    }
}

pub fn lines(summary: &ImportSummary) -> Vec<usize> {
    summary.errors.iter().map(|e| e.line).collect()
}

/// Every file under `dir`, in any depth.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|e| {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// The `tessera` binary on a workspace file.
pub fn tessera(db: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    c.arg("--db").arg(db);
    c
}

/// A tiny deterministic generator (xorshift) for property tests: the same cases every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The headers of every rendered .eml, in order: no more (an injected `Bcc:`), no fewer.
pub const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "content-type",
];

/// The header names of a message, as a mail client reads them.
pub fn header_names(eml: &[u8]) -> Vec<String> {
    mail_parser::MessageParser::default()
        .parse(eml)
        .unwrap()
        .headers()
        .iter()
        .map(|h| h.name.as_str().to_ascii_lowercase())
        .collect()
}

/// One HTTP/1.1 request on a fresh connection: (status, head in lower case, body).
pub fn http_bytes(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return (0, String::new(), Vec::new());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // A server that refuses a body may close before it is all sent: the answer still comes.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match split {
        Some(at) => (&answer[..at], answer[at + 4..].to_vec()),
        None => (&answer[..], Vec::new()),
    };
    let head = String::from_utf8_lossy(head);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body)
}

/// `http_bytes` with the body as text.
pub fn http(address: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
    let (status, head, body) = http_bytes(address, method, path, body);
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

/// A small file system of its own, to fill (tmpfs, which needs root: `None` without).
pub struct SmallDisk {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounted with `size` (`2m`, `400k`).
    pub fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?
            .success();
        mounted.then(|| SmallDisk {
            path: dir.path().to_path_buf(),
            _dir: dir,
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .status();
    }
}
