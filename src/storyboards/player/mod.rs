//! The interactive player: a folder that plays every branch of a customer's storyboard — one
//! H.264 clip per scene, with its choices, hotspots, chapters and call to action as buttons and
//! links over the video (labelled, reachable by keyboard) and captions from its texts. It works
//! opened from disk (`file://`: the storyboard and captions are in the page, as browsers do not
//! let a local page fetch files) and hosted; served by `tessera serve`, it reports what the
//! viewer does (`POST event`), which becomes the customer's events.
//!
//! Customer data reaches the page only as JSON in a data block (`<` escaped, so it cannot end
//! the block) and is put into the page as text by the script, never as markup; links open only
//! `http`, `https` and `mailto` URLs.

use serde_json::{json, Value};

use super::document::{Storyboard, TimeRange};
use super::draw::{locale_of, scene_texts, Interaction};
use super::video::VideoTemplate;
use crate::templates::plan::escape_text;
use crate::templates::Notes;

/// The folder of a player's scene clips.
pub const SCENES: &str = "scenes";
pub const PAGE: &str = "index.html";
const SCRIPT: &str = include_str!("player.js");
const STYLE: &str = include_str!("player.css");

/// A scene's clip in the player's folder.
pub fn clip_name(board: &Storyboard, s: usize) -> String {
    format!("{SCENES}/{}.mp4", board.scenes[s].id)
}

/// A scene's captions in the player's folder (WebVTT, for tools that read them; the page has
/// its own copy).
fn captions_name(board: &Storyboard, s: usize) -> String {
    format!("captions/{}.vtt", board.scenes[s].id)
}

/// The words of the player's own buttons, in the storyboard's language.
fn strings(language: &str) -> Value {
    if language == "zh" {
        json!({
            "play": "播放", "pause": "暂停", "captions": "字幕", "choose": "请选择",
            "chapters": "章节", "replay": "重新观看", "video": "视频",
            "countdown": "{seconds} 秒后继续播放“{label}”",
            "noscript": "此播放器需要 JavaScript。",
        })
    } else {
        json!({
            "play": "Play", "pause": "Pause", "captions": "Captions", "choose": "Choose",
            "chapters": "Chapters", "replay": "Watch again", "video": "Video",
            "countdown": "Continuing with “{label}” in {seconds} s",
            "noscript": "This player needs JavaScript.",
        })
    }
}

/// A link the player may open: `http`, `https` or `mailto` (anything else, `javascript:`
/// above all, is dropped with its button).
fn safe_link(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len());
    (allowed && !url.chars().any(char::is_control)).then(|| url.to_string())
}

/// The player's files for the customer whose merge data is `data`: its page, script, style,
/// captions, and the poster and thumbnail when made (the clips, named by `clip_name`, are
/// written by the caller). `clips` are the scenes it plays, by index.
pub fn package(
    template: &VideoTemplate,
    data: &Value,
    clips: &[usize],
    (poster, thumbnail): (Option<&[u8]>, Option<&[u8]>),
    fields: &mut Notes,
) -> Vec<(String, Vec<u8>)> {
    let board = &template.board;
    let locale = locale_of(board, data);
    let language = if board.default_locale.starts_with("zh") {
        "zh"
    } else {
        "en"
    };
    let has_clip = |id: &str| clips.iter().any(|&s| board.scenes[s].id == id);
    let mut files = Vec::new();
    let mut scenes = serde_json::Map::new();
    for &s in clips {
        let scene = &board.scenes[s];
        let mut text = |which| {
            template
                .compiled
                .interaction((s, which), data, locale, fields)
        };
        let choices: Vec<Value> = scene
            .choices
            .iter()
            .enumerate()
            .filter(|(_, c)| has_clip(&c.scene))
            .map(|(i, c)| {
                json!({"label": text(Interaction::Choice(i)), "scene": c.scene, "default": c.default})
            })
            .collect();
        let (width, height) = (
            f64::from(board.canvas.width),
            f64::from(board.canvas.height),
        );
        let hotspots: Vec<Value> = scene
            .hotspots
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let range = h.time.unwrap_or(super::document::TimeRange {
                    from: 0.0,
                    to: scene.duration,
                });
                let mut spot = json!({
                    "label": text(Interaction::HotspotLabel(i)),
                    // Percentages of the frame: the overlay scales with the video.
                    "left": 100.0 * h.frame.x / width,
                    "top": 100.0 * h.frame.y / height,
                    "width": 100.0 * h.frame.width / width,
                    "height": 100.0 * h.frame.height / height,
                    "from": range.from,
                    "to": range.to,
                });
                match (&h.scene, &h.url) {
                    (Some(target), _) if has_clip(target) => spot["scene"] = json!(target),
                    (None, Some(_)) => {
                        spot["url"] = json!(safe_link(&text(Interaction::HotspotUrl(i)))?)
                    }
                    _ => return None,
                }
                Some(spot)
            })
            .collect();
        let action = scene.call_to_action.as_ref().and_then(|_| {
            let label = text(Interaction::ActionLabel);
            let url = safe_link(&text(Interaction::ActionUrl))?;
            (!label.trim().is_empty()).then(|| json!({"label": label, "url": url}))
        });
        let captions = caption_cues(&scene_texts(board, &template.compiled, s, data), scene.duration);
        files.push((captions_name(board, s), webvtt(&captions).into_bytes()));
        let next = scene
            .next
            .as_deref()
            .filter(|n| scene.choices.is_empty() && has_clip(n));
        scenes.insert(
            scene.id.clone(),
            json!({
                "clip": clip_name(board, s),
                "duration": scene.duration,
                "next": next,
                "choices": choices,
                "hotspots": hotspots,
                "action": action,
                "captions": captions,
            }),
        );
    }
    let chapters: Vec<Value> = board
        .chapters
        .iter()
        .filter(|c| has_clip(&c.scene))
        .map(|c| json!({"title": c.title, "scene": c.scene}))
        .collect();
    let strings = strings(language);
    let document = json!({
        "title": board.name,
        "language": language,
        "width": board.canvas.width,
        "height": board.canvas.height,
        "start": board.start,
        "poster": poster.is_some(),
        "strings": strings,
        "chapters": chapters,
        "scenes": scenes,
    });
    files.push((
        PAGE.into(),
        page(board, language, &strings, &document).into_bytes(),
    ));
    files.push(("player.js".into(), SCRIPT.as_bytes().to_vec()));
    files.push(("player.css".into(), STYLE.as_bytes().to_vec()));
    if let Some(poster) = poster {
        files.push((super::video::POSTER.into(), poster.to_vec()));
    }
    if let Some(gif) = thumbnail {
        files.push((super::video::GIF.into(), gif.to_vec()));
    }
    files
}

/// JSON that cannot close the `<script>` block it is in, nor open a comment.
fn data_block(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn page(board: &Storyboard, language: &str, strings: &Value, document: &Value) -> String {
    let word = |key: &str| escape_text(strings[key].as_str().unwrap_or_default());
    let title = escape_text(&board.name);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"player.css\">\n</head>\n<body>\n\
         <main class=\"player\">\n<h1>{title}</h1>\n\
         <div class=\"stage\" id=\"stage\">\n\
         <video id=\"video\" playsinline muted preload=\"auto\" aria-label=\"{video}\"></video>\n\
         <div class=\"hotspots\" id=\"hotspots\"></div>\n\
         <div class=\"choices\" id=\"choices\" role=\"group\" aria-labelledby=\"choices-title\" hidden>\n\
         <p class=\"choices-title\" id=\"choices-title\">{choose}</p>\n<div class=\"buttons\"></div>\n\
         <p class=\"countdown\" aria-live=\"polite\"></p>\n</div>\n\
         <div class=\"ending\" id=\"ending\" hidden><button type=\"button\" id=\"replay\">{replay}</button></div>\n\
         <button type=\"button\" class=\"start\" id=\"start\">▶ {play}</button>\n</div>\n\
         <div class=\"controls\">\n\
         <button type=\"button\" id=\"play\" disabled>{pause}</button>\n\
         <button type=\"button\" id=\"captions\" aria-pressed=\"true\">{captions}</button>\n\
         <a class=\"action\" id=\"action\" target=\"_blank\" rel=\"noopener noreferrer\" hidden></a>\n\
         </div>\n<nav aria-labelledby=\"chapters-title\" id=\"chapters-nav\">\n\
         <h2 id=\"chapters-title\">{chapters}</h2>\n<ol id=\"chapters\"></ol>\n</nav>\n\
         <noscript><p>{noscript}</p></noscript>\n</main>\n\
         <script type=\"application/json\" id=\"storyboard\">{data}</script>\n\
         <script src=\"player.js\"></script>\n</body>\n</html>\n",
        video = word("video"),
        choose = word("choose"),
        replay = word("replay"),
        play = word("play"),
        pause = word("pause"),
        captions = word("captions"),
        chapters = word("chapters"),
        noscript = word("noscript"),
        data = data_block(document),
    )
}

/// The scene's texts as captions that never overlap: a cue per stretch of time in which the same
/// texts are shown, their lines in reading order. (Overlapping cues are stacked by players
/// with the first one lowest, so a title above its subtitle would read upside down.)
fn caption_cues(texts: &[(TimeRange, String)], duration: f64) -> Vec<Value> {
    let within = |t: f64| t.clamp(0.0, duration);
    let mut times: Vec<f64> = texts
        .iter()
        .flat_map(|(shown, _)| [within(shown.from), within(shown.to)])
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut cues: Vec<(f64, f64, String)> = Vec::new();
    for pair in times.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let lines: Vec<&str> = texts
            .iter()
            .filter(|(shown, _)| within(shown.from) <= from && within(shown.to) >= to)
            .map(|(_, text)| text.as_str())
            .collect();
        if lines.is_empty() {
            continue;
        }
        let text = lines.join("\n");
        match cues.last_mut() {
            Some(last) if last.1 == from && last.2 == text => last.1 = to,
            _ => cues.push((from, to, text)),
        }
    }
    cues.into_iter()
        .map(|(from, to, text)| json!({"from": from, "to": to, "text": text}))
        .collect()
}

/// Captions as WebVTT: cue text escaped, blank lines (which would end a cue) left out.
fn webvtt(captions: &[Value]) -> String {
    let mut out = String::from("WEBVTT\n");
    for cue in captions {
        let time = |key: &str| {
            let ms = (cue[key].as_f64().unwrap_or(0.0) * 1000.0).round().max(0.0) as u64;
            format!(
                "{:02}:{:02}:{:02}.{:03}",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        };
        let text: Vec<String> = cue["text"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                l.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            })
            .collect();
        out.push_str(&format!(
            "\n{} --> {}\n{}\n",
            time("from"),
            time("to"),
            text.join("\n")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_open() {
        assert_eq!(
            safe_link(" https://x.example/a ").as_deref(),
            Some("https://x.example/a")
        );
        assert!(safe_link("mailto:a@x.example").is_some());
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "https://",
            "",
            "//x.example",
            "https://x\n.example",
        ] {
            assert_eq!(safe_link(bad), None, "{bad}");
        }
    }

    #[test]
    fn captions_never_overlap_and_keep_their_lines_in_reading_order() {
        let shown = |from, to| TimeRange { from, to };
        let texts = [
            (shown(0.0, 4.0), "Hello Zoë".to_string()),
            (shown(1.0, 9.0), "Your year with us".to_string()),
            (shown(6.0, 8.0), "1,240 points".to_string()),
        ];
        assert_eq!(
            caption_cues(&texts, 5.0),
            [
                json!({"from": 0.0, "to": 1.0, "text": "Hello Zoë"}),
                json!({"from": 1.0, "to": 4.0, "text": "Hello Zoë\nYour year with us"}),
                json!({"from": 4.0, "to": 5.0, "text": "Your year with us"}),
            ],
            "cut at the scene's end; what starts after it is not captioned"
        );
        assert_eq!(caption_cues(&[], 5.0), Vec::<Value>::new());
    }

    #[test]
    fn data_cannot_close_its_block_and_captions_cannot_end_a_cue() {
        let block = data_block(&json!({"name": "</script><script>alert(1)</script><!--"}));
        assert!(!block.contains('<') && !block.contains('>'));
        let vtt =
            webvtt(&[json!({"from": 61.5, "to": 3723.25, "text": "a --> b\n\n<i>c</i> & d"})]);
        assert_eq!(
            vtt,
            "WEBVTT\n\n00:01:01.500 --> 01:02:03.250\na --&gt; b\n&lt;i&gt;c&lt;/i&gt; &amp; d\n"
        );
    }
}
