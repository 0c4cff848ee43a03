//! Templates of every kind: listing, sources, saving (checked), adding from files, and the
//! email editor's preview, merge fields and missing-field report.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::error::{Error, Result};
use super::Session;
use crate::customers::reach::Reach;
use crate::error::ErrorKind;
use crate::microsites::files::SiteFiles;
use crate::render::format::{eligibility, FormatKind};
use crate::render::images::with_local_images;
use crate::render::links::add_preview_unsubscribe_links;
use crate::render::missing_fields;
use crate::render::preview::{preview_data, preview_email_for};
use crate::storyboards::DOCUMENT;
use crate::templates::compile_email;
use crate::templates::store::{
    install_starter_templates, list_templates, load_template, load_template_source,
    save_email_template, save_site_template, save_storyboard_template,
};

pub use crate::microsites::{SiteError, SiteTemplate};
pub use crate::render::preview::EmailPreview;
pub use crate::render::MissingField;
pub use crate::templates::store::{TemplateInfo, TemplateKind};
pub use crate::templates::{EmailTemplate, RenderedEmail, TemplateError};

/// Which merge fields render empty, for how many of an audience's customers.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct MissingReport {
    /// Customers of the audience the template's format reaches.
    pub customers: u32,
    /// Merge tags without a fallback that render empty for some of them.
    pub missing: Vec<MissingField>,
}

/// A field a template can merge, with one customer's value.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct MergeField {
    /// As written in a template: `first_name`, `recommendations`.
    pub name: String,
    /// This customer's value, shortened, to recognise the field by.
    pub example: String,
}

/// What a saved template was, and what its check warns of.
#[derive(Debug)]
pub struct Added {
    pub kind: TemplateKind,
    pub warnings: Vec<String>,
}

/// The email template in the file at `path`, checked: compiled (its warnings and merge
/// fields), or where it is wrong.
pub fn check_email_file(
    path: &Path,
) -> Result<std::result::Result<EmailTemplate, crate::templates::TemplateError>> {
    Ok(compile_email(&crate::store::read_user_text(path)?))
}

/// The microsite template in `folder`, checked: its pages and warnings, or where it is wrong.
pub fn check_site_folder(folder: &Path) -> std::result::Result<SiteTemplate, SiteError> {
    SiteTemplate::load(folder)
}

/// What a template file or folder the user names is: a storyboard's folder (or its
/// `storyboard.json`), a site's folder, else an email's MJML file.
fn kind_of(path: &Path) -> (TemplateKind, PathBuf) {
    if path.is_file() && path.file_name().is_some_and(|n| n == DOCUMENT) {
        let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        return (TemplateKind::Storyboard, folder);
    }
    match path.is_dir() {
        true if path.join(DOCUMENT).is_file() => (TemplateKind::Storyboard, path.to_path_buf()),
        true => (TemplateKind::Microsite, path.to_path_buf()),
        false => (TemplateKind::Email, path.to_path_buf()),
    }
}

impl Session {
    pub async fn templates(&self) -> Result<Vec<TemplateInfo>> {
        Ok(list_templates(&self.workspace.pool).await?)
    }

    /// A template's stored source (an email's MJML; a site's or storyboard's bundle).
    pub async fn template_source(&self, name: &str) -> Result<String> {
        Ok(load_template_source(&self.workspace.pool, name).await?)
    }

    /// A template of `kind` by its name in the workspace, or the file or folder `reference`
    /// names (an `.mjml` file, a site's or storyboard's folder): its name and source.
    pub async fn template_from(
        &self,
        reference: &str,
        kind: TemplateKind,
    ) -> Result<(String, String)> {
        let path = Path::new(reference);
        let (found, folder) = kind_of(path);
        let is_file = match kind {
            TemplateKind::Email => path.extension().is_some_and(|e| e == "mjml") && path.is_file(),
            _ => found == kind && folder.is_dir(),
        };
        if !is_file {
            let source = load_template(&self.workspace.pool, reference, kind).await?;
            return Ok((reference.to_string(), source));
        }
        let stem = match kind {
            TemplateKind::Email => path.file_stem().map(|s| s.to_string_lossy().into_owned()),
            _ => std::fs::canonicalize(&folder)
                .ok()
                .and_then(|f| f.file_name().map(|n| n.to_string_lossy().into_owned())),
        }
        .unwrap_or_else(|| "template".into());
        let source = match kind {
            TemplateKind::Email => crate::store::read_user_text(path)?,
            _ => SiteFiles::read_folder(&folder)?.to_bundle(),
        };
        Ok((stem, source))
    }

    /// Saves the email template `source` under `name` (new, or replacing one), checked.
    pub async fn template_save(&self, name: &str, source: &str) -> Result<()> {
        Ok(save_email_template(&self.workspace.pool, name, source).await?)
    }

    /// Saves the template in the file or folder at `path` under `name`, of the kind it is.
    pub async fn template_add(&self, name: &str, path: &Path) -> Result<Added> {
        let (kind, folder) = kind_of(path);
        let pool = &self.workspace.pool;
        let warnings = match kind {
            TemplateKind::Storyboard => {
                save_storyboard_template(pool, name, SiteFiles::read_folder(&folder)?)
                    .await?
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            }
            TemplateKind::Microsite => {
                save_site_template(pool, name, SiteFiles::read_folder(&folder)?).await?;
                Vec::new()
            }
            TemplateKind::Email => {
                let source = crate::store::read_user_text(path)?;
                let warnings = compile_email(&source)?.warnings;
                save_email_template(pool, name, &source).await?;
                warnings
            }
        };
        Ok(Added { kind, warnings })
    }

    /// Installs (or reinstalls) the starter templates; how many.
    pub async fn install_starters(&self) -> Result<usize> {
        Ok(install_starter_templates(&self.workspace.pool).await?)
    }

    /// The customer's merge data, kept between calls: typing re-renders without the database.
    pub(crate) async fn customer_data(&self, customer: i64) -> Result<Arc<Value>> {
        let mut kept = self.preview_data.lock().await;
        if let Some((_, data)) = kept.as_ref().filter(|(id, _)| *id == customer) {
            return Ok(data.clone());
        }
        let data =
            Arc::new(preview_data(&self.workspace.pool, customer, chrono::Utc::now()).await?);
        *kept = Some((customer, data.clone()));
        Ok(data)
    }

    /// The email `source` (as edited, not yet saved) for one customer, the workspace's kept
    /// images put in, and whether they would be sent it.
    pub async fn email_preview(&self, source: &str, customer: i64) -> Result<EmailPreview> {
        let template = compile_email(source)?;
        let data = self.customer_data(customer).await?;
        let reach = self.index().await?.reach(&[customer])[0];
        let mut preview = preview_email_for(&template, &data, reach)?;
        preview.email.html = with_local_images(&self.workspace.pool, &preview.email.html).await?;
        Ok(preview)
    }

    /// The fields a template can merge, with one customer's values.
    pub async fn merge_fields(&self, customer: i64) -> Result<Vec<MergeField>> {
        let data = self.customer_data(customer).await?;
        let Value::Object(fields) = data.as_ref() else {
            return Ok(Vec::new());
        };
        Ok(fields
            .iter()
            .map(|(name, value)| {
                let example = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                MergeField {
                    name: name.clone(),
                    example: example.chars().take(60).collect(),
                }
            })
            .collect())
    }

    /// Which merge fields of the email `source` would render empty, for how many of the
    /// customers `audience` selects whom email reaches.
    pub async fn email_missing_fields(
        &self,
        source: &str,
        audience: &crate::segments::Rule,
    ) -> Result<MissingReport> {
        let template = compile_email(source)?;
        let mut contexts = self.segment_customers(audience, None).await?;
        tokio::task::spawn_blocking(move || {
            add_preview_unsubscribe_links(&mut contexts);
            let receivers: Vec<_> = contexts
                .iter()
                .filter(|c| eligibility(FormatKind::Email, Reach::of(c)).is_ok())
                .collect();
            MissingReport {
                customers: receivers.len() as u32,
                missing: missing_fields(&template, &receivers),
            }
        })
        .await
        .map_err(Error::crashed)
    }

    /// One customer found by id, email, phone or external id.
    pub async fn find_customer(&self, reference: &str) -> Result<i64> {
        crate::customers::show::find_customer(&self.workspace.pool, reference)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no customer '{reference}'")))
    }

    /// The email template `reference` (a name or an `.mjml` file) for one customer.
    pub async fn email_for(&self, reference: &str, customer: &str) -> Result<RenderedEmail> {
        let (name, source) = self.template_from(reference, TemplateKind::Email).await?;
        let template = compile_email(&source)
            .map_err(|e| Error::new(ErrorKind::Template, format!("template '{name}': {e}")))?;
        let id = self.find_customer(customer).await?;
        let data = self.customer_data(id).await?;
        Ok(crate::render::preview::preview_email(&template, &data)?)
    }
}
