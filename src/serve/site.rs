//! The site a server hosts: its folder, and from the render's manifest beside it, whose each
//! slug is (customer, campaign, arm, template), what each site's forms accept and which scenes
//! each video player has.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::files::ServedFile;
use crate::campaigns::manifest::{Manifest, ManifestError, SiteSection};
use crate::microsites::files::plain_path;
use crate::microsites::forms::Form;
use crate::microsites::slug::is_slug;
use crate::render::format::FormatKind;

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

pub struct ServedSite {
    root: PathBuf,
    /// The folder, open: files are opened beneath it (none in a render without sites, which
    /// is served for its unsubscribe links alone).
    root_dir: Option<std::fs::File>,
    pub campaign: String,
    pub run: i64,
    /// The workspace the run was rendered from (renders before it was recorded: none).
    pub workspace: Option<String>,
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
        // A render without sites has no site/ folder: its run folder is still served.
        let root = match std::fs::canonicalize(folder) {
            Ok(root) if root.is_dir() => root,
            Ok(_) => return Err(SiteError::NotAFolder(folder.to_path_buf())),
            Err(_) => folder
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .and_then(|p| std::fs::canonicalize(p).ok())
                .filter(|p| p.join(crate::campaigns::manifest::MANIFEST).is_file())
                .and_then(|p| Some(p.join(folder.file_name()?)))
                .ok_or_else(|| SiteError::NotAFolder(folder.to_path_buf()))?,
        };
        let run_folder = root.parent().unwrap_or(&root);
        let manifest = Manifest::read(run_folder).map_err(|e| match e {
            ManifestError::Missing(_) => SiteError::NoManifest(root.clone()),
            ManifestError::Unreadable { file, message } => SiteError::Manifest { file, message },
        })?;
        let mut visitors = HashMap::new();
        for r in manifest.rendered {
            let Some(slug) = r.slug.filter(|s| is_slug(s)) else {
                continue;
            };
            let template_of = |format: FormatKind| {
                r.files
                    .iter()
                    .find(|f| f.format == format)
                    .map(|f| f.template.clone())
            };
            let player = template_of(FormatKind::Video).filter(|t| {
                manifest
                    .sites
                    .get(t)
                    .is_some_and(|section| section.player.is_some())
            });
            let Some(template) = template_of(FormatKind::Microsite).or_else(|| player.clone())
            else {
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
        let root_dir = root
            .is_dir()
            .then(|| std::fs::File::open(&root))
            .transpose()
            .map_err(|_| SiteError::NotAFolder(folder.to_path_buf()))?;
        Ok(ServedSite {
            root_dir,
            root,
            campaign: manifest.campaign,
            run: manifest.run,
            workspace: manifest.workspace,
            base_url: Some(manifest.base_url).filter(|u| !u.is_empty()),
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
        let path = self.root.join(file);
        std::fs::canonicalize(&path).is_ok_and(|real| real == path) && path.is_dir()
    }

    /// A file of the folder, opened: a real file inside it, reached through real folders (the
    /// kernel refuses a link anywhere on the way, or a way out of the folder), never the open
    /// workspace (a hard link to it is a real file: it is looked at, never opened).
    pub fn open_file(&self, file: &str) -> Option<ServedFile> {
        use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};
        let path = self.root.join(file);
        if crate::store::is_open_workspace(&path) {
            return None;
        }
        let opened = openat2(
            self.root_dir.as_ref()?,
            file,
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
        );
        let file = match opened {
            Ok(fd) => std::fs::File::from(fd),
            // A kernel before 5.6: the resolved path is compared instead (the root is resolved
            // and `file` is plain names, so any difference is a link).
            Err(rustix::io::Errno::NOSYS) => {
                if std::fs::canonicalize(&path).ok()? != path {
                    return None;
                }
                std::fs::File::open(&path).ok()?
            }
            Err(_) => return None,
        };
        let (file, meta) = crate::store::checked_opened(file, &path).ok()?;
        Some(ServedFile::new(file, &meta))
    }
}
