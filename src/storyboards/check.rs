//! Everything about a storyboard that can be checked before any frame is drawn, each problem
//! naming its scene and layer: the document's shape, scene targets, the default path (it must
//! end), scenes nothing leads to (a warning), assets, colors, and merge tags that do not compile.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use super::document::{
    Background, Color, Content, Layer, Scene, Storyboard, TimeRange, TransitionKind, FORMAT_VERSION,
};
use crate::templates::plan::{compile, Escaping};

/// A problem found in a storyboard, where it is.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub scene: Option<String>,
    pub layer: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.scene, &self.layer) {
            (Some(scene), Some(layer)) => {
                write!(f, "scene '{scene}', layer '{layer}': {}", self.message)
            }
            (Some(scene), None) => write!(f, "scene '{scene}': {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// What a check found: errors stop a render; warnings are said and the render goes on.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Findings {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// The longest scene, in seconds: a storyboard is a short video.
const MAX_SCENE_SECONDS: f64 = 600.0;
/// More scenes than this is no video anyone watches (and each is encoded for every customer).
const MAX_SCENES: usize = 500;
/// All scenes together, and so every path through them, last at most this long.
const MAX_TOTAL_SECONDS: f64 = 3600.0;
const MAX_SIDE: u32 = 3840;
pub const FONTS: [&str; 2] = ["sans", "serif"];

struct Checker<'a> {
    found: Findings,
    scene: Option<&'a str>,
    layer: Option<&'a str>,
}

impl<'a> Checker<'a> {
    fn error(&mut self, message: impl Into<String>) {
        let problem = self.problem(message.into());
        self.found.errors.push(problem);
    }

    fn warn(&mut self, message: impl Into<String>) {
        let problem = self.problem(message.into());
        self.found.warnings.push(problem);
    }

    fn problem(&self, message: String) -> Problem {
        Problem {
            scene: self.scene.map(str::to_string),
            layer: self.layer.map(str::to_string),
            message,
        }
    }

    fn color(&mut self, what: &str, color: &Color) {
        if color.rgba().is_none() {
            self.error(format!(
                "{what} '{}' is not a color (#rrggbb or #rrggbbaa)",
                color.0
            ));
        }
    }

    /// A merge template (text, label, URL) that must compile.
    fn template(&mut self, what: &str, source: &str) {
        if let Err(e) = compile(source, Escaping::PlainText) {
            self.error(format!(
                "{what}, line {}, column {}: {}",
                e.line, e.column, e.message
            ));
        }
    }

    fn time(&mut self, what: &str, range: &TimeRange, duration: f64) {
        let ok = range.from.is_finite()
            && range.to.is_finite()
            && range.from >= 0.0
            && range.from < range.to
            && range.to <= duration + 1e-9;
        if !ok {
            self.error(format!(
                "{what} {}–{} s is not inside the scene's 0–{duration} s",
                range.from, range.to
            ));
        }
    }
}

/// A name the document may give a scene or a layer.
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// The scene the default path takes after `scene`: its default choice, else its `next`.
pub fn default_next(scene: &Scene) -> Option<&str> {
    match scene.choices.iter().find(|c| c.default) {
        Some(choice) => Some(&choice.scene),
        None if scene.choices.is_empty() => scene.next.as_deref(),
        None => scene.choices.first().map(|c| c.scene.as_str()),
    }
}

/// Every scene `scene` can lead to: its next, its choices and its hotspots.
fn targets(scene: &Scene) -> impl Iterator<Item = &str> {
    scene
        .next
        .iter()
        .map(String::as_str)
        .chain(scene.choices.iter().map(|c| c.scene.as_str()))
        .chain(scene.hotspots.iter().filter_map(|h| h.scene.as_deref()))
}

/// The scenes of the default path from the start, in order (the linear cut), or the scenes of
/// the cycle it cannot leave.
pub fn default_path(board: &Storyboard) -> Result<Vec<&str>, Vec<&str>> {
    let by_id: HashMap<&str, &Scene> = board.scenes.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut path: Vec<&str> = Vec::new();
    // Where each scene is on the path so far (a cycle is found in one step, not a search).
    let mut on_path: HashMap<&str, usize> = HashMap::new();
    let mut at = Some(board.start.as_str());
    while let Some(id) = at {
        if let Some(&i) = on_path.get(id) {
            return Err(path[i..].to_vec());
        }
        on_path.insert(id, path.len());
        let Some(scene) = by_id.get(id) else { break };
        path.push(id);
        at = default_next(scene);
    }
    Ok(path)
}

/// Checks `board`; `has_asset_file` says whether the storyboard's folder holds a file.
pub fn check(board: &Storyboard, has_asset_file: &dyn Fn(&str) -> bool) -> Findings {
    let mut c = Checker {
        found: Findings::default(),
        scene: None,
        layer: None,
    };
    if board.format != FORMAT_VERSION {
        c.error(format!(
            "format {} is not supported (this Tessera reads format {FORMAT_VERSION})",
            board.format
        ));
        return c.found;
    }
    let canvas = board.canvas;
    if canvas.width < 16
        || canvas.height < 16
        || canvas.width > MAX_SIDE
        || canvas.height > MAX_SIDE
        || canvas.width % 2 == 1
        || canvas.height % 2 == 1
    {
        c.error(format!(
            "the canvas is {}×{}: each side must be an even number of pixels from 16 to {MAX_SIDE}",
            canvas.width, canvas.height
        ));
    }
    if !(1..=60).contains(&canvas.fps) {
        c.error(format!("{} frames per second: from 1 to 60", canvas.fps));
    }
    for (name, asset) in &board.assets {
        if !has_asset_file(&asset.file) {
            c.error(format!(
                "asset '{name}': there is no file '{}' beside the storyboard",
                asset.file
            ));
        }
    }
    if board.scenes.is_empty() {
        c.error("a storyboard needs at least one scene");
        return c.found;
    }
    if board.scenes.len() > MAX_SCENES {
        c.error(format!(
            "a storyboard has at most {MAX_SCENES} scenes, not {}",
            board.scenes.len()
        ));
        return c.found;
    }
    let total: f64 = board.scenes.iter().map(|s| s.duration).sum();
    if total > MAX_TOTAL_SECONDS {
        c.error(format!(
            "the scenes last {:.0} s together: a storyboard's scenes last at most {} minutes together",
            total,
            MAX_TOTAL_SECONDS / 60.0
        ));
    }
    let mut ids = HashSet::new();
    for scene in &board.scenes {
        if !plain_id(&scene.id) {
            c.error(format!(
                "'{}' is not a scene id (letters, digits, - and _)",
                scene.id
            ));
        } else if !ids.insert(scene.id.as_str()) {
            c.error(format!("two scenes are named '{}'", scene.id));
        }
    }
    let known = |id: &str| ids.contains(id);
    if !known(&board.start) {
        c.error(format!(
            "the start scene '{}' is not a scene of this storyboard",
            board.start
        ));
    }
    for chapter in &board.chapters {
        if !known(&chapter.scene) {
            c.error(format!(
                "chapter '{}' starts at '{}', which is not a scene",
                chapter.title, chapter.scene
            ));
        }
    }
    for scene in &board.scenes {
        c.scene = Some(&scene.id);
        check_scene(&mut c, board, scene, &known);
    }
    c.scene = None;
    c.layer = None;
    if c.found.errors.is_empty() {
        if let Err(cycle) = default_path(board) {
            c.error(format!(
                "the default path goes round {} and never ends: give one of these scenes a default choice or next that leaves them, or none",
                cycle.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(" → ")
            ));
        }
        for id in unreachable(board) {
            c.scene = Some(id);
            c.warn("no scene, choice, hotspot or chapter leads here: no one will see it");
        }
    }
    c.found
}

fn check_scene<'a>(
    c: &mut Checker<'a>,
    board: &'a Storyboard,
    scene: &'a Scene,
    known: &dyn Fn(&str) -> bool,
) {
    let duration = scene.duration;
    if !(duration.is_finite() && duration > 0.0 && duration <= MAX_SCENE_SECONDS) {
        c.error(format!(
            "lasts {duration} s: a scene lasts more than 0 and at most {MAX_SCENE_SECONDS} s"
        ));
        return;
    }
    match &scene.background {
        Background::Color(color) => c.color("the background", color),
        Background::Gradient { from, to, angle } => {
            c.color("the background's first color", from);
            c.color("the background's second color", to);
            if !angle.is_finite() {
                c.error("the gradient's angle is not a number");
            }
        }
        Background::Image(asset) => asset_named(c, board, asset),
        Background::ImageField { fallback, .. } => asset_named(c, board, fallback),
    }
    let transition = scene.transition;
    if !(transition.duration.is_finite()
        && transition.duration >= 0.0
        && transition.duration <= duration)
    {
        c.error(format!(
            "the transition lasts {} s: at most the scene's {duration} s",
            transition.duration
        ));
    }
    if transition.kind != TransitionKind::Cut && !scene.choices.is_empty() {
        c.warn("a scene with choices ends on a cut: its transition is not drawn (the chosen scene starts on a cut)");
    }
    if let Some(next) = &scene.next {
        if !known(next) {
            c.error(format!("next is '{next}', which is not a scene"));
        }
    }
    if !scene.choices.is_empty() && scene.choices.iter().filter(|ch| ch.default).count() != 1 {
        c.error("one choice must be the default: the one taken when the viewer does not choose, and in the linear cut");
    }
    for choice in &scene.choices {
        if !known(&choice.scene) {
            c.error(format!(
                "the choice '{}' jumps to '{}', which is not a scene",
                choice.label, choice.scene
            ));
        }
        c.template(&format!("the choice '{}'", choice.label), &choice.label);
    }
    for hotspot in &scene.hotspots {
        match (&hotspot.scene, &hotspot.url) {
            (Some(target), None) if !known(target) => c.error(format!(
                "the hotspot '{}' jumps to '{target}', which is not a scene",
                hotspot.label
            )),
            (Some(_), None) => {}
            (None, Some(url)) => c.template(&format!("the hotspot '{}' link", hotspot.label), url),
            _ => c.error(format!(
                "the hotspot '{}' needs a scene to jump to or a URL to open (one of the two)",
                hotspot.label
            )),
        }
        if let Some(range) = &hotspot.time {
            c.time(
                &format!("the hotspot '{}' is shown", hotspot.label),
                range,
                duration,
            );
        }
    }
    if let Some(cta) = &scene.call_to_action {
        c.template("the call to action's label", &cta.label);
        c.template("the call to action's link", &cta.url);
    }
    let mut layer_ids = HashSet::new();
    for layer in &scene.layers {
        c.layer = Some(&layer.id);
        if !plain_id(&layer.id) {
            c.error("is not a layer id (letters, digits, - and _)");
        } else if !layer_ids.insert(layer.id.as_str()) {
            c.error("two layers of this scene have this id");
        }
        check_layer(c, board, layer, duration);
    }
    c.layer = None;
}

fn check_layer<'a>(c: &mut Checker<'a>, board: &'a Storyboard, layer: &'a Layer, duration: f64) {
    let f = layer.frame;
    if !(f.x.is_finite()
        && f.y.is_finite()
        && f.width.is_finite()
        && f.height.is_finite()
        && f.width > 0.0
        && f.height > 0.0)
    {
        c.error("its box needs a width and a height above 0");
    } else if f.width > f64::from(MAX_SIDE) * 2.0 || f.height > f64::from(MAX_SIDE) * 2.0 {
        // Each layer is drawn into a picture of its box's size.
        c.error(format!(
            "its box is {}×{}: at most {} px on each side",
            f.width,
            f.height,
            MAX_SIDE * 2
        ));
    }
    let shown = layer.time.unwrap_or(TimeRange {
        from: 0.0,
        to: duration,
    });
    if let Some(range) = &layer.time {
        c.time("it is shown", range, duration);
    }
    for animation in &layer.animations {
        let ok = animation.delay.is_finite()
            && animation.duration.is_finite()
            && animation.delay >= 0.0
            && animation.duration >= 0.0;
        if !ok {
            c.error("an animation's delay and duration are seconds, 0 or more");
        } else if shown.from + animation.delay + animation.duration > shown.to + 1e-9 {
            c.warn(format!(
                "its {:?} animation ends after the layer is gone: it is cut short",
                animation.kind
            ));
        }
    }
    match &layer.content {
        Content::Text { text, style } | Content::Number { text, style, .. } => {
            c.template("its text", text);
            c.color("its color", &style.color);
            if let Some(background) = &style.background {
                c.color("its background", background);
            }
            if let Some(outline) = &style.outline {
                c.color("its outline", &outline.color);
            }
            if !FONTS.contains(&style.font.as_str()) {
                c.error(format!(
                    "font '{}' is not one of {}",
                    style.font,
                    FONTS.join(", ")
                ));
            }
            if !(style.size.is_finite() && style.size >= 4.0 && style.size <= 1000.0) {
                c.error(format!("text size {} px: from 4 to 1000", style.size));
            }
        }
        Content::Image { asset, field, .. } => match (asset, field) {
            (Some(asset), _) => asset_named(c, board, asset),
            (None, Some(_)) => c.error(
                "an image from the customer's data needs an asset to show when they have none",
            ),
            (None, None) => {
                c.error("an image layer needs an asset (or a field with an asset as its fallback)")
            }
        },
        Content::Shape { fill, radius, .. } => {
            c.color("its fill", fill);
            if !(radius.is_finite() && *radius >= 0.0) {
                c.error("its corner radius is pixels, 0 or more");
            }
        }
    }
}

fn asset_named(c: &mut Checker, board: &Storyboard, asset: &str) {
    if !board.assets.contains_key(asset) {
        c.error(format!(
            "there is no asset '{asset}' in the storyboard's assets"
        ));
    }
}

/// The scenes the viewer can reach from the start or a chapter (directly or through others),
/// by index in the board's order.
pub fn reachable(board: &Storyboard) -> Vec<usize> {
    let by_id: BTreeMap<&str, &Scene> = board.scenes.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut pending: Vec<&str> = std::iter::once(board.start.as_str())
        .chain(board.chapters.iter().map(|ch| ch.scene.as_str()))
        .collect();
    while let Some(id) = pending.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(scene) = by_id.get(id) {
            pending.extend(targets(scene));
        }
    }
    (0..board.scenes.len())
        .filter(|&i| seen.contains(board.scenes[i].id.as_str()))
        .collect()
}

/// Scenes nothing leads to from the start or a chapter.
fn unreachable(board: &Storyboard) -> Vec<&str> {
    let reached: HashSet<usize> = reachable(board).into_iter().collect();
    (0..board.scenes.len())
        .filter(|i| !reached.contains(i))
        .map(|i| board.scenes[i].id.as_str())
        .collect()
}
