//! The site a server hosts: its folder, and from the render's manifest beside it, whose each
//! slug is (customer, campaign, arm, template), what each site's forms accept and which scenes
//! each video player has.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::microsites::files::plain_path;
use crate::microsites::forms::Form;
use crate::microsites::slug::is_slug;

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("no render manifest beside the site folder ({0}); serve the site/ folder of a rendered microsite")]
    NoManifest(PathBuf),
    #[error("{file}: {message}")]
    Manifest { file: PathBuf, message: String },
}

/// A customer's personal site.
#[derive(Debug, Clone)]
pub struct Visitor {
    slug: String,
    pub customer_id: i64,
    pub arm: String,
    /// Their microsite's template, else their video's.
    template: String,
    /// Their video player's template, if they have one.
    player: Option<String>,
}

impl Visitor {
    pub fn slug(&self) -> &str {
        &self.slug
    }
}

#[derive(Deserialize)]
struct Manifest {
    campaign: String,
    run: i64,
    #[serde(default)]
    base_url: Option<String>,
    rendered: Vec<Rendered>,
    #[serde(default)]
    sites: BTreeMap<String, SiteSection>,
}

#[derive(Deserialize)]
struct Rendered {
    customer_id: i64,
    arm: String,
    #[serde(default)]
    slug: Option<String>,
    files: Vec<RenderedFile>,
}

#[derive(Deserialize)]
struct RenderedFile {
    format: String,
    template: String,
}

#[derive(Deserialize)]
struct SiteSection {
    default_locale: String,
    #[serde(default)]
    forms: BTreeMap<String, Form>,
    #[serde(default)]
    player: Option<PlayerSection>,
}

/// What a storyboard's player can report.
#[derive(Deserialize)]
struct PlayerSection {
    scenes: Vec<String>,
}

pub struct ServedSite {
    root: PathBuf,
    pub campaign: String,
    pub run: i64,
    /// Where the campaign's personal URLs point (renders before it was recorded have none).
    pub base_url: Option<String>,
    visitors: HashMap<String, Visitor>,
    sites: BTreeMap<String, SiteSection>,
}

/// Where a request path leads.
pub enum Target<'a> {
    /// A file all customers share (`assets/…`, `robots.txt`), by its path in the folder.
    Shared(String),
    /// `/SLUG` without its slash.
    SlugFolder(&'a str),
    /// A file of a customer's site, by its path in the folder (`SLUG/index.html`).
    Personal { visitor: &'a Visitor, file: String },
}

impl ServedSite {
    pub fn open(folder: &Path) -> Result<ServedSite, SiteError> {
        let root = std::fs::canonicalize(folder)
            .ok()
            .filter(|r| r.is_dir())
            .ok_or_else(|| SiteError::NotAFolder(folder.to_path_buf()))?;
        let manifest_path = root
            .parent()
            .map(|p| p.join("manifest.json"))
            .filter(|p| p.is_file())
            .ok_or_else(|| SiteError::NoManifest(root.clone()))?;
        let refuse = |message: String| SiteError::Manifest {
            file: manifest_path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| refuse(e.to_string()))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| refuse(e.to_string()))?;
        let mut visitors = HashMap::new();
        for r in manifest.rendered {
            let Some(slug) = r.slug.filter(|s| is_slug(s)) else {
                continue;
            };
            let template_of = |format: &str| {
                r.files
                    .iter()
                    .find(|f| f.format == format)
                    .map(|f| f.template.clone())
            };
            let player = template_of("video").filter(|t| {
                manifest
                    .sites
                    .get(t)
                    .is_some_and(|section| section.player.is_some())
            });
            let Some(template) = template_of("microsite").or_else(|| player.clone()) else {
                continue;
            };
            visitors.insert(
                slug.clone(),
                Visitor {
                    slug,
                    customer_id: r.customer_id,
                    arm: r.arm,
                    template,
                    player,
                },
            );
        }
        if visitors.is_empty() {
            return Err(refuse(
                "this render has no microsites or video players".into(),
            ));
        }
        Ok(ServedSite {
            root,
            campaign: manifest.campaign,
            run: manifest.run,
            base_url: manifest.base_url,
            visitors,
            sites: manifest.sites,
        })
    }

    /// Where `path` leads, if anywhere a visitor may go.
    pub fn resolve(&self, path: &str) -> Option<Target<'_>> {
        let rest = path.strip_prefix('/')?;
        let (first, after) = rest.split_once('/').unwrap_or((rest, ""));
        let slash = rest.len() > first.len();
        if !plain_path(first) {
            return None;
        }
        if is_slug(first) {
            let visitor = self.visitors.get(first)?;
            if !slash {
                return Some(Target::SlugFolder(&visitor.slug));
            }
            let inner = if after.is_empty() || after.ends_with('/') {
                format!("{after}index.html")
            } else {
                after.to_string()
            };
            return plain_path(&inner).then(|| Target::Personal {
                visitor,
                file: format!("{first}/{inner}"),
            });
        }
        plain_path(rest).then(|| Target::Shared(rest.to_string()))
    }

    /// `POST /SLUG/form/NAME`: whose, and which form.
    pub fn form_target(&self, path: &str) -> Option<(&Visitor, String)> {
        let mut parts = path.strip_prefix('/')?.split('/');
        let (slug, form, name) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || form != "form" || !plain_path(name) {
            return None;
        }
        Some((self.visitors.get(slug)?, name.to_string()))
    }

    /// `POST /SLUG/video/event`: whose player.
    pub fn event_target(&self, path: &str) -> Option<&Visitor> {
        let slug = path.strip_prefix('/')?.strip_suffix("/video/event")?;
        self.visitors.get(slug).filter(|v| v.player.is_some())
    }

    /// Whether the visitor's player has a scene of this id.
    pub fn has_scene(&self, visitor: &Visitor, scene: &str) -> bool {
        visitor
            .player
            .as_ref()
            .and_then(|t| self.sites.get(t)?.player.as_ref())
            .is_some_and(|p| p.scenes.iter().any(|s| s == scene))
    }

    pub fn form(&self, visitor: &Visitor, name: &str) -> Option<&Form> {
        self.sites.get(&visitor.template)?.forms.get(name)
    }

    /// The language of the visitor's site (`en`, `zh`).
    pub fn language(&self, visitor: &Visitor) -> &str {
        self.sites
            .get(&visitor.template)
            .and_then(|s| s.default_locale.split(['-', '_']).next())
            .unwrap_or("en")
    }

    /// Whether `file` names a folder of the site (not a link).
    pub fn is_folder(&self, file: &str) -> bool {
        std::fs::symlink_metadata(self.root.join(file)).is_ok_and(|m| m.is_dir())
    }

    /// A file of the folder (never a link, a folder or anything outside). Read in place: a
    /// site's files are small and in the page cache, and a hop to a blocking thread per request
    /// costs more than the read.
    pub fn read(&self, file: &str) -> Option<Vec<u8>> {
        let path = self.root.join(file);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() {
            return None;
        }
        std::fs::read(&path).ok()
    }
}
