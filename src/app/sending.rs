//! Sending: a rendered run through the user's mail server, its messages' states, a test message,
//! the suppression list and bounce reports.

use std::path::Path;

use super::error::Result;
use super::Session;
use crate::sending::dkim::DkimSigner;
use crate::sending::ledger::list_sends;
use crate::sending::suppression::{list_suppressions, suppress, unsuppress, AddressKey};
use crate::sending::{send_campaign, send_test, SendOptions};

pub use crate::sending::bounces::{BounceReport, Skipped};
pub use crate::sending::ledger::{Retry, SendRecord, SendState};
pub use crate::sending::smtp::{Login, Security, SmtpServer};
pub use crate::sending::suppression::{Suppression, SuppressionReason};
pub use crate::sending::{SendControl, SendProgress, SendReport, TestSend};

/// The user's DKIM key: messages are signed with it as they go out.
#[derive(Debug, Clone)]
pub struct DkimKey {
    pub domain: String,
    pub selector: String,
    /// An RSA private key in PEM.
    pub key_file: std::path::PathBuf,
}

impl DkimKey {
    fn signer(key: Option<&DkimKey>) -> Result<Option<DkimSigner>> {
        Ok(match key {
            Some(k) => Some(DkimSigner::load(&k.domain, &k.selector, &k.key_file)?),
            None => None,
        })
    }
}

/// A send as the user asked for it.
pub struct SendRequest<'a> {
    pub dkim: Option<DkimKey>,
    pub server: SmtpServer,
    pub run: Option<i64>,
    /// Messages per second at most (0: no limit).
    pub rate: f64,
    pub per_day: Option<u64>,
    pub connections: usize,
    pub retry: Retry,
    pub control: SendControl,
    pub progress: &'a (dyn Fn(SendProgress) + Sync),
}

impl Session {
    /// Sends the campaign's latest finished run (or the one named): each message not sent yet,
    /// to customers who may still get email.
    pub async fn campaign_send(&self, name: &str, request: SendRequest<'_>) -> Result<SendReport> {
        if !(request.rate.is_finite() && request.rate >= 0.0) {
            return Err(super::Error::new(
                crate::error::ErrorKind::InvalidInput,
                "the rate is messages per second: 0 (no limit) or more",
            ));
        }
        let dkim = DkimKey::signer(request.dkim.as_ref())?.map(std::sync::Arc::new);
        Ok(send_campaign(
            &self.workspace.pool,
            name,
            SendOptions {
                server: request.server,
                run: request.run,
                rate: request.rate,
                per_day: request.per_day,
                connections: request.connections.clamp(1, 64),
                retry: request.retry,
                control: request.control,
                progress: request.progress,
                retry_delay: 2,
                dkim,
            },
        )
        .await?)
    }

    /// Each customer's message of the campaign, and its state.
    pub async fn campaign_sends(&self, name: &str) -> Result<Vec<SendRecord>> {
        self.campaign(name).await?;
        Ok(list_sends(&self.workspace.pool, name.trim()).await?)
    }

    /// Sends customer `customer`'s email of the campaign to `to` (the user's own address).
    pub async fn campaign_test_send(
        &self,
        name: &str,
        customer: i64,
        to: &str,
        server: &SmtpServer,
        dkim: Option<&DkimKey>,
    ) -> Result<TestSend> {
        let campaign = self.campaign(name).await?;
        let signer = DkimKey::signer(dkim)?;
        Ok(send_test(
            &self.workspace.pool,
            &campaign,
            customer,
            to,
            server,
            signer.as_ref(),
        )
        .await?)
    }

    /// Connects to the server and logs in, to tell the user their settings work.
    pub async fn smtp_check(&self, server: &SmtpServer) -> Result<()> {
        let hello = lettre::transport::smtp::extension::ClientId::Domain("localhost".into());
        server.connect(&hello).await?.quit().await;
        Ok(())
    }

    pub async fn suppressions(&self) -> Result<Vec<Suppression>> {
        Ok(list_suppressions(&self.workspace.pool).await?)
    }

    /// Suppresses an address by hand; whether it was not suppressed yet.
    pub async fn suppress(&self, address: &str) -> Result<bool> {
        let pool = &self.workspace.pool;
        let key = AddressKey::load(pool).await?;
        let mut conn = pool.acquire().await?;
        match suppress(
            &mut conn,
            &key,
            address,
            SuppressionReason::Manual,
            "manual",
        )
        .await?
        {
            Some(new) => Ok(new),
            None => Err(super::Error::new(
                crate::error::ErrorKind::InvalidAddress,
                format!("'{address}' is not an email address"),
            )),
        }
    }

    /// Lifts an address's suppression; whether it was suppressed.
    pub async fn unsuppress(&self, address: &str) -> Result<bool> {
        Ok(unsuppress(&self.workspace.pool, address).await?)
    }

    /// Reads bounce and complaint reports (a file, an mbox, a folder, a provider's CSV).
    pub async fn bounces_import(&self, path: &Path) -> Result<BounceReport> {
        Ok(crate::sending::bounces::import_bounces(&self.workspace.pool, path).await?)
    }
}
