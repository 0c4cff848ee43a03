use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use tauri::ipc::Channel;
use tauri::State;
use tessera_engine::customers::show::{customer_profile, CustomerProfile};
use tessera_engine::segments::Clock;

use tessera_engine::customers::{
    customer_page, customer_position, import_customers, import_events, parse_delimiter,
    parse_field, preview_import, CustomerPage, FilePreview, ImportOptions, ImportSummary,
    PageQuery, Progress, Target,
};

use crate::error::{CommandError, CommandResult, ErrorCode};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn customers_page(
    query: PageQuery,
    state: State<'_, AppState>,
) -> CommandResult<CustomerPage> {
    let open = state.current().await?;
    customer_page(&open.workspace.pool, &query)
        .await
        .map_err(CommandError::from)
}

/// A customer's place in id order, for stepping on from a customer found by search.
#[tauri::command]
#[specta::specta]
pub async fn customer_position_get(id: i32, state: State<'_, AppState>) -> CommandResult<u32> {
    let open = state.current().await?;
    customer_position(&open.workspace.pool, id.into())
        .await
        .map_err(CommandError::from)
}

#[tauri::command]
#[specta::specta]
pub async fn customer_get(id: i32, state: State<'_, AppState>) -> CommandResult<CustomerProfile> {
    let open = state.current().await?;
    let clock = Clock {
        now: chrono::Utc::now(),
    };
    customer_profile(&open.workspace.pool, &open.index, id.into(), clock)
        .await?
        .ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("no customer with id {id}")))
}

#[derive(Debug, Clone, Copy, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Customers,
    Events,
}

/// What the user chose in the import wizard; anything left out is detected.
#[derive(Debug, Clone, Default, serde::Deserialize, specta::Type)]
pub struct ImportSettings {
    /// `utf-8` or `gb18030`.
    pub encoding: Option<String>,
    /// One character, or `tab`.
    pub delimiter: Option<String>,
    /// The columns the user mapped by hand: (column, field in `--map` spelling).
    pub mapping: Vec<(String, String)>,
}

fn import_options(settings: &ImportSettings) -> CommandResult<ImportOptions> {
    let mut overrides = HashMap::new();
    for (column, field) in &settings.mapping {
        overrides.insert(column.trim().to_string(), parse_field(field)?);
    }
    Ok(ImportOptions {
        encoding: settings.encoding.as_deref().map(str::parse).transpose()?,
        delimiter: settings
            .delimiter
            .as_deref()
            .map(parse_delimiter)
            .transpose()?,
        overrides,
        ..ImportOptions::default()
    })
}

fn target(kind: ImportKind) -> Target {
    match kind {
        ImportKind::Customers => Target::Customers,
        ImportKind::Events => Target::Events,
    }
}

/// The wizard's preview of a picked file: detected format, encoding and delimiter, the column
/// mapping (onto the workspace's attributes) and the first rows, as the import with these
/// settings would read them, and what importing them would change.
#[tauri::command]
#[specta::specta]
pub async fn import_preview(
    path: String,
    kind: ImportKind,
    settings: ImportSettings,
    state: State<'_, AppState>,
) -> CommandResult<FilePreview> {
    let options = import_options(&settings)?;
    let open = state.current().await?;
    preview_import(&open.workspace, Path::new(&path), &options, target(kind))
        .await
        .map_err(CommandError::from)
}

/// Imports a file the user picked; progress streams through `on_progress`, `import_cancel`
/// stops it with nothing written. The segment index is rebuilt afterwards, so counts include
/// the new rows.
#[tauri::command]
#[specta::specta]
pub async fn customers_import(
    path: String,
    kind: ImportKind,
    settings: ImportSettings,
    on_progress: Channel<Progress>,
    state: State<'_, AppState>,
) -> CommandResult<ImportSummary> {
    let summary = {
        let open = state.current().await?;
        let report = |p: Progress| {
            let _ = on_progress.send(p);
        };
        let cancel = state.cancel_import.clone();
        cancel.store(false, Ordering::Relaxed);
        let options = ImportOptions {
            cancel: Some(cancel),
            ..import_options(&settings)?
        };
        let path = Path::new(&path);
        match kind {
            ImportKind::Customers => {
                import_customers(&open.workspace, path, &options, &report).await?
            }
            ImportKind::Events => import_events(&open.workspace, path, &options, &report).await?,
        }
    };
    state.reindex().await?;
    Ok(summary)
}

#[tauri::command]
#[specta::specta]
pub async fn import_cancel(state: State<'_, AppState>) -> CommandResult<()> {
    state.cancel_import.store(true, Ordering::Relaxed);
    Ok(())
}
