//! A microsite template is a folder:
//!
//! ```text
//! site.json          {"format": 1, "name": …, "default_locale": "en", "layout": "layout.html",
//!                     "pages": [{"file": "index.html", "title": "Your offer"}, …]}
//! layout.html        the page frame; `{{> page}}` is where each page goes
//! index.html …       the pages, Handlebars HTML
//! partials/NAME.html pieces pages and the layout include with `{{> NAME}}`
//! assets/…           images, CSS, fonts (written once per render under hashed names)
//! ```
//!
//! Partials and the layout are put together at compile time, inside the folder only (a name is
//! letters, digits, `-` and `_`; no paths), so a page is one source compiled into the same plan
//! emails use. Every error names the file it is in, with the line and column there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::assets::{SiteAssets, Sizes};
use super::files::SiteFiles;
use super::forms::{check_declarations, check_forms_in, Form};
use super::links::check_calls_to_action;
use crate::templates::plan::compile;
use crate::templates::{Escaping, Notes, Plan, RenderEnv, Slot};

pub const MANIFEST: &str = "site.json";
pub const FORMAT_VERSION: u32 = 1;
/// Partials nest at most this deep (a partial that includes itself is refused before).
const MAX_DEPTH: usize = 8;
/// The largest a page may grow with its layout and partials put in: partials that include
/// others many times multiply (five levels of sixty make 777 million copies).
const MAX_ASSEMBLED: usize = 4 << 20;
/// The most partials one page may put in, counting each time (empty ones multiply too).
const MAX_INCLUDES: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: u32,
    name: String,
    default_locale: String,
    layout: String,
    pages: Vec<PageEntry>,
    #[serde(default)]
    forms: BTreeMap<String, Form>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageEntry {
    file: String,
    title: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{}: {message}", .file.display())]
    Manifest { file: PathBuf, message: String },
    #[error("cannot read {}: {source}", .file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    /// A file picked to add to a template that cannot be (it is in no template yet).
    #[error("{}: {message}", .file.display())]
    Asset { file: PathBuf, message: String },
    /// Where in which file: 1-based line and column.
    #[error("{file}, line {line}, column {column}: {message}")]
    Template {
        file: String,
        line: usize,
        column: usize,
        message: String,
        /// What is wrong, for the app to word (see `TemplateError::problem`).
        problem: Option<Box<crate::error::FieldProblem>>,
    },
}

impl crate::error::Coded for SiteError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            SiteError::Manifest { .. } | SiteError::Asset { .. } => ErrorKind::InvalidInput,
            SiteError::Read { .. } => ErrorKind::Io,
            SiteError::Template { .. } => ErrorKind::Template,
        }
    }

    fn place(&self) -> Option<(usize, usize)> {
        match self {
            SiteError::Template { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        match self {
            SiteError::Template { problem, .. } => problem.as_deref().cloned(),
            _ => None,
        }
    }

    fn file(&self) -> Option<String> {
        match self {
            SiteError::Template { file, .. } => Some(file.clone()),
            SiteError::Manifest { file, .. } | SiteError::Read { file, .. } => {
                Some(file.display().to_string())
            }
            SiteError::Asset { .. } => None,
        }
    }
}

/// One compiled page.
pub struct SitePage {
    /// Its file name in the template, and in each customer's rendered site.
    pub file: String,
    pub title: String,
    plan: Plan,
    /// The page's merge tags (and those starting a link) in the files they are written in.
    pub slots: Vec<(String, Slot)>,
    pub url_slots: Vec<(String, Slot)>,
    /// Merge tags written into CSS, in the files they are written in.
    pub css_slots: Vec<(String, Slot)>,
}

pub struct SiteTemplate {
    pub name: String,
    pub default_locale: String,
    pub pages: Vec<SitePage>,
    /// The forms the pages post, by name (`form/NAME`).
    pub forms: BTreeMap<String, Form>,
    /// The names of the pages' calls to action (`<a data-cta="NAME">`), each counted apart.
    pub calls_to_action: Vec<String>,
    pub assets: SiteAssets,
    /// What it was compiled from (kept in the workspace as is).
    pub files: SiteFiles,
}

/// A file name the manifest may use: a plain `.html` name in the folder itself.
fn plain_file(name: &str, manifest: &Path) -> Result<(), SiteError> {
    let ok = name.ends_with(".html")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SiteError::Manifest {
            file: manifest.to_path_buf(),
            message: format!("'{name}' is not a page file of this folder (a name like offer.html)"),
        })
    }
}

impl SiteTemplate {
    /// Reads and compiles the template in `folder`.
    pub fn load(folder: &Path) -> Result<SiteTemplate, SiteError> {
        SiteTemplate::compile(SiteFiles::read_folder(folder)?).map_err(|e| match e {
            SiteError::Manifest { file, message } if file.is_relative() => SiteError::Manifest {
                file: folder.join(file),
                message,
            },
            SiteError::Read { file, source } if file.is_relative() => SiteError::Read {
                file: folder.join(file),
                source,
            },
            e => e,
        })
    }

    /// Compiles a template from its files, for rendering.
    pub fn compile(files: SiteFiles) -> Result<SiteTemplate, SiteError> {
        SiteTemplate::compile_with(files, Sizes::Responsive)
    }

    /// Compiles a template whose images are made in `sizes`.
    pub fn compile_with(files: SiteFiles, sizes: Sizes) -> Result<SiteTemplate, SiteError> {
        let manifest_path = PathBuf::from(MANIFEST);
        let text = files.text(MANIFEST)?;
        let manifest: Manifest = crate::document::unique_keys(&text)
            .and_then(|()| serde_json::from_str(&text))
            .map_err(|e| SiteError::Manifest {
                file: manifest_path.clone(),
                message: format!("line {}, column {}: {e}", e.line(), e.column()),
            })?;
        let refuse = |message: String| SiteError::Manifest {
            file: manifest_path.clone(),
            message,
        };
        if manifest.format != FORMAT_VERSION {
            return Err(refuse(format!(
                "format {} is not supported (this Tessera reads format {FORMAT_VERSION})",
                manifest.format
            )));
        }
        if manifest.pages.is_empty() {
            return Err(refuse("a site needs at least one page".into()));
        }
        plain_file(&manifest.layout, &manifest_path)?;
        let mut seen = std::collections::HashSet::new();
        for page in &manifest.pages {
            plain_file(&page.file, &manifest_path)?;
            if !seen.insert(page.file.as_str()) || page.file == manifest.layout {
                return Err(refuse(format!("'{}' is listed twice", page.file)));
            }
        }
        check_declarations(&manifest.forms).map_err(refuse)?;
        let assets =
            SiteAssets::build(&files, sizes).map_err(|(file, message)| SiteError::Manifest {
                file: PathBuf::from(file),
                message,
            })?;
        let layout = read_source(&files, &manifest.layout)?;
        let mut calls_to_action = Vec::new();
        let pages = manifest
            .pages
            .iter()
            .map(|entry| {
                let page = read_source(&files, &entry.file)?;
                let assembled = assemble(&files, &layout, Some(&page))?;
                let located = compile(&assembled.text, Escaping::Html)
                    .map_err(|e| assembled.locate_error(e))?;
                let at = |(offset, message)| assembled.locate(offset, message);
                check_forms_in(&assembled.text, &manifest.forms).map_err(at)?;
                assets.check_references(&assembled.text).map_err(at)?;
                calls_to_action.extend(check_calls_to_action(&assembled.text).map_err(at)?);
                // Compiled again with the assets' rendered names (errors were located above).
                let plan = compile(&assets.rewrite_page(&assembled.text), Escaping::Html)
                    .map_err(|e| assembled.locate_error(e))?;
                Ok(SitePage {
                    file: entry.file.clone(),
                    title: entry.title.clone(),
                    plan,
                    // Rewriting asset names touches no merge tag: the slots are the same.
                    slots: located
                        .slots()
                        .iter()
                        .map(|s| assembled.place_slot(s))
                        .collect(),
                    url_slots: located
                        .url_slots()
                        .iter()
                        .map(|s| assembled.place_slot(s))
                        .collect(),
                    css_slots: located
                        .css_outputs()
                        .iter()
                        .map(|s| assembled.place_slot(s))
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, SiteError>>()?;
        calls_to_action.sort();
        calls_to_action.dedup();
        Ok(SiteTemplate {
            name: manifest.name,
            default_locale: manifest.default_locale,
            pages,
            forms: manifest.forms,
            calls_to_action,
            assets,
            files,
        })
    }

    /// What `template check` warns of: merge tags written into CSS, once per place.
    pub fn warnings(&self) -> Vec<String> {
        let mut places: Vec<&(String, Slot)> =
            self.pages.iter().flat_map(|p| &p.css_slots).collect();
        places.sort_by_key(|(file, s)| (file.clone(), s.line, s.column));
        places.dedup_by_key(|(file, s)| (file.clone(), s.line, s.column));
        places
            .into_iter()
            .map(|(file, slot)| format!("{file}, {}", crate::templates::plan::css_warning(slot)))
            .collect()
    }

    /// The locale a customer's pages are formatted in: theirs, else the site's.
    pub fn locale_for<'a>(&'a self, data: &'a Value) -> &'a str {
        data.get("locale")
            .and_then(Value::as_str)
            .unwrap_or(&self.default_locale)
    }

    pub fn page(&self, file: &str) -> Option<&SitePage> {
        self.pages.iter().find(|p| p.file == file)
    }
}

impl SitePage {
    /// The page for one customer: their merge data, into which `page.title` and `page.file` are
    /// set (one copy of a customer's data serves all their pages).
    pub fn render(
        &self,
        data: &mut Value,
        locale: &str,
        notes: &mut Notes,
    ) -> Result<String, SiteError> {
        if let Value::Object(fields) = data {
            fields.insert(
                "page".into(),
                serde_json::json!({"title": self.title, "file": self.file}),
            );
        }
        let mut out = Vec::new();
        self.plan
            .render(data, &RenderEnv { locale }, &mut out, notes)
            .map_err(|e| SiteError::Template {
                file: self.file.clone(),
                line: e.line,
                column: e.column,
                message: e.message,
                problem: None,
            })?;
        Ok(crate::templates::plan::into_string(out))
    }
}

impl SitePage {
    /// The fields `notes` found empty, by name, once each.
    pub fn missing_fields(&self, notes: &Notes) -> Vec<String> {
        let mut names: Vec<String> = notes
            .missing
            .iter()
            .filter_map(|&i| self.plan.slots().get(i as usize))
            .map(|slot| slot.field.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A source file of the template, by its name in the folder.
struct Source {
    name: String,
    text: String,
}

fn read_source(files: &SiteFiles, name: &str) -> Result<Source, SiteError> {
    Ok(Source {
        name: name.to_string(),
        text: files.text(name)?,
    })
}

/// A page put together from the layout, the page and partials, with where each piece came from.
struct Assembled {
    text: String,
    /// (offset in `text`, file name, offset in that file), in order of `text`.
    pieces: Vec<(usize, String, usize)>,
    sources: Vec<Source>,
    /// Files already compiled alone (a partial included many times is checked once).
    checked: Vec<String>,
    /// Partials put in so far.
    included: usize,
}

impl Assembled {
    /// The file, line and column of a place (offset) in the assembled text.
    fn locate(&self, offset: usize, message: String) -> SiteError {
        let (file, line, column) = self.place(offset);
        SiteError::Template {
            file,
            line,
            column,
            message,
            problem: None,
        }
    }

    /// A template error in the assembled text, in the file it is from.
    fn locate_error(&self, e: crate::templates::TemplateError) -> SiteError {
        match self.locate(offset_of(&self.text, e.line, e.column), e.message) {
            SiteError::Template {
                file, line, column, message, ..
            } => SiteError::Template {
                file,
                line,
                column,
                message,
                problem: e.problem,
            },
            other => other,
        }
    }

    /// A merge tag of the assembled text (line and column there) in the file it is from.
    fn place_slot(&self, slot: &Slot) -> (String, Slot) {
        let (file, line, column) = self.place(offset_of(&self.text, slot.line, slot.column));
        (
            file,
            Slot {
                field: slot.field.clone(),
                line,
                column,
            },
        )
    }

    fn place(&self, offset: usize) -> (String, usize, usize) {
        let (at, file, from) = self
            .pieces
            .iter()
            .rev()
            .find(|(at, _, _)| *at <= offset)
            .cloned()
            .unwrap_or((0, String::new(), 0));
        let source = self.sources.iter().find(|s| s.name == file);
        let (line, column) = match source {
            Some(s) => line_column(&s.text, (from + offset - at).min(s.text.len())),
            None => line_column(&self.text, offset.min(self.text.len())),
        };
        (file, line, column)
    }
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    text[start.min(text.len())..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| start + i)
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Compiles one file by itself (its `{{> …}}` blanked out, places kept), so that a block left
/// open is reported in the file that opens it, not at the end of the assembled page.
fn check_alone(source: &Source) -> Result<(), SiteError> {
    let mut text = source.text.clone();
    let mut from = 0;
    while let Some(start) = text[from..].find("{{>").map(|i| from + i) {
        let Some(end) = text[start..].find("}}").map(|i| start + i + 2) else {
            break;
        };
        let blank: String = text[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        text.replace_range(start..end, &blank);
        from = start + blank.len();
    }
    compile(&text, Escaping::Html)
        .map(drop)
        .map_err(|e| SiteError::Template {
            file: source.name.clone(),
            line: e.line,
            column: e.column,
            message: e.message,
            problem: e.problem,
        })
}

/// The layout with `{{> page}}` replaced by the page and every `{{> NAME}}` by
/// `partials/NAME.html`, recursively.
fn assemble(
    files: &SiteFiles,
    layout: &Source,
    page: Option<&Source>,
) -> Result<Assembled, SiteError> {
    let mut out = Assembled {
        text: String::new(),
        pieces: Vec::new(),
        sources: Vec::new(),
        checked: Vec::new(),
        included: 0,
    };
    let mut stack = Vec::new();
    include(files, layout, page, &mut stack, &mut out)?;
    Ok(out)
}

fn include(
    files: &SiteFiles,
    source: &Source,
    page: Option<&Source>,
    stack: &mut Vec<String>,
    out: &mut Assembled,
) -> Result<(), SiteError> {
    let at_place = |offset: usize, message: String| {
        let (line, column) = line_column(&source.text, offset);
        SiteError::Template {
            file: source.name.clone(),
            line,
            column,
            message,
            problem: None,
        }
    };
    if !out.checked.contains(&source.name) {
        check_alone(source)?;
        out.checked.push(source.name.clone());
    }
    stack.push(source.name.clone());
    if !out.sources.iter().any(|s| s.name == source.name) {
        out.sources.push(Source {
            name: source.name.clone(),
            text: source.text.clone(),
        });
    }
    let text = &source.text;
    let mut copied = 0;
    while let Some(found) = text[copied..].find("{{>").map(|i| copied + i) {
        // `check_alone` has refused a `{{>` that is never closed.
        let end = text[found..]
            .find("}}")
            .map_or(text.len(), |i| found + i + 2);
        out.pieces
            .push((out.text.len(), source.name.clone(), copied));
        out.text.push_str(&text[copied..found]);
        let name = text[found + 3..end - 2].trim();
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !valid {
            return Err(at_place(
                found,
                format!("'{name}' is not a partial name: partials are named with letters, digits, - and _, and live in partials/"),
            ));
        }
        let included = if name == "page" {
            match page {
                Some(p) => Source {
                    name: p.name.clone(),
                    text: p.text.clone(),
                },
                None => return Err(at_place(found, "{{> page}} belongs in the layout".into())),
            }
        } else {
            let file = format!("partials/{name}.html");
            if !files.contains(&file) {
                return Err(at_place(
                    found,
                    format!("no partial '{name}' (looked for {file})"),
                ));
            }
            read_source(files, &file)?
        };
        if stack.contains(&included.name) {
            return Err(at_place(found, format!("'{name}' includes itself")));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(at_place(
                found,
                format!("partials nest more than {MAX_DEPTH} deep here"),
            ));
        }
        out.included += 1;
        if out.included > MAX_INCLUDES {
            return Err(at_place(
                found,
                format!("this page puts in partials more than {MAX_INCLUDES} times ('{name}' and what it includes are repeated too often)"),
            ));
        }
        // Only the layout places the page.
        include(files, &included, None, stack, out)?;
        if out.text.len() > MAX_ASSEMBLED {
            return Err(at_place(
                found,
                format!(
                    "with its partials put in, this page grows past {} MB here ('{name}' and what it includes are repeated too often)",
                    MAX_ASSEMBLED >> 20
                ),
            ));
        }
        copied = end;
    }
    out.pieces
        .push((out.text.len(), source.name.clone(), copied));
    out.text.push_str(&text[copied..]);
    stack.pop();
    Ok(())
}
