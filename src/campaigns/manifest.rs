//! `manifest.json`, the account a run gives of itself beside its files: the campaign, run and
//! workspace, the counts, every rendered customer with their arm, personal URL slug and files
//! (content hashes), every excluded customer with the reason, those whose render failed, the
//! files all customers share, and each site's pages, forms and player (what `tessera serve`
//! accepts). Ids only: no address or other personal data. Written by the run and read by the
//! server through this one type.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::assign::SampleRatio;
use super::plan::{ArmCount, Excluded};
use crate::microsites::forms::Form;
use crate::render::format::{Exclusion, FormatKind};

/// The manifest's file name in a run's folder.
pub const MANIFEST: &str = "manifest.json";

/// Manifests larger than this are not read (a million customers make about 300 MB).
const MAX_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub campaign: String,
    pub run: i64,
    /// The id of the workspace the run was rendered from: its served sites record there and
    /// nowhere else. Absent in renders made before it was recorded.
    #[serde(default)]
    pub workspace: Option<String>,
    pub rendered_at: String,
    pub seed: String,
    #[serde(default)]
    pub base_url: String,
    pub cancelled: bool,
    pub counts: Counts,
    pub sample_ratio: SampleRatio,
    pub rendered: Vec<RenderedCustomer>,
    pub excluded: Vec<ExcludedCustomer>,
    /// Customers whose render failed (the run's summary says why).
    #[serde(default)]
    pub failed: Vec<i64>,
    pub shared: Vec<SharedFile>,
    #[serde(default)]
    pub sites: BTreeMap<String, SiteSection>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counts {
    pub audience: u64,
    pub rendered: u64,
    pub excluded: Excluded,
    pub arms: Vec<ArmCount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderedCustomer {
    pub customer_id: i64,
    pub arm: String,
    /// Their personal URL's slug, when the campaign has personal pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    pub files: Vec<RenderedFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenderedFile {
    pub format: FormatKind,
    pub language: Option<String>,
    pub template: String,
    pub file: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExcludedCustomer {
    pub customer_id: i64,
    pub reason: Exclusion,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedFile {
    pub file: String,
    pub hash: String,
}

/// What a site (a microsite, or a storyboard's players) accepts from its visitors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteSection {
    pub default_locale: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls_to_action: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub forms: BTreeMap<String, Form>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player: Option<PlayerSection>,
}

/// A storyboard player's scenes and chapters: what its viewers' events may name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlayerSection {
    pub scenes: Vec<String>,
    pub chapters: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("no render manifest in {0}")]
    Missing(PathBuf),
    #[error("{}: {message}", .file.display())]
    Unreadable { file: PathBuf, message: String },
}

impl Manifest {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The manifest of the run in `run_folder`.
    pub fn read(run_folder: &Path) -> Result<Manifest, ManifestError> {
        let file = run_folder.join(MANIFEST);
        let unreadable = |message: String| ManifestError::Unreadable {
            file: file.clone(),
            message,
        };
        let meta = match std::fs::symlink_metadata(&file) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => return Err(unreadable("not a file".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ManifestError::Missing(run_folder.to_path_buf()))
            }
            Err(e) => return Err(unreadable(e.to_string())),
        };
        if meta.len() > MAX_BYTES {
            return Err(unreadable("larger than any manifest Tessera writes".into()));
        }
        let bytes = crate::store::read_user_file(&file).map_err(|e| unreadable(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))
    }
}
