//! MJML as users bring it: every template of a corpus compiles, and renders with the same
//! text, images and links as mjml 5.1 (`tests/mjml/structure.mjs` compares them; mjml comes
//! from the UI's npm packages). The corpus is `tests/fixtures/mjml` — the constructs the
//! official templates use (mjmlio/email-templates, which carries no licence to copy it here) —
//! and, when `MJML_CORPUS` names a folder, every template in it too.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tessera_engine::templates::{compile_email, Notes};

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut folders = vec![root.join("tests/fixtures/mjml")];
    if let Some(extra) = std::env::var_os("MJML_CORPUS") {
        folders.push(PathBuf::from(extra));
    }
    let mut files: Vec<PathBuf> = folders
        .iter()
        .flat_map(|f| std::fs::read_dir(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "mjml"))
        .collect();
    files.sort();
    files
}

/// Data that renders each plain `{{Name}}` tag as itself: mjml leaves such tags as text, and
/// they are to compare equal.
fn echo_tags(source: &str) -> Value {
    let mut data = serde_json::Map::new();
    for piece in source.split("{{").skip(1) {
        let Some((tag, _)) = piece.split_once("}}") else {
            continue;
        };
        let tag = tag.trim();
        if !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            data.insert(tag.to_string(), json!(format!("{{{{{tag}}}}}")));
        }
    }
    Value::Object(data)
}

/// Where Tessera knowingly differs from mjml, in templates of the official corpus: the file and
/// what the difference shows.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    // A stray "a" typed between two columns: mjml drops text there, MJML's Rust parser keeps it.
    (
        "ticketshop.mjml",
        "\"tessera\":\"a [[DELIVERY_INFO]]",
        "stray text between columns",
    ),
    // `<mj-raw>&lt;!--[if !mso]…` : mjml 5 writes the escaped text out (it shows in the email);
    // Tessera writes the comment the author meant.
    (
        "ugg-royale.mjml",
        "\"mjml\":\"<!--[if !mso]>",
        "escaped comment in mj-raw",
    ),
];

#[test]
fn every_corpus_template_compiles_and_renders_like_mjml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("ui/node_modules/mjml").is_dir(),
        "mjml is missing: npm install --prefix ui"
    );
    let scratch = tempfile::tempdir().unwrap();
    let files = corpus();
    assert!(files.len() >= 5, "{files:?}");
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let source = std::fs::read_to_string(file).unwrap();
        let email = match compile_email(&source) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{name}: does not compile: {e}"));
                continue;
            }
        };
        for w in &email.warnings {
            assert!(
                !w.contains('-') || w.contains(' '),
                "{name}: a raw warning code: {w}"
            );
        }
        let html = email
            .render(&echo_tags(&source), &mut Notes::default())
            .unwrap()
            .html;
        let ours = scratch.path().join(format!("{name}.html"));
        std::fs::write(&ours, html).unwrap();
        let out = std::process::Command::new("node")
            .arg(root.join("tests/mjml/structure.mjs"))
            .arg(file)
            .arg(&ours)
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let compared: Value = serde_json::from_slice(&out.stdout).unwrap();
        let differences = compared["differences"].to_string();
        let known = KNOWN_DIFFERENCES
            .iter()
            .find(|(file, shows, _)| *file == name && differences.contains(shows));
        if compared["same"] != true && known.is_none() {
            failures.push(format!("{name}: {differences}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
