//! A site template's files, by their path in its folder (`site.json`, `partials/footer.html`,
//! `assets/logo.png`): read from a folder on disk, or from the workspace, where a site is kept
//! as one bundle (JSON: text files as text, the others in base64). A template is compiled from
//! these bytes only: nothing of it reads the disk afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::SiteError;

/// Bounds on what a template folder may hold: a site template is small; a folder that is not
/// one (a home folder picked by mistake) is refused instead of read whole.
const MAX_FILES: usize = 500;
const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteFiles {
    files: BTreeMap<String, Vec<u8>>,
}

/// The stored form: `{"format": 1, "files": {"site.json": {"text": "…"}, "assets/a.png": {"base64": "…"}}}`.
#[derive(Serialize, Deserialize)]
struct Bundle {
    format: u32,
    files: BTreeMap<String, BundleFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum BundleFile {
    Text(String),
    Base64(String),
}

/// A path a template may hold, and the server looks for: plain names (letters, digits, `-`, `_`, `.`), no hidden files,
/// separated by `/`.
pub fn plain_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

impl SiteFiles {
    pub fn new(files: BTreeMap<String, Vec<u8>>) -> SiteFiles {
        SiteFiles { files }
    }

    /// Every file under `folder`, hidden ones (`.DS_Store`, `.git`) left out. A symbolic link or
    /// a name that is not plain is refused: a template holds its own files only.
    pub fn read_folder(folder: &Path) -> Result<SiteFiles, SiteError> {
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        let mut pending = vec![PathBuf::new()];
        while let Some(relative) = pending.pop() {
            let dir = folder.join(&relative);
            let entries = std::fs::read_dir(&dir).map_err(|source| SiteError::Read {
                file: dir.clone(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| SiteError::Read {
                    file: dir.clone(),
                    source,
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                let path = relative.join(&name);
                let text_path = path.to_string_lossy().replace('\\', "/");
                let refuse = |message: String| SiteError::Manifest {
                    file: folder.join(&path),
                    message,
                };
                let kind = entry.file_type().map_err(|source| SiteError::Read {
                    file: folder.join(&path),
                    source,
                })?;
                if kind.is_symlink() {
                    return Err(refuse("a template holds its own files, not links".into()));
                }
                if !plain_path(&text_path) {
                    return Err(refuse(
                        "file names in a template are letters, digits, -, _ and .".into(),
                    ));
                }
                if kind.is_dir() {
                    pending.push(path);
                    continue;
                }
                let bytes =
                    std::fs::read(folder.join(&path)).map_err(|source| SiteError::Read {
                        file: folder.join(&path),
                        source,
                    })?;
                total += bytes.len() as u64;
                if files.len() >= MAX_FILES || total > MAX_BYTES {
                    return Err(SiteError::Manifest {
                        file: folder.to_path_buf(),
                        message: format!(
                            "this folder holds more than a site template does (over {MAX_FILES} files or {} MB)",
                            MAX_BYTES >> 20
                        ),
                    });
                }
                files.insert(text_path, bytes);
            }
        }
        Ok(SiteFiles { files })
    }

    /// The files of a stored bundle.
    pub fn from_bundle(text: &str) -> Result<SiteFiles, String> {
        let bundle: Bundle = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut files = BTreeMap::new();
        for (path, file) in bundle.files {
            if !plain_path(&path) {
                return Err(format!("'{path}' is not a file name a template may hold"));
            }
            let bytes = match file {
                BundleFile::Text(text) => text.into_bytes(),
                BundleFile::Base64(data) => base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map_err(|e| format!("{path}: {e}"))?,
            };
            files.insert(path, bytes);
        }
        Ok(SiteFiles { files })
    }

    pub fn to_bundle(&self) -> String {
        let files = self
            .files
            .iter()
            .map(|(path, bytes)| {
                let file = match std::str::from_utf8(bytes) {
                    Ok(text) => BundleFile::Text(text.to_string()),
                    Err(_) => {
                        BundleFile::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
                    }
                };
                (path.clone(), file)
            })
            .collect();
        serde_json::to_string(&Bundle { format: 1, files }).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// A text file of the template (UTF-8).
    pub fn text(&self, path: &str) -> Result<String, SiteError> {
        let missing = || SiteError::Read {
            file: PathBuf::from(path),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file in the template",
            ),
        };
        let bytes = self.files.get(path).ok_or_else(missing)?;
        String::from_utf8(bytes.clone()).map_err(|_| SiteError::Read {
            file: PathBuf::from(path),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        })
    }

    /// The files under `assets/`, by their path there.
    pub fn assets(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .filter_map(|(path, bytes)| Some((path.strip_prefix("assets/")?, bytes.as_slice())))
    }
}
