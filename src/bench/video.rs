//! Personalized video against what a user would script by hand: Debian's ffmpeg drawing the same
//! three text layers (drawtext, the same font file) and the same image over the same background,
//! encoding with libx264 at the same settings, in the same run.
//!
//! Fairness: the same 1280×720 canvas, 30 fps, 15 seconds, the same customers' texts; both sides
//! write an MP4 to the same disk; rounds alternate ours and theirs, and medians are compared.
//! The frame and GIF numbers are ours alone (the targets are absolute: 10 ms, 300 ms).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};
use tiny_skia::Pixmap;

use crate::microsites::files::SiteFiles;
use crate::storyboards::draw::{draw_frame, prepare_scene};
use crate::storyboards::encode::{png, PngSize};
use crate::storyboards::text::Fonts;
use crate::storyboards::video::{Formats, VideoTemplate};
use crate::storyboards::{compile_storyboard, DOCUMENT};
use crate::templates::Notes;

const ROUNDS: usize = 3;
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const FONT_BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A 15-second scene: a background picture, a product image, three texts of the customer;
/// `moving`: the image slides for the whole 15 s, so that no two frames are the same.
fn storyboard(moving: bool) -> Value {
    let slide = if moving {
        json!([{"kind": "slide_from_left", "duration": 15, "easing": "linear"}])
    } else {
        json!([])
    };
    json!({"format": 1, "name": "Bench", "canvas": {"width": 1280, "height": 720, "fps": 30}, "start": "s",
    "assets": {"background": {"file": "assets/background.png"}, "product": {"file": "assets/product.png"}},
    "scenes": [{"id": "s", "duration": 15, "background": {"image": "background"}, "layers": [
        {"id": "name", "type": "text", "text": "Hello {{first_name}}!", "box": {"x": 80, "y": 80, "width": 1100, "height": 90}, "style": {"size": 64, "weight": 700}},
        {"id": "orders", "type": "text", "text": "{{orders_count}} orders this year", "box": {"x": 80, "y": 200, "width": 1100, "height": 70}, "style": {"size": 48}},
        {"id": "pick", "type": "text", "text": "Picked for you: {{product}}", "box": {"x": 80, "y": 600, "width": 1100, "height": 70}, "style": {"size": 40}},
        {"id": "image", "type": "image", "asset": "product", "box": {"x": 860, "y": 260, "width": 320, "height": 320}, "animations": slide}
    ]}]})
}

fn customer(i: usize) -> Value {
    json!({"first_name": format!("Customer{i}"), "orders_count": 3 + i % 9, "product": format!("Product {}", i % 50)})
}

/// The storyboard's folder: its document and two pictures (drawn by the image crate).
fn folder(scratch: &Path, moving: bool) -> Result<SiteFiles, Box<dyn std::error::Error>> {
    let dir = scratch.join("bench-storyboard");
    std::fs::create_dir_all(dir.join("assets"))?;
    std::fs::write(dir.join(DOCUMENT), storyboard(moving).to_string())?;
    image::RgbImage::from_fn(1280, 720, |x, y| {
        image::Rgb([(20 + x / 16) as u8, (30 + y / 12) as u8, 90])
    })
    .save(dir.join("assets/background.png"))?;
    image::RgbImage::from_fn(320, 320, |x, y| {
        image::Rgb([200, (x / 2) as u8, (y / 2) as u8])
    })
    .save(dir.join("assets/product.png"))?;
    Ok(SiteFiles::read_folder(&dir)?)
}

/// ffmpeg drawing the same texts over the same pictures (the image sliding in as ours when
/// `moving`), encoding as ours does.
fn baseline(scratch: &Path, data: &Value, moving: bool, out: &Path) -> Option<f64> {
    let dir = scratch.join("bench-storyboard/assets");
    let text = |s: String| {
        s.replace('\\', "\\\\")
            .replace(':', "\\:")
            .replace('\'', "\\'")
    };
    let filter = format!(
        "[0:v][1:v]overlay=x='{}':y=260,drawtext=fontfile={FONT_BOLD}:text='{}':fontsize=64:fontcolor=white:x=80:y=80,\
         drawtext=fontfile={FONT}:text='{}':fontsize=48:fontcolor=white:x=80:y=200,\
         drawtext=fontfile={FONT}:text='{}':fontsize=40:fontcolor=white:x=80:y=600,format=yuv420p",
        // Ours slides from 15% of the box's larger side to the left (48 px), linearly.
        if moving { "860-48*(1-t/15)" } else { "860" },
        text(format!("Hello {}!", data["first_name"].as_str()?)),
        text(format!("{} orders this year", data["orders_count"])),
        text(format!("Picked for you: {}", data["product"].as_str()?)),
    );
    let start = Instant::now();
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-loop",
            "1",
            "-framerate",
            "30",
            "-t",
            "15",
            "-i",
        ])
        .arg(dir.join("background.png"))
        .arg("-i")
        .arg(dir.join("product.png"))
        .args([
            "-filter_complex",
            &filter,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "23",
            "-g",
            "60",
        ])
        .args(["-movflags", "+faststart", "-r", "30"])
        .arg(out)
        .status()
        .ok()?;
    status.success().then(|| start.elapsed().as_secs_f64())
}

pub fn bench_video(scratch: &Path) -> Result<(), Box<dyn std::error::Error>> {
    println!("Personalized video (1280×720, 30 fps, 15 s; three text layers and an image):");
    let mut fonts = Fonts::load()?;
    for moving in [false, true] {
        let (video, _) = compile_storyboard(&folder(scratch, moving)?)?;
        if moving {
            println!("  the image moving throughout (every frame drawn and encoded anew):");
            bench_frame(&video, &mut fonts);
        } else {
            println!(
                "  still once drawn (frames that do not change are drawn and converted once):"
            );
        }
        bench_mp4(scratch, &video, moving, &mut fonts)?;
    }
    let (video, _) = compile_storyboard(&folder(scratch, true)?)?;
    let mut gif_ms = Vec::new();
    for round in 0..ROUNDS {
        let out = scratch.join(format!("bench-gif-{round}"));
        let start = Instant::now();
        video.render(
            &customer(round),
            &HashMap::new(),
            &mut fonts,
            (Formats::parse("gif")?, &out),
            &mut Notes::default(),
        )?;
        gif_ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "  GIF thumbnail (480 px, 3 s, moving):   {:6.0} ms   target < 300 ms",
        median(gif_ms)
    );
    Ok(())
}

/// A customer's MP4, ours and ffmpeg's, alternated.
fn bench_mp4(
    scratch: &Path,
    video: &VideoTemplate,
    moving: bool,
    fonts: &mut Fonts,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let data = customer(round);
        let out = scratch.join(format!("bench-video-{round}"));
        let start = Instant::now();
        video.render(
            &data,
            &HashMap::new(),
            fonts,
            (Formats::parse("mp4")?, &out),
            &mut Notes::default(),
        )?;
        ours.push(start.elapsed().as_secs_f64());
        if let Some(seconds) = baseline(
            scratch,
            &data,
            moving,
            &scratch.join(format!("bench-ffmpeg-{round}.mp4")),
        ) {
            theirs.push(seconds);
        }
    }
    let ours = median(ours);
    let frames = 450.0;
    println!(
        "    MP4 per customer (two cores):        {ours:6.2} s   {:6.0} frames/s   target < 3 s",
        frames / ours
    );
    if theirs.is_empty() {
        println!("    ffmpeg drawtext + libx264:           baseline not available (is ffmpeg installed?)");
    } else {
        let theirs = median(theirs);
        println!(
            "    ffmpeg drawtext + libx264:           {theirs:6.2} s   {:6.0} frames/s   ours take {:.2}x its time",
            frames / theirs,
            ours / theirs
        );
    }
    Ok(())
}

/// One frame, on one core: every layer composited at a time inside the scene, after the scene
/// was prepared for the customer (also reported: it is paid once per customer and scene).
fn bench_frame(video: &VideoTemplate, fonts: &mut Fonts) {
    let board = &video.board;
    let data = customer(7);
    let start = Instant::now();
    let (scene, _) = prepare_scene(
        board,
        &video.compiled,
        0,
        &data,
        fonts,
        &video.images,
        &HashMap::new(),
        &mut Notes::default(),
    );
    let prepare_ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut frame = Pixmap::new(board.canvas.width, board.canvas.height).expect("a canvas");
    let mut times = Vec::new();
    for k in 0..90 {
        let start = Instant::now();
        draw_frame(&scene, f64::from(k) / 30.0, fonts, &mut frame);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    // The frame is real: it encodes as any other.
    let bytes = png(&frame, PngSize::Small).len();
    println!(
        "    one frame (one core):                {:6.2} ms   target < 10 ms   (preparing the scene for a customer: {prepare_ms:.1} ms; a PNG of it: {} KB)",
        median(times),
        bytes / 1024
    );
}
