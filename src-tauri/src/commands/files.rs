use crate::error::CommandResult;
use crate::file_dialog::{pick, FilePick};

/// Asks the user for a file or folder in the system's dialog (shown by a process of its own, so
/// nothing in the app opens the files it lists); the path picked, or nothing when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn file_pick(request: FilePick) -> CommandResult<Option<String>> {
    pick(request).await
}
