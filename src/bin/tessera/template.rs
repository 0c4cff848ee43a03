//! `tessera template check|add|list|install-starters`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use tessera_engine::microsites::files::SiteFiles;
use tessera_engine::microsites::SiteTemplate;
use tessera_engine::store::{read_user_text, Workspace};
use tessera_engine::storyboards;
use tessera_engine::templates::store::TemplateKind;
use tessera_engine::templates::{self, store as template_store, EmailTemplate};

use crate::terminal::{json, say};
use crate::Failure;

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Check an MJML template file, or a microsite template folder; errors point to the file,
    /// line and column.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Add or replace a template in the workspace: an .mjml file, a microsite folder (with
    /// site.json) or a storyboard folder (with storyboard.json).
    Add { name: String, file: PathBuf },
    /// Templates in the workspace, with when each was last changed.
    List,
    /// Install the starter templates.
    InstallStarters,
}

/// `template check` needs no workspace.
pub fn check(file: &Path, as_json: bool) -> Result<(), Failure> {
    if file.is_dir() {
        return check_site(file, as_json);
    }
    let source = read_user_text(file)?;
    match templates::compile_email(&source) {
        Ok(t) => {
            if as_json {
                println!(
                    "{}",
                    json(
                        &serde_json::json!({ "ok": true, "warnings": t.warnings, "fields": t.slots() })
                    )
                );
            } else {
                say!("{}: ok", file.display());
                for w in &t.warnings {
                    say!("  warning: {w}");
                }
            }
            Ok(())
        }
        Err(e) => {
            if as_json {
                println!("{}", json(&serde_json::json!({ "ok": false, "error": e })));
            }
            Err(format!("{}: {e}", file.display()).into())
        }
    }
}

fn check_site(folder: &Path, as_json: bool) -> Result<(), Failure> {
    match SiteTemplate::load(folder) {
        Ok(site) => {
            let pages: Vec<&str> = site.pages.iter().map(|p| p.file.as_str()).collect();
            let warnings = site.warnings();
            if as_json {
                println!(
                    "{}",
                    json(
                        &serde_json::json!({ "ok": true, "name": site.name, "pages": pages, "warnings": warnings })
                    )
                );
            } else {
                say!(
                    "{}: ok ({} pages: {})",
                    folder.display(),
                    pages.len(),
                    pages.join(", ")
                );
                for w in &warnings {
                    say!("  warning: {w}");
                }
            }
            Ok(())
        }
        Err(e) => {
            if as_json {
                println!(
                    "{}",
                    json(&serde_json::json!({ "ok": false, "error": e.to_string() }))
                );
            }
            Err(format!("{}: {e}", folder.display()).into())
        }
    }
}

pub async fn run(ws: &Workspace, command: TemplateCommand) -> Result<(), Failure> {
    match command {
        TemplateCommand::Check { file, json } => check(&file, json)?,
        TemplateCommand::Add { name, file } if file.join(storyboards::DOCUMENT).is_file() => {
            let files = SiteFiles::read_folder(&file)?;
            for warning in template_store::save_storyboard_template(&ws.pool, &name, files).await? {
                say!("  warning: {warning}");
            }
            say!("saved storyboard '{}'", name.trim());
        }
        TemplateCommand::Add { name, file } if file.is_dir() => {
            let files = SiteFiles::read_folder(&file)?;
            template_store::save_site_template(&ws.pool, &name, files).await?;
            say!("saved site template '{}'", name.trim());
        }
        TemplateCommand::Add { name, file } => {
            template_store::save_email_template(&ws.pool, &name, &read_user_text(&file)?).await?;
            say!("saved template '{}'", name.trim());
        }
        TemplateCommand::List => {
            for t in template_store::list_templates(&ws.pool).await? {
                say!("{}\t{}\t{}", t.name, t.kind.as_str(), t.updated_at);
            }
        }
        TemplateCommand::InstallStarters => {
            let n = template_store::install_starter_templates(&ws.pool).await?;
            say!("installed {n} starter templates");
        }
    }
    Ok(())
}

/// A template by workspace name, or an `.mjml` file: its name and source.
pub async fn source(ws: &Workspace, reference: &str) -> Result<(String, String), Failure> {
    let path = PathBuf::from(reference);
    if path.extension().is_some_and(|e| e == "mjml") && path.is_file() {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok((name, read_user_text(&path)?));
    }
    Ok((
        reference.to_string(),
        template_store::load_template_source(&ws.pool, reference).await?,
    ))
}

/// A site template by workspace name, or a template folder: its name and stored bundle.
/// A site or storyboard by workspace name, or its folder (or the storyboard.json in it): its
/// name and bundle.
pub async fn folder_source(
    ws: &Workspace,
    reference: &str,
    kind: TemplateKind,
) -> Result<(String, String), Failure> {
    let mut path = PathBuf::from(reference);
    if path.is_file() && path.file_name().is_some_and(|n| n == storyboards::DOCUMENT) {
        path.pop();
    }
    if path.is_dir() {
        let name = std::fs::canonicalize(&path)?
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".into());
        return Ok((name, SiteFiles::read_folder(&path)?.to_bundle()));
    }
    Ok((
        reference.to_string(),
        template_store::load_template(&ws.pool, reference, kind).await?,
    ))
}

pub fn compile(name: &str, source: &str) -> Result<EmailTemplate, Failure> {
    templates::compile_email(source).map_err(|e| format!("template '{name}': {e}").into())
}
