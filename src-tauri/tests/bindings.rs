//! The UI's TypeScript bindings are generated from the commands; this fails when the committed
//! file no longer matches (run with `UPDATE_BINDINGS=1` to regenerate it).

use std::path::Path;

#[test]
fn typescript_bindings_match_the_commands() {
    let scratch = tempfile::tempdir().unwrap();
    let fresh_path = scratch.path().join("bindings.ts");
    tessera_desktop::commands::<tauri::test::MockRuntime>()
        .export(
            specta_typescript::Typescript::default().header(
                "// Generated from src-tauri's commands by its `bindings` test: do not edit.\n",
            ),
            &fresh_path,
        )
        .unwrap();
    let fresh = std::fs::read_to_string(&fresh_path).unwrap();
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(tessera_desktop::BINDINGS);
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: regenerate it with `UPDATE_BINDINGS=1 cargo test -p tessera-desktop --test bindings`",
        committed_path.display()
    );
}
