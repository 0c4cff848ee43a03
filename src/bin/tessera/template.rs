//! `tessera template check|add|list|install-starters`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use tessera_engine::app::{check_email_file, check_site_folder, Session, TemplateKind};

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
    match check_email_file(file)? {
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
    match check_site_folder(folder) {
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

pub async fn run(session: &Session, command: TemplateCommand) -> Result<(), Failure> {
    match command {
        TemplateCommand::Check { file, json } => check(&file, json)?,
        TemplateCommand::Add { name, file } => {
            let added = session.template_add(&name, &file).await?;
            for warning in &added.warnings {
                say!("  warning: {warning}");
            }
            let what = match added.kind {
                TemplateKind::Storyboard => "storyboard",
                TemplateKind::Microsite => "site template",
                TemplateKind::Email => "template",
            };
            say!("saved {what} '{}'", name.trim());
        }
        TemplateCommand::List => {
            for t in session.templates().await? {
                say!("{}\t{}\t{}", t.name, t.kind.as_str(), t.updated_at);
            }
        }
        TemplateCommand::InstallStarters => {
            let n = session.install_starters().await?;
            say!("installed {n} starter templates");
        }
    }
    Ok(())
}
