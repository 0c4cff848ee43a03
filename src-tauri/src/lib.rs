//! Tessera's desktop shell: Tauri wiring over the engine. Commands live in `commands/`, one module
//! per noun, each a few lines; their TypeScript bindings are generated into `ui/src/lib/`.

mod commands;
mod error;
mod file_dialog;
mod state;

use std::path::PathBuf;

use tauri::Runtime;

pub use file_dialog::run_if_asked as file_dialog_if_asked;
pub use state::AppState;

/// The generated TypeScript bindings, relative to this crate.
pub const BINDINGS: &str = "../ui/src/lib/bindings.ts";

/// Every command, once: registers them with Tauri and describes them to the TypeScript export.
pub fn commands<R: Runtime>() -> tauri_specta::Builder<R> {
    use commands::*;
    tauri_specta::Builder::<R>::new()
        .commands(tauri_specta::collect_commands![
            workspace::workspace_open_demo,
            workspace::workspace_open,
            workspace::workspace_create,
            workspace::workspace_status,
            files::file_pick,
            customers::customers_page,
            customers::customer_get,
            customers::customer_position_get,
            customers::duplicates_list,
            customers::duplicate_decide,
            customers::import_preview,
            customers::customers_import,
            customers::import_cancel,
            segments::segment_count,
            segments::segment_members,
            segments::segments_list,
            segments::segment_load,
            segments::segment_save,
            segments::segment_export,
            templates::templates_list,
            templates::template_source,
            templates::template_save,
            templates::template_missing_fields,
            templates::email_preview,
            templates::merge_fields,
            sites::site_preview,
            sites::site_missing_fields_check,
            sites::site_save,
            sites::site_asset_read,
            sites::site_serve_start,
            sites::site_serve_status,
            sites::site_serve_stop,
            storyboards::storyboard_preview,
            storyboards::storyboard_play,
            storyboards::storyboard_save,
            campaigns::campaigns_list,
            campaigns::campaign_load,
            campaigns::campaign_save,
            campaigns::campaign_split,
            campaigns::campaign_render,
            campaigns::campaign_cancel,
            campaigns::campaign_runs,
            campaigns::campaign_preview,
            campaigns::campaign_open,
            campaigns::campaign_seed,
            experiments::campaign_report,
            experiments::hypothesis_plan,
            experiments::report_export,
            sending::smtp_password_save,
            sending::smtp_password_saved,
            sending::smtp_check,
            sending::campaign_test_send,
            sending::campaign_send,
            sending::campaign_send_control,
            sending::campaign_sends,
        ])
        // Counts and ids stay far below 2^53.
        .dangerously_cast_bigints_to_number()
        // One TypeScript type per Rust type: the UI sends rules in the shape it receives them.
        .disable_serde_phases()
}

/// The app, for the real runtime and for the mock runtime in tests (state is managed here, not in
/// `setup`, which the mock runtime never runs).
pub fn build_app<R: Runtime>(builder: tauri::Builder<R>, data_dir: PathBuf) -> tauri::Builder<R> {
    builder
        .manage(AppState::new(data_dir))
        .invoke_handler(commands::<R>().invoke_handler())
}

/// `TESSERA_DATA_DIR` overrides where the app keeps its files (tests use a scratch folder).
pub fn data_dir() -> PathBuf {
    std::env::var_os("TESSERA_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("tessera")
        })
}

pub fn run() {
    build_app(tauri::Builder::default(), data_dir())
        .run(tauri::generate_context!())
        .expect("the Tessera window could not start");
}
