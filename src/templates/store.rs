//! Templates in the workspace, and the starter templates the app ships.

use sqlx::{Row, SqlitePool};

use super::email::compile_email;
use super::TemplateError;
use crate::microsites::assets::Sizes;
use crate::microsites::files::SiteFiles;
use crate::microsites::{SiteError, SiteTemplate};
use crate::store::now_text;
use crate::storyboards::video::VideoTemplate;
use crate::storyboards::{compile_storyboard, Problem, StoryboardError};

/// Starter email templates (`templates/email/`), embedded so every install has them.
pub const STARTER_EMAILS: &[(&str, &str)] = &[
    (
        "welcome-en",
        include_str!("../../templates/email/welcome-en.mjml"),
    ),
    (
        "welcome-zh",
        include_str!("../../templates/email/welcome-zh.mjml"),
    ),
    (
        "winback-en",
        include_str!("../../templates/email/winback-en.mjml"),
    ),
    (
        "winback-zh",
        include_str!("../../templates/email/winback-zh.mjml"),
    ),
    (
        "recommendations-en",
        include_str!("../../templates/email/recommendations-en.mjml"),
    ),
    (
        "recommendations-zh",
        include_str!("../../templates/email/recommendations-zh.mjml"),
    ),
];

/// The files of a starter site folder, by their path in it.
macro_rules! starter_site {
    ($name:literal, [$($file:literal),* $(,)?]) => {
        &[$(($file, include_bytes!(concat!("../../templates/microsite/", $name, "/", $file)))),*]
    };
}

/// A starter storyboard's folder: its document (its pictures come from customer data).
macro_rules! starter_storyboard {
    ($name:literal) => {
        &[(
            "storyboard.json",
            include_bytes!(concat!(
                "../../templates/storyboard/",
                $name,
                "/storyboard.json"
            )),
        )]
    };
}

/// A starter site's files: (path in the folder, bytes).
pub type StarterFiles = &'static [(&'static str, &'static [u8])];

/// The offer site (a landing page with a call to action, and a preference form).
macro_rules! offer_site {
    ($name:literal) => {
        starter_site!(
            $name,
            [
                "site.json",
                "layout.html",
                "index.html",
                "preferences.html",
                "partials/footer.html",
                "assets/style.css",
                "assets/hero.png"
            ]
        )
    };
}

/// The loyalty club site (points and tier, picks, preferences; a menu between them).
macro_rules! loyalty_site {
    ($name:literal) => {
        starter_site!(
            $name,
            [
                "site.json",
                "layout.html",
                "index.html",
                "picks.html",
                "preferences.html",
                "partials/nav.html",
                "partials/footer.html",
                "assets/style.css",
                "assets/hero.png"
            ]
        )
    };
}

pub const STARTER_SITES: &[(&str, StarterFiles)] = &[
    ("offer-en", offer_site!("offer-en")),
    ("offer-zh", offer_site!("offer-zh")),
    ("loyalty-en", loyalty_site!("loyalty-en")),
    ("loyalty-zh", loyalty_site!("loyalty-zh")),
];

/// The starter storyboards: a year in review, and picks behind a branching choice.
pub const STARTER_STORYBOARDS: &[(&str, StarterFiles)] = &[
    (
        "year-in-review-en",
        starter_storyboard!("year-in-review-en"),
    ),
    (
        "year-in-review-zh",
        starter_storyboard!("year-in-review-zh"),
    ),
    ("picks-en", starter_storyboard!("picks-en")),
    ("picks-zh", starter_storyboard!("picks-zh")),
];

/// The files of a starter site or storyboard.
pub fn starter_site_files(files: &[(&str, &[u8])]) -> SiteFiles {
    SiteFiles::new(
        files
            .iter()
            .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
            .collect(),
    )
}

/// What a template is for: the format its source is written in.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateKind {
    /// MJML with Handlebars.
    Email,
    /// A personal page (next).
    Microsite,
    /// An interactive video storyboard (next).
    Storyboard,
}

impl TemplateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Email => "email",
            TemplateKind::Microsite => "microsite",
            TemplateKind::Storyboard => "storyboard",
        }
    }

    /// In a sentence: "an email template".
    pub fn described(self) -> &'static str {
        match self {
            TemplateKind::Email => "an email template",
            TemplateKind::Microsite => "a microsite template",
            TemplateKind::Storyboard => "a video storyboard",
        }
    }

    pub fn parse(text: &str) -> TemplateKind {
        match text {
            "microsite" => TemplateKind::Microsite,
            "storyboard" => TemplateKind::Storyboard,
            _ => TemplateKind::Email,
        }
    }
}

/// A template in the workspace's list.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize)]
pub struct TemplateInfo {
    pub name: String,
    pub kind: TemplateKind,
    pub updated_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateStoreError {
    #[error("template '{name}' is invalid: {error}")]
    Invalid { name: String, error: TemplateError },
    #[error("no template named '{0}'")]
    NotFound(String),
    #[error("'{name}' is {}, not {}", .is.described(), .wanted.described())]
    WrongKind {
        name: String,
        is: TemplateKind,
        wanted: TemplateKind,
    },
    #[error("site template '{name}' is invalid: {error}")]
    InvalidSite { name: String, error: SiteError },
    #[error("storyboard '{name}' is invalid: {error}")]
    InvalidStoryboard {
        name: String,
        error: StoryboardError,
    },
    #[error(transparent)]
    Name(#[from] crate::store::NameError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

impl crate::error::Coded for TemplateStoreError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            TemplateStoreError::Invalid { .. } => ErrorKind::Template,
            TemplateStoreError::NotFound(_) => ErrorKind::NotFound,
            TemplateStoreError::WrongKind { .. } => ErrorKind::InvalidInput,
            TemplateStoreError::InvalidSite { error, .. } => error.kind(),
            TemplateStoreError::InvalidStoryboard { error, .. } => error.kind(),
            TemplateStoreError::Name(_) => ErrorKind::InvalidInput,
            TemplateStoreError::Sql(_) => ErrorKind::Database,
        }
    }

    fn place(&self) -> Option<(usize, usize)> {
        match self {
            TemplateStoreError::Invalid { error, .. } => Some((error.line, error.column)),
            TemplateStoreError::InvalidSite { error, .. } => error.place(),
            TemplateStoreError::InvalidStoryboard { error, .. } => error.place(),
            _ => None,
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        match self {
            TemplateStoreError::Name(e) => e.problem(),
            TemplateStoreError::Invalid { error, .. } => error.problem(),
            TemplateStoreError::InvalidSite { error, .. } => error.problem(),
            TemplateStoreError::InvalidStoryboard { error, .. } => error.problem(),
            _ => None,
        }
    }

    fn file(&self) -> Option<String> {
        match self {
            TemplateStoreError::InvalidSite { error, .. } => error.file(),
            TemplateStoreError::InvalidStoryboard { error, .. } => error.file(),
            _ => None,
        }
    }
}

/// Saves (or replaces) an email template after checking that it compiles. The source is stored
/// as written, never rewritten.
pub async fn save_email_template(
    pool: &SqlitePool,
    name: &str,
    source: &str,
) -> Result<(), TemplateStoreError> {
    let name = crate::store::check_name(name, "template")?;
    compile_email(source).map_err(|error| TemplateStoreError::Invalid {
        name: name.to_string(),
        error,
    })?;
    save(pool, name, TemplateKind::Email, source).await
}

pub async fn load_template_source(
    pool: &SqlitePool,
    name: &str,
) -> Result<String, TemplateStoreError> {
    sqlx::query_scalar("SELECT source FROM templates WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| TemplateStoreError::NotFound(name.to_string()))
}

/// The source of the template `name`, which must be of `kind` (a site's is its bundle).
pub async fn load_template(
    pool: &SqlitePool,
    name: &str,
    wanted: TemplateKind,
) -> Result<String, TemplateStoreError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT kind, source FROM templates WHERE name = ?")
            .bind(name)
            .fetch_optional(pool)
            .await?;
    let (kind, source) = row.ok_or_else(|| TemplateStoreError::NotFound(name.to_string()))?;
    let is = TemplateKind::parse(&kind);
    if is != wanted {
        return Err(TemplateStoreError::WrongKind {
            name: name.to_string(),
            is,
            wanted,
        });
    }
    Ok(source)
}

/// A site template from its stored bundle.
pub fn compile_site_bundle(name: &str, bundle: &str) -> Result<SiteTemplate, TemplateStoreError> {
    compile_site_bundle_sized(name, bundle, Sizes::Responsive)
}

/// A site template from a bundle, its images made in `sizes`.
pub fn compile_site_bundle_sized(
    name: &str,
    bundle: &str,
    sizes: Sizes,
) -> Result<SiteTemplate, TemplateStoreError> {
    SiteTemplate::compile_with(site_bundle_files(name, bundle)?, sizes).map_err(|error| {
        TemplateStoreError::InvalidSite {
            name: name.to_string(),
            error,
        }
    })
}

/// The files of the bundle of the site template `name` (as stored, or as edited).
pub fn site_bundle_files(name: &str, bundle: &str) -> Result<SiteFiles, TemplateStoreError> {
    SiteFiles::from_bundle(bundle).map_err(|message| TemplateStoreError::InvalidSite {
        name: name.to_string(),
        error: SiteError::Manifest {
            file: name.into(),
            message,
        },
    })
}

/// A storyboard template from its stored bundle: checked, its texts compiled, its images decoded.
pub fn compile_storyboard_bundle(
    name: &str,
    bundle: &str,
) -> Result<VideoTemplate, TemplateStoreError> {
    let files = site_bundle_files(name, bundle)?;
    compile_storyboard(&files)
        .map(|(video, _warnings)| video)
        .map_err(|error| TemplateStoreError::InvalidStoryboard {
            name: name.to_string(),
            error,
        })
}

/// Saves (or replaces) a storyboard template (its folder's files, in one bundle) after checking
/// it; what the check warns of is returned.
pub async fn save_storyboard_template(
    pool: &SqlitePool,
    name: &str,
    files: SiteFiles,
) -> Result<Vec<Problem>, TemplateStoreError> {
    let name = crate::store::check_name(name, "template")?;
    let (_, warnings) =
        compile_storyboard(&files).map_err(|error| TemplateStoreError::InvalidStoryboard {
            name: name.to_string(),
            error,
        })?;
    save(pool, name, TemplateKind::Storyboard, &files.to_bundle()).await?;
    Ok(warnings)
}

/// Saves (or replaces) a microsite template after checking that it compiles; its files are
/// kept as they are, in one bundle.
pub async fn save_site_template(
    pool: &SqlitePool,
    name: &str,
    files: SiteFiles,
) -> Result<(), TemplateStoreError> {
    let name = crate::store::check_name(name, "template")?;
    let bundle = files.to_bundle();
    compile_site_bundle(name, &bundle)?;
    save(pool, name, TemplateKind::Microsite, &bundle).await
}

async fn save(
    pool: &SqlitePool,
    name: &str,
    kind: TemplateKind,
    source: &str,
) -> Result<(), TemplateStoreError> {
    sqlx::query(
        "INSERT INTO templates (name, kind, source, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, source = excluded.source, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(kind.as_str())
    .bind(source)
    .bind(now_text())
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn list_templates(pool: &SqlitePool) -> Result<Vec<TemplateInfo>, TemplateStoreError> {
    Ok(
        sqlx::query("SELECT name, kind, updated_at FROM templates ORDER BY name")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| TemplateInfo {
                name: r.get(0),
                kind: TemplateKind::parse(r.get::<&str, _>(1)),
                updated_at: r.get(2),
            })
            .collect(),
    )
}

pub async fn install_starter_templates(pool: &SqlitePool) -> Result<usize, TemplateStoreError> {
    for (name, source) in STARTER_EMAILS {
        save_email_template(pool, name, source).await?;
    }
    for (name, files) in STARTER_SITES {
        save_site_template(pool, name, starter_site_files(files)).await?;
    }
    for (name, files) in STARTER_STORYBOARDS {
        save_storyboard_template(pool, name, starter_site_files(files)).await?;
    }
    Ok(STARTER_EMAILS.len() + STARTER_SITES.len() + STARTER_STORYBOARDS.len())
}
