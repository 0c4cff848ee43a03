//! Customer-value models: BG/NBD and Gamma-Gamma fitted on the purchases.

use super::error::{Error, Result};
use super::Session;
use crate::error::ErrorKind;

pub use crate::scores::FitReport;

impl Session {
    /// Fits the models on purchases up to `until` (`YYYY-MM-DD`; default today) and scores
    /// every customer.
    pub async fn fit_models(&self, until: Option<&str>) -> Result<FitReport> {
        let until = match until {
            Some(d) => Some(crate::values::parse_date(d).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("'{d}' is not a date (YYYY-MM-DD)"),
                )
            })?),
            None => None,
        };
        Ok(crate::scores::fit_models(&self.workspace.pool, until).await?)
    }
}
