//! Interactive video storyboards: the document (`document`, with its JSON Schema), what is
//! checked before a frame is drawn (`check`), a template folder (`template`), text shaped with
//! real fonts (`text`), frames (`draw`), the files made of them (`encode`, `video`), the
//! interactive player (`player`), and the campaign format (`render`).

pub mod audience;
pub mod check;
pub mod document;
pub mod draw;
pub mod encode;
pub mod player;
pub mod preview;
pub mod render;
pub mod template;
pub mod text;
pub mod video;

pub use check::{Findings, Problem};
pub use document::Storyboard;
pub use template::{compile_storyboard, StoryboardError, DOCUMENT};

/// The storyboard in `text`, or where it is not one: (line, column, message).
pub fn parse(text: &str) -> Result<Storyboard, (usize, usize, String)> {
    let place = |e: serde_json::Error| (e.line(), e.column(), e.to_string());
    crate::document::unique_keys(text).map_err(place)?;
    serde_json::from_str(text).map_err(place)
}
