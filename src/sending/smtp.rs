//! The user's mail server: its address, security and login, one connection to it (lettre's SMTP
//! client), and one message's transaction with a verdict that says exactly how far it got.
//!
//! The commands are sent one by one rather than with lettre's `send`, because the verdict
//! depends on where a failure happens: before the final "." nothing was delivered (safe to try
//! again), after it the server may hold the message while its reply was lost (RFC 1047), so the
//! message's fate is unknown and it is not resent on its own.

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use std::pin::Pin;
use std::task::{Context, Poll};

use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::Address;

/// How a connection is secured.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain text (a server on this computer or a trusted network).
    None,
    /// Upgraded with STARTTLS; refused if the server does not offer it.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl Security {
    pub fn parse(text: &str) -> Option<Security> {
        match text {
            "none" => Some(Security::None),
            "starttls" => Some(Security::Starttls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpError {
    #[error("'{0}' is not an SMTP server address: write smtp://HOST:PORT (or smtp://USER@HOST:PORT)")]
    Address(String),
    #[error("the SMTP address may not hold a password (it would be kept in shell histories and logs): give it in the environment variable TESSERA_SMTP_PASSWORD or when asked")]
    PasswordInAddress,
    #[error("cannot connect to the mail server {server}: {message}")]
    Connect { server: String, message: String },
    #[error("the mail server {server} refused the login for '{user}': {message}")]
    Login {
        server: String,
        user: String,
        message: String,
    },
}

crate::coded!(SmtpError {
    SmtpError::Address(_) | SmtpError::PasswordInAddress => InvalidInput,
    SmtpError::Connect { .. } | SmtpError::Login { .. } => SmtpUnavailable,
});

/// The server messages go through, as the user named it.
#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub login: Option<Login>,
}

/// A user and password; the password lives in memory only (never in the workspace or a log).
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl SmtpServer {
    /// `smtp://HOST:PORT` or `smtp://USER@HOST:PORT` (`smtps://` for TLS from the start; the
    /// port defaults to 25, or 465 for smtps). Without `security`, a server on this computer
    /// is spoken to in plain text, port 465 with TLS, any other with STARTTLS.
    pub fn parse(url: &str, security: Option<Security>) -> Result<SmtpServer, SmtpError> {
        let bad = || SmtpError::Address(url.to_string());
        let (scheme, rest) = url.trim().split_once("://").ok_or_else(bad)?;
        let implicit_tls = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(bad()),
        };
        let rest = rest.trim_end_matches('/');
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((user, _)) if user.contains(':') => return Err(SmtpError::PasswordInAddress),
            Some((user, hp)) => (Some(percent_decode(user)), hp),
            None => (None, rest),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (host_port, if implicit_tls { 465 } else { 25 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '?', '#', ' ']) || port == 0 {
            return Err(bad());
        }
        let security = security.unwrap_or(if implicit_tls || port == 465 {
            Security::Tls
        } else if is_loopback(host) {
            Security::None
        } else {
            Security::Starttls
        });
        Ok(SmtpServer {
            host: host.to_string(),
            port,
            security,
            login: user.map(|user| Login {
                user,
                password: String::new(),
            }),
        })
    }

    /// The server as shown to the user and in logs: no password.
    pub fn describe(&self) -> String {
        let user = self
            .login
            .as_ref()
            .map(|l| format!("{}@", l.user))
            .unwrap_or_default();
        format!("smtp://{user}{}:{}", self.host, self.port)
    }

    /// Connects, secures and logs in.
    pub async fn connect(&self, hello: &ClientId) -> Result<Connection, SmtpError> {
        let failed = |message: String| SmtpError::Connect {
            server: self.describe(),
            message,
        };
        let tls = || {
            TlsParameters::new(self.host.clone()).map_err(|e| failed(e.to_string()))
        };
        // The socket is opened here to turn Nagle's algorithm off: a message's last bytes and
        // the final "." otherwise wait for the server's delayed acknowledgement (40 ms each).
        let tcp = tokio::time::timeout(
            CONNECT_TIME,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| failed("it did not answer in time".into()))?
        .map_err(|e| failed(e.to_string()))?;
        tcp.set_nodelay(true).map_err(|e| failed(e.to_string()))?;
        let stream: Box<dyn AsyncTokioStream> = match self.security {
            Security::Tls => {
                let connector = tokio_native_tls::TlsConnector::from(
                    native_tls::TlsConnector::new().map_err(|e| failed(e.to_string()))?,
                );
                let peer = tcp.peer_addr().map_err(|e| failed(e.to_string()))?;
                let tls = tokio::time::timeout(CONNECT_TIME, connector.connect(&self.host, tcp))
                    .await
                    .map_err(|_| failed("the TLS handshake did not finish in time".into()))?
                    .map_err(|e| failed(format!("TLS: {e}")))?;
                Box::new(TlsStream { tls, peer })
            }
            _ => Box::new(tcp),
        };
        let mut conn = tokio::time::timeout(
            CONNECT_TIME,
            AsyncSmtpConnection::connect_with_transport(stream, hello),
        )
        .await
        .map_err(|_| failed("it did not greet in time".into()))?
        .map_err(|e| failed(e.to_string()))?;
        if self.security == Security::Starttls {
            if !conn.can_starttls() {
                return Err(failed(
                    "it does not offer STARTTLS (choose --tls tls, or none for a server you trust)"
                        .into(),
                ));
            }
            conn.starttls(tls()?, hello)
                .await
                .map_err(|e| failed(e.to_string()))?;
        }
        if let Some(login) = &self.login {
            let credentials = Credentials::new(login.user.clone(), login.password.clone());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(|e| SmtpError::Login {
                    server: self.describe(),
                    user: login.user.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(Connection {
            conn,
            broken: false,
        })
    }
}

/// An implicit-TLS connection as lettre takes an existing stream.
#[derive(Debug)]
struct TlsStream {
    tls: tokio_native_tls::TlsStream<tokio::net::TcpStream>,
    peer: std::net::SocketAddr,
}

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        Ok(self.peer)
    }
}

impl tokio::io::AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for TlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

const CONNECT_TIME: Duration = Duration::from_secs(30);
/// How long a command's reply may take (RFC 5321 §4.5.3.2 allows minutes for some).
const COMMAND_TIME: Duration = Duration::from_secs(120);
/// How long the reply to the final "." may take (RFC 5321: 10 minutes).
const DATA_END_TIME: Duration = Duration::from_secs(600);

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_string())
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server took it (its reply).
    Sent(String),
    /// Refused for now (4xx): try again later.
    Deferred(String),
    /// Refused for good (5xx).
    Refused(String),
    /// The connection failed before the end of the message: nothing was delivered; try again
    /// on a new connection.
    Interrupted(String),
    /// The connection failed after the final "." was written: the server may have it.
    Unknown(String),
}

impl Verdict {
    /// Whether the connection can carry the next message.
    pub fn keeps_connection(&self) -> bool {
        matches!(
            self,
            Verdict::Sent(_) | Verdict::Deferred(_) | Verdict::Refused(_)
        )
    }
}

pub struct Connection {
    conn: AsyncSmtpConnection,
    broken: bool,
}

fn reply_text(response: &Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
        .trim()
        .to_string()
}

/// A refusal before the end of the message: deferred or refused by its code, else an
/// interrupted connection.
fn before_end(e: lettre::transport::smtp::Error) -> Verdict {
    let text = e.to_string();
    if e.is_transient() {
        Verdict::Deferred(text)
    } else if e.is_permanent() {
        Verdict::Refused(text)
    } else {
        Verdict::Interrupted(text)
    }
}

impl Connection {
    /// One message's transaction: MAIL, RCPT, DATA, the message and the final ".".
    pub async fn send(&mut self, from: &Address, to: &Address, message: &[u8]) -> Verdict {
        let step = |r: Result<Result<Response, lettre::transport::smtp::Error>, _>| match r {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(before_end(e)),
            Err(_) => Err(Verdict::Interrupted(
                "the server did not answer in time".into(),
            )),
        };
        let commands = async {
            step(
                tokio::time::timeout(
                    COMMAND_TIME,
                    self.conn.command(Mail::new(Some(from.clone()), vec![])),
                )
                .await,
            )?;
            step(
                tokio::time::timeout(
                    COMMAND_TIME,
                    self.conn.command(Rcpt::new(to.clone(), vec![])),
                )
                .await,
            )?;
            step(tokio::time::timeout(COMMAND_TIME, self.conn.command(Data)).await)
        };
        if let Err(verdict) = commands.await {
            // A refused command leaves the transaction open: reset it for the next message.
            if !verdict.keeps_connection() || self.conn.command(Rset).await.is_err() {
                self.broken = true;
            }
            return verdict;
        }
        let verdict = match tokio::time::timeout(DATA_END_TIME, self.conn.message(message)).await {
            Ok(Ok(response)) => Verdict::Sent(reply_text(&response)),
            // The server answered the "." with a refusal: it did not take the message.
            Ok(Err(e)) if e.is_transient() => Verdict::Deferred(e.to_string()),
            Ok(Err(e)) if e.is_permanent() => Verdict::Refused(e.to_string()),
            Ok(Err(e)) => Verdict::Unknown(format!(
                "the connection failed at the end of the message, before the server's reply ({e})"
            )),
            Err(_) => Verdict::Unknown(
                "the server did not reply to the end of the message in time".into(),
            ),
        };
        self.broken |= !verdict.keeps_connection();
        verdict
    }

    /// Whether the connection was found broken (it is then not used again).
    pub fn is_broken(&self) -> bool {
        self.broken || self.conn.has_broken()
    }

    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.conn.quit()).await;
    }
}
