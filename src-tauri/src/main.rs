// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Started by the app to show a file dialog (see `file_dialog`): that, and nothing else.
    if let Some(code) = tessera_desktop::file_dialog_if_asked() {
        std::process::exit(code);
    }
    tessera_desktop::run()
}
