//! Sending from the app: the mail server's settings (the password in the operating system's
//! keyring, never in the workspace or a file), a connection test, a test message, the send with
//! progress, pause, resume and stop, and each message's state.

use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::app::{
    DkimKey, Retry, Security, SendControl, SendProgress, SendRecord, SendReport, SendRequest,
    SmtpServer, TestSend,
};

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

/// The mail server as the app's settings name it.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// None: plain on this computer, TLS on port 465, STARTTLS elsewhere.
    pub security: Option<Security>,
    /// Empty: no login.
    pub user: String,
    /// Messages are signed with this DKIM key as they go out; empty fields: unsigned.
    pub dkim_domain: String,
    pub dkim_selector: String,
    pub dkim_key_file: String,
}

/// The keyring service the passwords are kept under, one per `user@host:port`.
const KEYRING_SERVICE: &str = "tessera-smtp";

impl SmtpSettings {
    fn dkim(&self) -> Option<DkimKey> {
        let domain = self.dkim_domain.trim();
        (!domain.is_empty()).then(|| DkimKey {
            domain: domain.to_string(),
            selector: self.dkim_selector.trim().to_string(),
            key_file: self.dkim_key_file.trim().into(),
        })
    }

    fn account(&self) -> String {
        format!("{}@{}:{}", self.user.trim(), self.host.trim(), self.port)
    }

    /// The server, with the password from the keyring when there is a login.
    fn server(&self) -> CommandResult<SmtpServer> {
        let user = self.user.trim();
        let url = if user.is_empty() {
            format!("smtp://{}:{}", self.host.trim(), self.port)
        } else {
            format!("smtp://{user}@{}:{}", self.host.trim(), self.port)
        };
        let mut server = SmtpServer::parse(&url, self.security)
            .map_err(|e| CommandError::from(tessera_engine::app::Error::from(e)))?;
        if let Some(login) = server.login.as_mut() {
            login.password = keyring::load(&self.account()).ok_or_else(|| {
                CommandError::new(
                    ErrorCode::SmtpUnavailable,
                    "no password is saved for this server: enter it and save the settings",
                )
            })?;
        }
        Ok(server)
    }
}

/// The operating system's keyring: the desktop's Secret Service where one runs, else the
/// kernel's key store (a session without a desktop keyring, as under a bare X server).
mod keyring {
    use keyring::{keyutils::KeyutilsCredential, secret_service::SsCredential, Entry};

    fn entries(account: &str) -> Vec<Entry> {
        let mut entries = Vec::new();
        if let Ok(c) = SsCredential::new_with_target(None, super::KEYRING_SERVICE, account) {
            entries.push(Entry::new_with_credential(Box::new(c)));
        }
        if let Ok(c) = KeyutilsCredential::new_with_target(None, super::KEYRING_SERVICE, account) {
            entries.push(Entry::new_with_credential(Box::new(c)));
        }
        entries
    }

    pub fn save(account: &str, password: &str) -> Result<(), String> {
        let mut last = String::from("no keyring is available");
        for entry in entries(account) {
            match entry.set_password(password) {
                Ok(()) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }

    pub fn load(account: &str) -> Option<String> {
        entries(account)
            .into_iter()
            .find_map(|e| e.get_password().ok())
    }
}

/// Keeps the server's password in the operating system's keyring.
#[tauri::command]
#[specta::specta]
pub async fn smtp_password_save(settings: SmtpSettings, password: String) -> CommandResult<()> {
    keyring::save(&settings.account(), &password).map_err(|e| {
        CommandError::new(
            ErrorCode::Io,
            format!("the password could not be kept in the system's keyring: {e}"),
        )
    })
}

/// Whether a password is kept for these settings.
#[tauri::command]
#[specta::specta]
pub async fn smtp_password_saved(settings: SmtpSettings) -> CommandResult<bool> {
    Ok(keyring::load(&settings.account()).is_some())
}

/// Connects and logs in, to tell the user the settings work.
#[tauri::command]
#[specta::specta]
pub async fn smtp_check(settings: SmtpSettings, state: State<'_, AppState>) -> CommandResult<()> {
    let server = settings.server()?;
    Ok(state.session().await?.smtp_check(&server).await?)
}

/// Sends `customer`'s email of the campaign to the user's own address `to`.
#[tauri::command]
#[specta::specta]
pub async fn campaign_test_send(
    name: String,
    customer: i32,
    to: String,
    settings: SmtpSettings,
    state: State<'_, AppState>,
) -> CommandResult<TestSend> {
    let server = settings.server()?;
    Ok(state
        .session()
        .await?
        .campaign_test_send(
            &name,
            customer.into(),
            &to,
            &server,
            settings.dkim().as_ref(),
        )
        .await?)
}

/// Sends the campaign's latest finished run; progress streams through `on_progress`, and
/// `campaign_send_control` pauses, resumes or stops it.
#[tauri::command]
#[specta::specta]
pub async fn campaign_send(
    name: String,
    settings: SmtpSettings,
    rate: f64,
    connections: u32,
    resend_unknown: bool,
    on_progress: Channel<SendProgress>,
    state: State<'_, AppState>,
) -> CommandResult<SendReport> {
    let server = settings.server()?;
    let control = SendControl::default();
    *state.send_control.lock().await = Some(control.clone());
    let progress = |p: SendProgress| {
        let _ = on_progress.send(p);
    };
    let report = state
        .session()
        .await?
        .campaign_send(
            &name,
            SendRequest {
                dkim: settings.dkim(),
                server,
                run: None,
                rate,
                per_day: None,
                connections: connections as usize,
                retry: Retry {
                    unknown: resend_unknown,
                    failed: false,
                },
                control,
                progress: &progress,
            },
        )
        .await;
    *state.send_control.lock().await = None;
    Ok(report?)
}

#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SendAction {
    Pause,
    Resume,
    Stop,
}

#[tauri::command]
#[specta::specta]
pub async fn campaign_send_control(
    action: SendAction,
    state: State<'_, AppState>,
) -> CommandResult<()> {
    if let Some(control) = state.send_control.lock().await.as_ref() {
        match action {
            SendAction::Pause => control.pause(),
            SendAction::Resume => control.resume(),
            SendAction::Stop => control.stop(),
        }
    }
    Ok(())
}

/// Each customer's message of the campaign and its state.
#[tauri::command]
#[specta::specta]
pub async fn campaign_sends(
    name: String,
    state: State<'_, AppState>,
) -> CommandResult<Vec<SendRecord>> {
    Ok(state.session().await?.campaign_sends(&name).await?)
}
