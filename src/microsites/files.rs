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
/// The largest file the editor adds to a template's assets.
const MAX_ASSET: u64 = 16 << 20;

fn too_much() -> String {
    format!(
        "this is more than a site template holds (over {MAX_FILES} files or {} MB)",
        MAX_BYTES >> 20
    )
}

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

/// The media type of a site file, by its extension (as served, and in previews' data URLs).
pub fn media_type(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "vtt" => "text/vtt; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
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
                    crate::store::read_user_file(&folder.join(&path)).map_err(|source| {
                        SiteError::Read {
                            file: folder.join(&path),
                            source,
                        }
                    })?;
                total += bytes.len() as u64;
                if files.len() >= MAX_FILES || total > MAX_BYTES {
                    return Err(SiteError::Manifest {
                        file: folder.to_path_buf(),
                        message: too_much(),
                    });
                }
                files.insert(text_path, bytes);
            }
        }
        Ok(SiteFiles { files })
    }

    /// The files of a stored bundle.
    pub fn from_bundle(text: &str) -> Result<SiteFiles, String> {
        if text.len() as u64 > MAX_BYTES * 4 / 3 + (1 << 20) {
            return Err(too_much());
        }
        let bundle: Bundle = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if bundle.files.len() > MAX_FILES {
            return Err(too_much());
        }
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

    /// A file the user picked to add to the template's assets: its name made plain
    /// (`Hero Image.PNG` is `hero-image.png`) and its bytes.
    pub fn read_asset(path: &Path) -> Result<(String, Vec<u8>), SiteError> {
        let refuse = |message: String| SiteError::Asset {
            file: path.to_path_buf(),
            message,
        };
        let read = |e: std::io::Error| refuse(e.to_string());
        let meta = std::fs::metadata(path).map_err(read)?;
        if !meta.is_file() {
            return Err(refuse("this is not a file".into()));
        }
        if meta.len() > MAX_ASSET {
            return Err(refuse(format!(
                "a file of a site template is at most {} MB",
                MAX_ASSET >> 20
            )));
        }
        let original = path.file_name().unwrap_or_default().to_string_lossy();
        let name: String = original
            .trim_start_matches('.')
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if !plain_path(&name) {
            return Err(refuse("this file's name cannot be made a plain one".into()));
        }
        Ok((name, crate::store::read_user_file(path).map_err(read)?))
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

    /// Adds the file at `path`, or replaces it.
    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), bytes);
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
