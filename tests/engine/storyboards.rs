use serde_json::{json, Value};
use tessera_engine::storyboards::check::{check, default_path};
use tessera_engine::storyboards::document::json_schema;
use tessera_engine::storyboards::{parse, Findings, Storyboard};

/// A small storyboard: an intro with a branching choice, two product scenes, an end screen.
fn board() -> Value {
    json!({
        "format": 1, "name": "Picks", "canvas": {"width": 1280, "height": 720, "fps": 30},
        "assets": {"logo": {"file": "assets/logo.png"}},
        "start": "intro",
        "chapters": [{"title": "Your picks", "scene": "intro"}],
        "scenes": [
            {"id": "intro", "duration": 4, "background": {"gradient": {"from": "#102030", "to": "#304050", "angle": 90}},
             "layers": [
                {"id": "title", "type": "text", "text": "{{default greeting_name \"Hello\"}}, pick one", "box": {"x": 80, "y": 200, "width": 1120, "height": 160},
                 "style": {"size": 64, "weight": 700, "align": "center"}, "animations": [{"kind": "fade_in", "duration": 0.5}]},
                {"id": "logo", "type": "image", "asset": "logo", "box": {"x": 40, "y": 40, "width": 120, "height": 60}}
             ],
             "choices": [{"label": "Coffee", "scene": "coffee", "default": true}, {"label": "Tea", "scene": "tea"}]},
            {"id": "coffee", "duration": 3, "background": {"image_field": {"field": "recommendations.0.image", "fallback": "logo"}}, "next": "end",
             "transition": {"kind": "crossfade", "duration": 0.5}},
            {"id": "tea", "duration": 3, "next": "end",
             "hotspots": [{"label": "See the tea", "box": {"x": 0, "y": 0, "width": 200, "height": 100}, "url": "{{microsite_url}}"}]},
            {"id": "end", "duration": 2, "layers": [
                {"id": "orders", "type": "number", "field": "orders_count", "text": "{{value}} orders", "box": {"x": 0, "y": 0, "width": 600, "height": 80},
                 "animations": [{"kind": "count_up", "duration": 1.5}]},
                {"id": "bar", "type": "shape", "fill": "#ffcc00", "radius": 8, "box": {"x": 0, "y": 600, "width": 1280, "height": 20}}
             ],
             "call_to_action": {"label": "Open my page", "url": "{{microsite_url}}"}}
        ]
    })
}

fn findings(doc: &Value) -> Findings {
    let board: Storyboard = parse(&doc.to_string()).unwrap();
    check(&board, &|file| file == "assets/logo.png")
}

/// The errors of `doc`, each as "scene/layer: message".
fn errors(doc: &Value) -> Vec<String> {
    findings(doc).errors.iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_good_storyboard_has_no_problems_and_a_default_path() {
    let found = findings(&board());
    assert_eq!(found, Findings::default());
    let board: Storyboard = parse(&board().to_string()).unwrap();
    assert_eq!(default_path(&board).unwrap(), ["intro", "coffee", "end"]);
}

#[test]
fn broken_storyboards_are_refused_naming_their_scene_and_layer() {
    let mut doc = board();
    doc["scenes"][0]["choices"][1]["scene"] = json!("juice");
    doc["scenes"][1]["layers"] = json!([{"id": "pic", "type": "image", "asset": "hero", "box": {"x": 0, "y": 0, "width": 10, "height": 10}}]);
    doc["scenes"][3]["layers"][0]["style"] = json!({"color": "red", "font": "comic"});
    doc["scenes"][2]["hotspots"][0]["scene"] = json!("end");
    doc["scenes"][0]["layers"][0]["time"] = json!({"from": 3, "to": 9});
    doc["scenes"][0]["layers"][1]["box"] =
        json!({"x": 0, "y": 0, "width": 100000, "height": 100000});
    let found = errors(&doc);
    let expected = [
        "scene 'intro': the choice 'Tea' jumps to 'juice', which is not a scene",
        "scene 'intro', layer 'title': it is shown 3–9 s is not inside the scene's 0–4 s",
        "scene 'intro', layer 'logo': its box is 100000×100000: at most 7680 px on each side",
        "scene 'coffee', layer 'pic': there is no asset 'hero' in the storyboard's assets",
        "scene 'tea': the hotspot 'See the tea' needs a scene to jump to or a URL to open (one of the two)",
        "scene 'end', layer 'orders': its color 'red' is not a color (#rrggbb or #rrggbbaa)",
        "scene 'end', layer 'orders': font 'comic' is not one of sans, serif",
    ];
    for e in expected {
        assert!(found.iter().any(|f| f == e), "missing {e:?} in {found:#?}");
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");

    // A merge tag that does not compile, with where in the text.
    let mut doc = board();
    doc["scenes"][0]["layers"][0]["text"] = json!("Hi {{#if vip}}friend");
    let found = errors(&doc);
    assert!(
        found[0].starts_with("scene 'intro', layer 'title': its text, line 1, column"),
        "{found:?}"
    );

    // An asset whose file is not there.
    let board: Storyboard = parse(&board().to_string()).unwrap();
    let found = check(&board, &|_| false);
    assert_eq!(
        found.errors[0].to_string(),
        "asset 'logo': there is no file 'assets/logo.png' beside the storyboard"
    );
}

#[test]
fn a_default_path_that_never_ends_is_refused_and_unreachable_scenes_are_warned_of() {
    let mut doc = board();
    doc["scenes"][3]["next"] = json!("intro");
    assert_eq!(
        errors(&doc),
        ["the default path goes round 'intro' → 'coffee' → 'end' and never ends: give one of these scenes a default choice or next that leaves them, or none"]
    );
    // A loop the viewer can leave by choosing is fine: only the default path must end.
    let mut doc = board();
    doc["scenes"][2]["next"] = json!("intro");
    assert_eq!(errors(&doc), Vec::<String>::new());
    // No way to the tea scene: a warning, the render goes on.
    let mut doc = board();
    doc["scenes"][0]["choices"] = json!([{"label": "Coffee", "scene": "coffee", "default": true}]);
    let found = findings(&doc);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert_eq!(found.warnings.len(), 1);
    assert_eq!(found.warnings[0].scene.as_deref(), Some("tea"));
    // Choices without a default: which one the linear cut takes is the author's to say.
    let mut doc = board();
    doc["scenes"][0]["choices"][0]["default"] = json!(false);
    assert!(
        errors(&doc)[0].contains("one choice must be the default"),
        "{:?}",
        errors(&doc)
    );
}

#[test]
fn a_document_that_is_not_a_storyboard_is_refused_where_it_is_wrong() {
    let mut doc = board();
    doc["scenes"][0]["layers"][0]["colour"] = json!("#ffffff");
    let (line, _, message) = parse(&serde_json::to_string_pretty(&doc).unwrap()).unwrap_err();
    assert!(
        message.contains("colour"),
        "a misspelt field is refused: {message}"
    );
    assert!(line > 1);
    let mut doc = board();
    doc["scenes"][0]["background"] = json!({"video": "x.mp4"});
    assert!(parse(&doc.to_string()).is_err());
    for bad in ["", "[]", "{\"format\": 1}", &"[".repeat(100_000)] {
        assert!(parse(bad).is_err(), "{bad:.20}");
    }
    let mut doc = board();
    doc["format"] = json!(2);
    assert_eq!(
        errors(&doc),
        ["format 2 is not supported (this Tessera reads format 1)"]
    );
    let mut doc = board();
    doc["canvas"] = json!({"width": 1281, "height": 720, "fps": 300});
    assert_eq!(errors(&doc).len(), 2, "{:?}", errors(&doc));
}

/// The published schema is the one the types make (`UPDATE_SCHEMA=1` writes it).
#[test]
fn the_published_json_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/storyboard/storyboard.schema.json");
    let schema = json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &schema).unwrap();
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == schema,
        "{} is stale: UPDATE_SCHEMA=1 cargo test --test engine storyboards",
        path.display()
    );
    let parsed: Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(parsed["title"], "Storyboard");
    assert!(parsed["$defs"]["Layer"].is_object(), "{parsed:#}");
}

mod frames {
    use std::collections::HashMap;

    use serde_json::json;
    use tessera_engine::storyboards::document::TextStyle;
    use tessera_engine::storyboards::draw::{draw_frame, prepare_scene, Compiled, Images, Pieces};
    use tessera_engine::storyboards::parse;
    use tessera_engine::storyboards::text::Fonts;
    use tiny_skia::Pixmap;

    fn style(size: f64) -> TextStyle {
        TextStyle {
            size,
            ..TextStyle::default()
        }
    }

    #[test]
    fn control_characters_and_long_counts_in_customer_data_are_drawn_safely() {
        let mut fonts = Fonts::load().unwrap();
        // Direction marks, a joiner, a NUL and a newline: nothing reported as missing, no panic.
        let layout = fonts.layout(
            "王\u{200F}芳\u{0}\n\u{202E}Zoë\u{200D}",
            &style(40.0),
            600.0,
        );
        assert!(
            layout.missing_glyphs.is_empty(),
            "{:?}",
            layout.missing_glyphs
        );
        // A count over a ten-minute scene keeps at most a few hundred steps, and ends on the value.
        let board = parse(&json!({"format": 1, "name": "Long", "canvas": {"width": 320, "height": 180, "fps": 60}, "start": "s",
            "scenes": [{"id": "s", "duration": 600, "layers": [{"id": "n", "type": "number", "field": "points", "box": {"x": 0, "y": 0, "width": 320, "height": 60},
                "animations": [{"kind": "count_up", "duration": 600}]}]}]}).to_string()).unwrap();
        let compiled = Compiled::new(&board).unwrap();
        let data = json!({"points": 123456789});
        let (scene, _) = prepare_scene(
            &board,
            &compiled,
            0,
            &data,
            &mut fonts,
            (&Images::default(), &HashMap::new()),
            &mut Pieces::default(),
            &mut Default::default(),
        );
        let (mut end, mut start) = (
            Pixmap::new(320, 180).unwrap(),
            Pixmap::new(320, 180).unwrap(),
        );
        draw_frame(&scene, 599.99, &mut fonts, &mut end);
        draw_frame(&scene, 0.0, &mut fonts, &mut start);
        assert_ne!(end.data(), start.data());
    }

    #[test]
    fn text_is_shaped_with_real_fonts_and_a_glyph_no_font_has_is_reported() {
        let mut fonts = Fonts::load().expect("the README's setup installs the fonts");
        for text in ["王芳", "Zoë Ångström", "Sunny ☀️ 😀", "Ørjan Čapek"] {
            let layout = fonts.layout(text, &style(48.0), 1000.0);
            assert!(
                layout.missing_glyphs.is_empty(),
                "{text}: {:?}",
                layout.missing_glyphs
            );
            assert!(
                layout.width > 40.0 && layout.height >= 48.0,
                "{text}: {}×{}",
                layout.width,
                layout.height
            );
        }
        let unknown = fonts.layout("Hi 𓀀", &style(48.0), 1000.0);
        assert_eq!(
            unknown.missing_glyphs,
            ['𓀀'],
            "a glyph no font has is reported, not dropped"
        );
        // A long text wraps inside its box and is found to overflow a small one.
        let long = "Wolfeschlegelsteinhausenbergerdorff und 欧阳娜娜的年度回顾";
        let one_line = fonts.layout(long, &style(40.0), 10_000.0);
        let wrapped = fonts.layout(long, &style(40.0), 400.0);
        assert!(
            wrapped.height > one_line.height * 1.5,
            "{} vs {}",
            wrapped.height,
            one_line.height
        );
        assert!(wrapped.width <= 400.5, "{}", wrapped.width);
        assert!(wrapped.overflows(400.0, 60.0));
        assert!(!one_line.overflows(10_000.0, 60.0));
    }

    fn board() -> tessera_engine::storyboards::Storyboard {
        parse(&json!({
            "format": 1, "name": "Hello", "canvas": {"width": 640, "height": 360, "fps": 30}, "start": "hi",
            "scenes": [{"id": "hi", "duration": 3, "background": {"gradient": {"from": "#102030", "to": "#305070", "angle": 0}}, "layers": [
                {"id": "name", "type": "text", "text": "{{greeting_name}}", "box": {"x": 20, "y": 20, "width": 600, "height": 80},
                 "style": {"size": 48, "weight": 700, "outline": {"color": "#000000", "width": 2}}, "animations": [{"kind": "fade_in", "duration": 0.5}]},
                {"id": "orders", "type": "number", "field": "orders_count", "text": "{{number value}} orders", "box": {"x": 20, "y": 120, "width": 600, "height": 60},
                 "animations": [{"kind": "count_up", "duration": 1}]},
                {"id": "bar", "type": "shape", "fill": "#ffcc00", "radius": 6, "box": {"x": 20, "y": 300, "width": 600, "height": 20}, "animations": [{"kind": "slide_from_left", "duration": 1}]}
            ]}]
        }).to_string()).unwrap()
    }

    fn frame(data: &serde_json::Value, t: f64) -> Pixmap {
        let board = board();
        let compiled = Compiled::new(&board).unwrap();
        let mut fonts = Fonts::load().unwrap();
        let (scene, _) = prepare_scene(
            &board,
            &compiled,
            0,
            data,
            &mut fonts,
            (&Images::default(), &HashMap::new()),
            &mut Pieces::default(),
            &mut Default::default(),
        );
        let mut out = Pixmap::new(640, 360).unwrap();
        draw_frame(&scene, t, &mut fonts, &mut out);
        out
    }

    /// How many pixels of the box (x, y, w, h) differ between two frames.
    fn differing(a: &Pixmap, b: &Pixmap, (x, y, w, h): (u32, u32, u32, u32)) -> usize {
        let mut n = 0;
        for row in y..y + h {
            for col in x..x + w {
                let i = (row * a.width() + col) as usize;
                n += usize::from(a.pixels()[i] != b.pixels()[i]);
            }
        }
        n
    }

    #[test]
    fn frames_carry_each_customers_data_and_are_identical_every_time() {
        let fang = json!({"greeting_name": "王芳", "orders_count": 12, "locale": "zh-CN"});
        let zoe = json!({"greeting_name": "Zoë 😀", "orders_count": 1250, "locale": "en-GB"});
        let nobody = json!({"greeting_name": "", "orders_count": 0});
        let (a, b, empty) = (frame(&fang, 2.0), frame(&zoe, 2.0), frame(&nobody, 2.0));
        assert_eq!(
            a.data(),
            frame(&fang, 2.0).data(),
            "the same customer's frame is byte-identical"
        );
        let name_box = (20, 20, 600, 80);
        assert!(differing(&a, &empty, name_box) > 300, "王芳 is drawn");
        assert!(differing(&b, &empty, name_box) > 300, "Zoë 😀 is drawn");
        assert!(differing(&a, &b, name_box) > 300, "each their own name");
        // Emoji keep their colours: some pixel of Zoë's name is neither grey nor the background.
        let coloured = (20..620u32)
            .flat_map(|x| (20..100u32).map(move |y| (x, y)))
            .any(|(x, y)| {
                let p = b.pixel(x, y).unwrap();
                let e = empty.pixel(x, y).unwrap();
                p != e && (i32::from(p.red()) - i32::from(p.green())).abs() > 60
            });
        assert!(coloured, "the emoji is in colour");
        // The number counts up: at the start it is 0 for everyone, at the end their own.
        let orders_box = (20, 120, 600, 60);
        assert_eq!(
            differing(&frame(&fang, 0.0), &frame(&zoe, 0.0), orders_box),
            0
        );
        assert!(differing(&frame(&zoe, 0.0), &frame(&zoe, 2.0), orders_box) > 100);
        // Fading in: the name is fainter at the start.
        assert!(differing(&frame(&fang, 0.1), &a, name_box) > 100);
    }

    #[test]
    fn frames_drawn_one_after_another_are_the_frames_drawn_alone() {
        // Still bottom layers, one fading in on top of them, one moving throughout, one appearing.
        let board = parse(&json!({"format": 1, "name": "Layers", "canvas": {"width": 320, "height": 180, "fps": 30}, "start": "s",
            "scenes": [{"id": "s", "duration": 3, "background": {"gradient": {"from": "#102030", "to": "#a0b0c0"}}, "layers": [
                {"id": "still", "type": "text", "text": "Hello {{name}}", "box": {"x": 10, "y": 10, "width": 300, "height": 40}},
                {"id": "fading", "type": "shape", "fill": "#ff000080", "box": {"x": 0, "y": 0, "width": 200, "height": 100},
                    "time": {"from": 1.0, "to": 3.0}, "animations": [{"kind": "fade_in", "duration": 0.5}]},
                {"id": "moving", "type": "shape", "shape": "ellipse", "fill": "#00ff00", "box": {"x": 200, "y": 100, "width": 50, "height": 50},
                    "animations": [{"kind": "slide_from_left", "duration": 3, "easing": "linear"}]},
                {"id": "late", "type": "text", "text": "{{name}}!", "box": {"x": 10, "y": 130, "width": 300, "height": 40},
                    "time": {"from": 2.0, "to": 3.0}}]}]}).to_string()).unwrap();
        let compiled = Compiled::new(&board).unwrap();
        let mut fonts = Fonts::load().unwrap();
        let data = json!({"name": "王芳"});
        let prepare = |fonts: &mut Fonts| {
            prepare_scene(
                &board,
                &compiled,
                0,
                &data,
                fonts,
                (&Images::default(), &HashMap::new()),
                &mut Pieces::default(),
                &mut Default::default(),
            )
            .0
        };
        let scene = prepare(&mut fonts);
        let (mut kept, mut alone) = (
            Pixmap::new(320, 180).unwrap(),
            Pixmap::new(320, 180).unwrap(),
        );
        for k in 0..90 {
            let t = f64::from(k) / 30.0;
            draw_frame(&scene, t, &mut fonts, &mut kept);
            draw_frame(&prepare(&mut fonts), t, &mut fonts, &mut alone);
            assert!(
                kept.data() == alone.data(),
                "frame {k} differs when drawn after the others"
            );
        }
    }

    /// A PNG of `width`×`height` in one colour.
    fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(width, height, image::Rgb(rgb))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        bytes
    }

    #[test]
    fn the_editors_frame_after_each_edit_is_the_frame_drawn_afresh() {
        use tessera_engine::microsites::files::SiteFiles;
        use tessera_engine::storyboards::preview::Previewer;

        let mut doc = json!({"format": 1, "name": "Edits", "canvas": {"width": 320, "height": 180, "fps": 30}, "start": "s",
            "assets": {"photo": {"file": "assets/photo.png"}, "logo": {"file": "assets/logo.png"}},
            "scenes": [{"id": "s", "duration": 3, "background": {"image": "photo"}, "layers": [
                {"id": "name", "type": "text", "text": "Hi {{greeting_name}}", "box": {"x": 10, "y": 10, "width": 300, "height": 40}},
                {"id": "logo", "type": "image", "asset": "logo", "box": {"x": 200, "y": 100, "width": 60, "height": 60}},
                {"id": "badge", "type": "shape", "fill": "#ff0000", "box": {"x": 20, "y": 120, "width": 40, "height": 40}}]}]});
        let mut files = SiteFiles::default();
        files.insert("assets/photo.png", png(64, 36, [10, 120, 40]));
        files.insert("assets/logo.png", png(16, 16, [250, 250, 0]));
        let mut data = json!({"greeting_name": "王芳"});
        let mut kept = Previewer::default();
        let mut last = String::new();
        let mut edit = |what: &str,
                        doc: &serde_json::Value,
                        files: &mut SiteFiles,
                        data: &serde_json::Value| {
            files.insert("storyboard.json", doc.to_string().into_bytes());
            let frame = kept
                .frame(files, "s", Some(1.0), data)
                .unwrap()
                .frame
                .unwrap();
            let afresh = Previewer::default()
                .frame(files, "s", Some(1.0), data)
                .unwrap()
                .frame
                .unwrap();
            assert!(
                frame == afresh,
                "{what}: the frame kept pieces it should have drawn again"
            );
            assert!(frame != last, "{what}: the edit shows");
            last = frame;
        };
        edit("first frame", &doc, &mut files, &data);
        doc["scenes"][0]["layers"][0]["box"]["x"] = json!(11);
        edit("text moved", &doc, &mut files, &data);
        doc["scenes"][0]["layers"][0]["text"] = json!("Bye {{greeting_name}}");
        edit("text changed", &doc, &mut files, &data);
        doc["scenes"][0]["layers"][0]["style"] = json!({"color": "#00ffff"});
        edit("text recoloured", &doc, &mut files, &data);
        data = json!({"greeting_name": "Zoë"});
        edit("another customer", &doc, &mut files, &data);
        files.insert("assets/photo.png", png(64, 36, [200, 20, 40]));
        edit(
            "background picture replaced under its name",
            &doc,
            &mut files,
            &data,
        );
        files.insert("assets/logo.png", png(16, 16, [0, 0, 250]));
        edit("image replaced under its name", &doc, &mut files, &data);
        doc["scenes"][0]["layers"][1]["fit"] = json!("cover");
        doc["scenes"][0]["layers"][1]["box"]["width"] = json!(30);
        edit("image box resized", &doc, &mut files, &data);
        doc["scenes"][0]["layers"][2]["fill"] = json!("#00ff00");
        edit("shape refilled", &doc, &mut files, &data);
        doc["scenes"][0]["background"] =
            json!({"gradient": {"from": "#000000", "to": "#ffffff", "angle": 90}});
        edit("background made a gradient", &doc, &mut files, &data);
        doc["scenes"][0]["background"] = json!({"image": "photo"});
        edit("background back to its picture", &doc, &mut files, &data);
    }
}

mod videos {
    use std::collections::HashMap;
    use std::path::Path;
    use std::process::Command;

    use serde_json::{json, Value};
    use tessera_engine::microsites::files::SiteFiles;
    use tessera_engine::storyboards::text::Fonts;
    use tessera_engine::storyboards::video::{
        CustomerVideo, Formats, VideoTemplate, GIF, MP4, POSTER, WEBM,
    };
    use tessera_engine::storyboards::{compile_storyboard, DOCUMENT};
    use tessera_engine::templates::Notes;

    /// The branching storyboard of the checks, in a folder with its logo.
    fn template(folder: &Path) -> VideoTemplate {
        std::fs::create_dir_all(folder.join("assets")).unwrap();
        let logo =
            image::RgbaImage::from_fn(64, 32, |x, _| image::Rgba([200, (x * 4) as u8, 40, 255]));
        logo.save(folder.join("assets/logo.png")).unwrap();
        std::fs::write(folder.join(DOCUMENT), super::board().to_string()).unwrap();
        let (video, warnings) =
            compile_storyboard(&SiteFiles::read_folder(folder).unwrap()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        video
    }

    /// The customer's `formats` (as the CLI names them) rendered into `out`.
    fn render_for(video: &VideoTemplate, data: Value, formats: &str, out: &Path) -> CustomerVideo {
        video
            .render(
                &data,
                &HashMap::new(),
                &mut Fonts::load().unwrap(),
                (Formats::parse(formats).unwrap(), out),
                &mut Notes::default(),
            )
            .unwrap()
    }

    fn probe(file: &Path) -> Value {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_streams",
                "-show_format",
                "-count_frames",
                "-of",
                "json",
            ])
            .arg(file)
            .output()
            .expect("ffprobe is installed by the README's setup");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A frame of a video or GIF as ffmpeg decodes it (a GIF's frames drawn over each other):
    /// the one at `seconds`, or the last.
    fn decoded_frame(file: &Path, seconds: Option<f64>) -> image::RgbImage {
        let still = file.with_extension(format!(
            "{}.png",
            file.extension().unwrap().to_str().unwrap()
        ));
        let mut ffmpeg = Command::new("ffmpeg");
        ffmpeg.args(["-v", "error", "-y"]);
        if let Some(seconds) = seconds {
            ffmpeg.args(["-ss", &seconds.to_string()]);
        }
        ffmpeg.arg("-i").arg(file);
        match seconds {
            Some(_) => ffmpeg.args(["-frames:v", "1"]),
            None => ffmpeg.args(["-update", "1"]),
        };
        assert!(ffmpeg.arg(&still).status().unwrap().success());
        image::open(&still).unwrap().to_rgb8()
    }

    #[test]
    fn a_gradient_shades_smoothly_in_the_gif_and_its_frames_build_the_picture() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("board");
        std::fs::create_dir_all(&folder).unwrap();
        // A gradient, and a text fading in over the first second (the poster shows it in full).
        let doc = json!({"format": 1, "name": "Sky", "canvas": {"width": 480, "height": 270, "fps": 30}, "start": "sky",
            "scenes": [{"id": "sky", "duration": 3,
                "background": {"gradient": {"from": "#1f2a44", "to": "#3b5b8c", "angle": 0}},
                "layers": [{"id": "hi", "type": "text", "text": "Hello 王芳", "box": {"x": 40, "y": 100, "width": 400, "height": 60},
                    "style": {"size": 40}, "animations": [{"kind": "fade_in", "duration": 1}]}]}]});
        std::fs::write(folder.join(DOCUMENT), doc.to_string()).unwrap();
        let (video, _) = compile_storyboard(&SiteFiles::read_folder(&folder).unwrap()).unwrap();
        let out = dir.path().join("out");
        render_for(&video, json!({}), "poster,gif", &out);
        let drawn = image::open(out.join(POSTER)).unwrap().to_rgb8();
        // The GIF's last frame as a browser shows it: every frame drawn over the one before.
        let shown = decoded_frame(&out.join(GIF), None);
        assert_eq!(shown.dimensions(), (480, 270));
        // Over each 8×8 block, the GIF's colour is the frame's: a palette's bands a cell wide
        // would be off by a few levels across whole blocks, a frame's rectangle misplaced by
        // far more.
        let (mut off, mut worst, mut blocks) = (0.0, 0.0f64, 0.0);
        for by in 0..270 / 8 {
            for bx in 0..480 / 8 {
                for c in 0..3 {
                    let (mut ours, mut theirs) = (0.0, 0.0);
                    for y in by * 8..by * 8 + 8 {
                        for x in bx * 8..bx * 8 + 8 {
                            ours += f64::from(shown.get_pixel(x, y)[c]);
                            theirs += f64::from(drawn.get_pixel(x, y)[c]);
                        }
                    }
                    let block = (ours - theirs).abs() / 64.0;
                    (off, worst, blocks) = (off + block, worst.max(block), blocks + 1.0);
                }
            }
        }
        let off = off / blocks;
        assert!(
            off < 0.65 && worst < 4.0,
            "the GIF's blocks are {off:.2} levels off the frame's on average, {worst:.1} at worst"
        );
    }

    #[test]
    fn a_customers_poster_gif_and_mp4_are_valid_and_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let video = template(&dir.path().join("board"));
        let mut fonts = Fonts::load().unwrap();
        let fang = json!({"greeting_name": "王芳", "orders_count": 12, "locale": "zh-CN", "microsite_url": "https://s.example/abc/"});
        let zoe = json!({"greeting_name": "Zoë", "orders_count": 3});
        let (a, b) = (dir.path().join("fang"), dir.path().join("zoe"));
        let files = Formats::parse("poster,gif,mp4").unwrap();
        let made = video
            .render(
                &fang,
                &HashMap::new(),
                &mut fonts,
                (files, &a),
                &mut Notes::default(),
            )
            .unwrap();
        video
            .render(
                &zoe,
                &HashMap::new(),
                &mut fonts,
                (files, &b),
                &mut Notes::default(),
            )
            .unwrap();
        assert_eq!(made.files, [POSTER, MP4, GIF]);
        // The default path: intro (4 s) → coffee (3 s, a crossfade into the end) → end (2 s).
        assert_eq!(made.frames, 9 * 30);
        let mp4 = probe(&a.join(MP4));
        let stream = &mp4["streams"][0];
        assert_eq!(stream["codec_name"], "h264", "{mp4:#}");
        assert_eq!(stream["pix_fmt"], "yuv420p");
        assert_eq!(
            (stream["width"].as_u64(), stream["height"].as_u64()),
            (Some(1280), Some(720))
        );
        assert_eq!(stream["nb_read_frames"], "270");
        let seconds: f64 = mp4["format"]["duration"].as_str().unwrap().parse().unwrap();
        assert!((seconds - 9.0).abs() < 0.05, "{seconds}");
        // Fast start: the index (moov) comes before the media (mdat), so browsers play it as it loads.
        let bytes = std::fs::read(a.join(MP4)).unwrap();
        let at = |tag: &[u8]| bytes.windows(4).position(|w| w == tag).unwrap();
        assert!(at(b"moov") < at(b"mdat"));
        // The GIF: about 480 px wide, a few seconds, small enough for email.
        let gif = std::fs::read(a.join(GIF)).unwrap();
        assert!(gif.len() < 1 << 20, "{} bytes", gif.len());
        let gif_probe = probe(&a.join(GIF));
        assert_eq!(gif_probe["streams"][0]["width"], 480);
        // Three seconds at 10 frames a second; a frame that does not change lasts longer
        // instead of being repeated.
        let gif_frames: usize = gif_probe["streams"][0]["nb_read_frames"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((2..=30).contains(&gif_frames), "{gif_frames}");
        let gif_seconds: f64 = gif_probe["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((gif_seconds - 3.0).abs() < 0.05, "{gif_seconds}");
        // The video's colours are the frames' (2 s in, the intro is still what the poster shows).
        let (shown, drawn) = (
            decoded_frame(&a.join(MP4), Some(2.0)),
            image::open(a.join(POSTER)).unwrap().to_rgb8(),
        );
        let difference: u64 = shown
            .as_raw()
            .iter()
            .zip(drawn.as_raw())
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        let mean = difference as f64 / shown.as_raw().len() as f64;
        assert!(
            mean < 3.0,
            "the encoded frame is {mean:.2} levels off the drawn one on average"
        );
        // The poster shows the customer's name: theirs differs from another's; the same
        // customer's is byte-identical on every render.
        let poster = std::fs::read(a.join(POSTER)).unwrap();
        assert_eq!(image::load_from_memory(&poster).unwrap().width(), 1280);
        assert_ne!(poster, std::fs::read(b.join(POSTER)).unwrap());
        let again = dir.path().join("again");
        video
            .render(
                &fang,
                &HashMap::new(),
                &mut fonts,
                (Formats::parse("poster").unwrap(), &again),
                &mut Notes::default(),
            )
            .unwrap();
        assert_eq!(poster, std::fs::read(again.join(POSTER)).unwrap());
        assert!(!again.join(MP4).exists(), "only what was asked for");
        // No half-written file is left under any name.
        let leftovers: Vec<_> = std::fs::read_dir(&a)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// The player's storyboard, from the data block of its page.
    fn player_document(folder: &Path) -> Value {
        let page = std::fs::read_to_string(folder.join("player/index.html")).unwrap();
        let start = page
            .find(r#"<script type="application/json" id="storyboard">"#)
            .unwrap();
        let block = &page[start..];
        let (open, close) = (
            block.find('>').unwrap() + 1,
            block.find("</script>").unwrap(),
        );
        serde_json::from_str(&block[open..close]).unwrap()
    }

    fn seconds(probed: &Value) -> f64 {
        probed["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn the_players_captions_read_top_to_bottom_and_never_overlap() {
        let starter =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/storyboard/year-in-review-en");
        let (video, _) = compile_storyboard(&SiteFiles::read_folder(&starter).unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let data = json!({"greeting_name": "Zoë", "first_name": "Zoë", "orders_count": 3, "total_spent": 42.5});
        render_for(&video, data, "player", dir.path());
        let doc = player_document(dir.path());
        let texts = |scene: &str| -> Vec<(f64, f64, String)> {
            doc["scenes"][scene]["captions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["from"].as_f64().unwrap(),
                        c["to"].as_f64().unwrap(),
                        c["text"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        // The title comes in under the greeting: one cue with both, the greeting first.
        assert_eq!(
            texts("intro"),
            [
                (0.0, 0.6, "Zoë,".to_string()),
                (
                    0.6,
                    4.0,
                    "Zoë,\nhere is your year with Tessera Coffee & Care".to_string()
                ),
            ]
        );
        let orders = texts("orders");
        assert_eq!(orders.last().unwrap().2.lines().count(), 3, "{orders:?}");
        assert!(orders
            .last()
            .unwrap()
            .2
            .starts_with("This year you placed\n"));
        for scene in ["intro", "orders", "favourite", "thanks"] {
            for pair in texts(scene).windows(2) {
                assert!(pair[0].1 <= pair[1].0, "{scene}: {pair:?}");
            }
        }
    }

    #[test]
    fn the_player_plays_every_branch_and_a_scene_the_same_for_all_is_shared() {
        let dir = tempfile::tempdir().unwrap();
        let video = template(&dir.path().join("board"));
        let mut fonts = Fonts::load().unwrap();
        let fang = json!({"greeting_name": "王芳", "orders_count": 12, "locale": "zh-CN", "microsite_url": "https://s.example/abc/"});
        // A hostile name, and a link that would run script.
        let zoe = json!({"greeting_name": "</script><script>alert(1)</script>", "orders_count": 3, "microsite_url": "javascript:alert(1)"});
        let (a, b) = (dir.path().join("fang"), dir.path().join("zoe"));
        for (data, folder) in [(&fang, &a), (&zoe, &b)] {
            video
                .render(
                    data,
                    &HashMap::new(),
                    &mut fonts,
                    (Formats::parse("poster,gif,mp4,player").unwrap(), folder),
                    &mut Notes::default(),
                )
                .unwrap();
        }
        let doc = player_document(&a);
        let scenes = doc["scenes"].as_object().unwrap();
        let mut ids: Vec<&str> = scenes.keys().map(String::as_str).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["coffee", "end", "intro", "tea"]);
        // Every branch and link resolves: each scene's clip is there and as long as the scene,
        // and every jump (next, choice, hotspot, chapter) is a scene of the player.
        for (id, scene) in scenes {
            let clip = a.join("player").join(scene["clip"].as_str().unwrap());
            let probed = probe(&clip);
            assert_eq!(probed["streams"][0]["codec_name"], "h264");
            let expected = scene["duration"].as_f64().unwrap();
            assert!(
                (seconds(&probed) - expected).abs() < 0.05,
                "{id}: {probed:#}"
            );
            let targets = scene["next"]
                .as_str()
                .into_iter()
                .chain(
                    scene["choices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["scene"].as_str().unwrap()),
                )
                .chain(
                    scene["hotspots"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|h| h["scene"].as_str()),
                );
            for target in targets {
                assert!(scenes.contains_key(target), "{id} → {target}");
            }
            assert!(a
                .join("player/captions")
                .join(format!("{id}.vtt"))
                .is_file());
        }
        assert_eq!(
            doc["chapters"],
            json!([{"title": "Your picks", "scene": "intro"}])
        );
        assert_eq!(doc["start"], "intro");
        for file in ["player.js", "player.css", "poster.png", "thumbnail.gif"] {
            assert!(a.join("player").join(file).is_file(), "{file}");
        }
        // The choices are offered at the end of the intro, the default marked.
        assert_eq!(
            scenes["intro"]["choices"],
            json!([{"label": "Coffee", "scene": "coffee", "default": true}, {"label": "Tea", "scene": "tea", "default": false}])
        );
        // The customer's links and texts: the hotspot and call to action open their page; the
        // captions say what the frames say, the number at its final value.
        assert_eq!(
            scenes["tea"]["hotspots"][0]["url"],
            "https://s.example/abc/"
        );
        assert_eq!(scenes["tea"]["hotspots"][0]["label"], "See the tea");
        assert_eq!(
            scenes["end"]["action"],
            json!({"label": "Open my page", "url": "https://s.example/abc/"})
        );
        assert_eq!(scenes["intro"]["captions"][0]["text"], "王芳, pick one");
        assert_eq!(scenes["end"]["captions"][0]["text"], "12 orders");
        let vtt = std::fs::read_to_string(a.join("player/captions/end.vtt")).unwrap();
        assert_eq!(vtt, "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n12 orders\n");
        // A script link is no link: the hotspot and the call to action are left out; the
        // hostile name is data, never markup.
        let other = player_document(&b);
        assert_eq!(other["scenes"]["tea"]["hotspots"], json!([]));
        assert_eq!(other["scenes"]["end"]["action"], Value::Null);
        assert_eq!(
            other["scenes"]["intro"]["captions"][0]["text"],
            "</script><script>alert(1)</script>, pick one"
        );
        let page = std::fs::read_to_string(b.join("player/index.html")).unwrap();
        assert!(
            !page.contains("<script>alert") && !page.contains("javascript:"),
            "{page}"
        );
        assert_eq!(page.matches("</script>").count(), 2);
        // The tea scene is the same for everyone: one clip, byte for byte; the intro has the
        // customer's name.
        let clip = |folder: &Path, id: &str| {
            std::fs::read(folder.join(format!("player/scenes/{id}.mp4"))).unwrap()
        };
        assert_eq!(clip(&a, "tea"), clip(&b, "tea"));
        assert_ne!(clip(&a, "intro"), clip(&b, "intro"));
        // The linear cut joined from the clips: intro, coffee (crossfading into the end), end.
        let mp4 = probe(&a.join(MP4));
        assert_eq!(mp4["streams"][0]["nb_read_frames"], "270");
        assert!((seconds(&mp4) - 9.0).abs() < 0.05, "{mp4:#}");
    }

    #[test]
    fn a_cut_through_a_shared_scene_is_joined_at_its_keyframe() {
        let dir = tempfile::tempdir().unwrap();
        let video = template(&dir.path().join("board"));
        let mut fonts = Fonts::load().unwrap();
        // Tea by default: intro (the name), tea (the same for all), end (the count).
        let mut board = super::board();
        board["scenes"][0]["choices"] = json!([{"label": "Coffee", "scene": "coffee"}, {"label": "Tea", "scene": "tea", "default": true}]);
        std::fs::write(dir.path().join("board").join(DOCUMENT), board.to_string()).unwrap();
        let (video_tea, _) =
            compile_storyboard(&SiteFiles::read_folder(&dir.path().join("board")).unwrap())
                .unwrap();
        drop(video);
        let out = dir.path().join("out");
        let made = video_tea
            .render(
                &json!({"greeting_name": "Zoë", "orders_count": 3}),
                &HashMap::new(),
                &mut fonts,
                (Formats::parse("mp4").unwrap(), &out),
                &mut Notes::default(),
            )
            .unwrap();
        // Only the customer's own scenes are drawn: intro and end, not tea.
        assert_eq!(made.frames, (4 + 2) * 30);
        let mp4 = probe(&out.join(MP4));
        assert_eq!(mp4["streams"][0]["nb_read_frames"], "270");
        assert!((seconds(&mp4) - 9.0).abs() < 0.05, "{mp4:#}");
        assert!(!out.join(".segments").exists());
    }

    /// The royalty-free option: the same cut in VP9, the same frames as the MP4's.
    #[test]
    fn the_linear_cut_is_also_a_royalty_free_webm() {
        let dir = tempfile::tempdir().unwrap();
        let video = template(&dir.path().join("board"));
        let out = dir.path().join("out");
        let made = render_for(
            &video,
            json!({"greeting_name": "王芳", "orders_count": 12}),
            "mp4,webm",
            &out,
        );
        assert_eq!(made.files, [MP4, WEBM]);
        // Both from the same frames, each drawn once.
        assert_eq!(made.frames, 9 * 30);
        let webm = probe(&out.join(WEBM));
        let stream = &webm["streams"][0];
        assert_eq!(stream["codec_name"], "vp9", "{webm:#}");
        assert_eq!(stream["pix_fmt"], "yuv420p");
        assert!(webm["format"]["format_name"]
            .as_str()
            .unwrap()
            .contains("webm"));
        assert_eq!(
            (stream["width"].as_u64(), stream["height"].as_u64()),
            (Some(1280), Some(720))
        );
        assert_eq!(stream["nb_read_frames"], "270");
        assert!((seconds(&webm) - 9.0).abs() < 0.05, "{webm:#}");
        // Two seconds in, both show the intro as drawn (lossy, so near, not equal).
        let (h264, vp9) = (
            decoded_frame(&out.join(MP4), Some(2.0)),
            decoded_frame(&out.join(WEBM), Some(2.0)),
        );
        let difference: f64 = h264
            .as_raw()
            .iter()
            .zip(vp9.as_raw())
            .map(|(a, b)| f64::from(a.abs_diff(*b)))
            .sum::<f64>()
            / h264.as_raw().len() as f64;
        assert!(difference < 4.0, "{difference}");
    }

    /// Found by the bench: an MP4 alone (no poster, no player) whose cut opens on a shared
    /// scene asked for a first scene it had no reason to draw, and panicked.
    #[test]
    fn a_cut_that_opens_on_a_scene_the_same_for_all_renders_its_mp4_alone() {
        let dir = tempfile::tempdir().unwrap();
        drop(template(&dir.path().join("board")));
        let mut board = super::board();
        board["start"] = json!("tea");
        std::fs::write(dir.path().join("board").join(DOCUMENT), board.to_string()).unwrap();
        let (video, _) =
            compile_storyboard(&SiteFiles::read_folder(&dir.path().join("board")).unwrap())
                .unwrap();
        let out = dir.path().join("out");
        let made = render_for(
            &video,
            json!({"greeting_name": "Zoë", "orders_count": 3}),
            "mp4",
            &out,
        );
        // Tea (3 s, shared) then the customer's end (2 s), the only scene drawn for them.
        assert_eq!(made.frames, 2 * 30);
        assert_eq!(made.files, vec![MP4.to_string()]);
        let mp4 = probe(&out.join(MP4));
        assert_eq!(mp4["streams"][0]["nb_read_frames"], "150");
        assert!((seconds(&mp4) - 5.0).abs() < 0.05, "{mp4:#}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_editor_plays_a_customers_player_from_memory_on_loopback_and_nothing_else() {
        use crate::support::{http, http_bytes};
        use std::sync::Arc;
        use tessera_engine::serve::PlayerPreview;

        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("board");
        drop(template(&folder));
        let files = Arc::new(SiteFiles::read_folder(&folder).unwrap());
        let preview = Arc::new(PlayerPreview::start().await.unwrap());
        let at = preview.address();
        assert!(at.ip().is_loopback());
        let play = |data: Value| {
            let (preview, files) = (preview.clone(), files.clone());
            tokio::task::spawn_blocking(move || preview.play(&files, &data))
        };
        let fang = play(json!({"greeting_name": "王芳", "orders_count": 12}))
            .await
            .unwrap()
            .unwrap();
        let page_path = fang
            .strip_prefix(&format!("http://{at}"))
            .unwrap()
            .to_string();
        let folder_path = page_path.strip_suffix("index.html").unwrap().to_string();
        let get =
            |path: String| tokio::task::spawn_blocking(move || http_bytes(at, "GET", &path, b""));

        let (status, head, page) = get(page_path.clone()).await.unwrap();
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/html"), "{head}");
        // Scripts, styles and video from the preview only; the player's event reports refused.
        assert!(head.contains(&format!("media-src http://{at}")), "{head}");
        assert!(head.contains("connect-src 'none'"), "{head}");
        assert!(String::from_utf8(page).unwrap().contains("王芳"));
        // Every scene's clip is served, an H.264 MP4.
        let doc = {
            let (_, _, page) = get(page_path.clone()).await.unwrap();
            let page = String::from_utf8(page).unwrap();
            let start = page.find(r#"id="storyboard">"#).unwrap() + r#"id="storyboard">"#.len();
            let end = start + page[start..].find("</script>").unwrap();
            serde_json::from_str::<Value>(&page[start..end]).unwrap()
        };
        for scene in doc["scenes"].as_object().unwrap().values() {
            let clip = scene["clip"].as_str().unwrap();
            let (status, head, bytes) = get(format!("{folder_path}{clip}")).await.unwrap();
            assert_eq!(status, 200, "{clip}");
            assert!(head.contains("content-type: video/mp4"), "{head}");
            assert_eq!(&bytes[4..8], b"ftyp", "{clip}");
        }
        for path in ["player.js", "player.css", "poster.png"] {
            assert_eq!(
                get(format!("{folder_path}{path}")).await.unwrap().0,
                200,
                "{path}"
            );
        }
        // Nothing else: another path, a guessed token, a way up, a post.
        for path in [
            "/",
            "/index.html",
            &format!("{folder_path}../index.html"),
            &format!("{folder_path}nothing.mp4"),
            "/00000000000000000000000000000000/index.html",
        ] {
            assert_eq!(get(path.to_string()).await.unwrap().0, 404, "{path}");
        }
        let posted = {
            let path = format!("{folder_path}event");
            tokio::task::spawn_blocking(move || http(at, "POST", &path, b"kind=play"))
                .await
                .unwrap()
        };
        assert_eq!(posted.0, 404);
        // Playing another customer replaces the first: their player is gone.
        let zoe = play(json!({"greeting_name": "Zoë", "orders_count": 3}))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(zoe, fang);
        assert_eq!(get(page_path).await.unwrap().0, 404);
        let zoe_path = zoe
            .strip_prefix(&format!("http://{at}"))
            .unwrap()
            .to_string();
        let (status, _, page) = get(zoe_path.clone()).await.unwrap();
        assert_eq!(status, 200);
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains("Zoë") && !page.contains("王芳"));
        // Cleared (another workspace opened), nothing of theirs is served.
        preview.clear();
        assert_eq!(get(zoe_path.clone()).await.unwrap().0, 404);
        assert_eq!(
            get(format!(
                "{}player.js",
                zoe_path.strip_suffix("index.html").unwrap()
            ))
            .await
            .unwrap()
            .0,
            404
        );
        // The clips were encoded in a scratch folder that is gone.
        let scratch = format!("tessera-preview-{}-", std::process::id());
        let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(&scratch))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // A storyboard with errors is refused with them, not played.
        let mut broken = super::board();
        broken["start"] = json!("nowhere");
        std::fs::write(folder.join(DOCUMENT), broken.to_string()).unwrap();
        let files = SiteFiles::read_folder(&folder).unwrap();
        let refused = preview.play(&files, &json!({})).unwrap_err();
        assert!(refused.to_string().contains("nowhere"), "{refused}");
    }

    #[test]
    fn formats_are_named_or_refused() {
        assert_eq!(
            Formats::parse("mp4, poster").unwrap(),
            Formats {
                poster: true,
                gif: false,
                mp4: true,
                webm: false,
                player: false,
            }
        );
        assert!(Formats::parse("webm").unwrap().webm);
        assert!(Formats::parse("mov").unwrap_err().contains("'mov'"));
        assert!(Formats::parse("").is_err());
    }
}

mod cli {
    use std::path::Path;

    use serde_json::{json, Value};
    use tessera_engine::storyboards::DOCUMENT;

    use crate::support::{tessera, TestWorkspace};

    fn storyboard(folder: &Path, doc: &Value) {
        std::fs::create_dir_all(folder).unwrap();
        std::fs::write(folder.join(DOCUMENT), doc.to_string()).unwrap();
    }

    fn short() -> Value {
        json!({"format": 1, "name": "Hi", "canvas": {"width": 320, "height": 180, "fps": 10}, "start": "hi",
            "scenes": [{"id": "hi", "duration": 1, "layers": [
                {"id": "name", "type": "text", "text": "{{greeting_name}} {{nickname}}", "box": {"x": 10, "y": 10, "width": 300, "height": 60}, "style": {"size": 32}}]}]})
    }

    #[tokio::test]
    async fn render_video_writes_each_customers_files_and_names_what_is_wrong() {
        let t = TestWorkspace::new().await;
        t.customers(&t.file("c.csv", "email,first_name,last_name,locale\nwang.fang@example.cn,芳,王,zh-CN\nzoe@example.com,Zoë,Smith,en-GB\n")).await;
        let db = t.dir.path().join("workspace.sqlite");
        let folder = t.dir.path().join("hi");
        storyboard(&folder, &short());
        let out = t.dir.path().join("out");
        let done = tessera(&db)
            .args([
                "render",
                "video",
                "--all",
                "--json",
                "--formats",
                "poster,mp4",
                "--storyboard",
            ])
            .arg(folder.join(DOCUMENT))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        let summary: Value = serde_json::from_slice(&done.stdout).unwrap();
        assert_eq!(summary["rendered"], 2, "{summary}");
        // Counted over the audience: the field no customer has, where it is.
        let missing = summary["missing_fields"].to_string();
        assert!(
            missing.contains("nickname") && missing.contains("hi/name"),
            "{missing}"
        );
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        for r in manifest["rendered"].as_array().unwrap() {
            let id = r["customer_id"].as_i64().unwrap();
            let files: Vec<&str> = r["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["file"].as_str().unwrap())
                .collect();
            assert_eq!(
                files,
                [
                    format!("video/{id}/poster.png"),
                    format!("video/{id}/video.mp4")
                ],
                "{r}"
            );
            assert!(out.join(format!("video/{id}/video.mp4")).is_file());
        }
        // A name too long for its box, and a character no font has, are found over the audience.
        t.customers(&t.file("d.csv", "email,first_name,last_name\nlong@example.com,Maximiliane-Theodora-Wolfeschlegelsteinhausenbergerdorff 𓀀,Smith\n")).await;
        let checked = tessera(&db)
            .args([
                "render",
                "video",
                "--all",
                "--strict",
                "--formats",
                "poster",
                "--storyboard",
            ])
            .arg(&folder)
            .arg("--out")
            .arg(t.dir.path().join("out-long"))
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&checked.stderr);
        assert!(!checked.status.success(), "{said}");
        assert!(
            said.contains(
                "scene 'hi', layer 'name': the text overflows its box for 1 of 3 customers"
            ),
            "{said}"
        );
        assert!(
            said.contains("no font has '𓀀' (U+13000) (for 1 customers)"),
            "{said}"
        );
        assert!(
            !t.dir.path().join("out-long/video").exists(),
            "nothing rendered"
        );
        // A storyboard that goes nowhere is refused before anything renders, naming its scene.
        let mut broken = short();
        broken["scenes"][0]["next"] = json!("nowhere");
        let bad = t.dir.path().join("bad");
        storyboard(&bad, &broken);
        let refused = tessera(&db)
            .args(["render", "video", "--all", "--storyboard"])
            .arg(&bad)
            .arg("--out")
            .arg(t.dir.path().join("out2"))
            .output()
            .unwrap();
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(
            said.contains("scene 'hi': next is 'nowhere', which is not a scene"),
            "{said}"
        );
        assert!(!t.dir.path().join("out2/video").exists());
        let wrong = tessera(&db)
            .args([
                "render",
                "video",
                "--all",
                "--formats",
                "mov",
                "--storyboard",
            ])
            .arg(&folder)
            .arg("--out")
            .arg(t.dir.path().join("out3"))
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&wrong.stderr)
            .contains("--formats: 'mov' is not a video format"));
    }
}

mod starters {
    use std::collections::HashMap;
    use std::path::Path;

    use serde_json::json;
    use tessera_engine::microsites::files::SiteFiles;
    use tessera_engine::storyboards::check::default_path;
    use tessera_engine::storyboards::compile_storyboard;
    use tessera_engine::storyboards::text::Fonts;
    use tessera_engine::storyboards::video::{Formats, POSTER};
    use tessera_engine::templates::store::{starter_site_files, STARTER_STORYBOARDS};
    use tessera_engine::templates::Notes;

    #[test]
    fn starter_storyboards_check_clean_and_greet_each_customer_on_their_poster() {
        let dir = tempfile::tempdir().unwrap();
        let mut fonts = Fonts::load().unwrap();
        let fang = json!({"greeting_name": "王芳", "first_name": "芳", "orders_count": 12, "total_spent": 386.5, "favorite_category": "tea", "locale": "zh-CN",
            "recommendations": [{"name": "Tieguanyin Oolong 铁观音", "category": "tea"}]});
        let zoe = json!({"greeting_name": "Zoë", "first_name": "Zoë", "orders_count": 1, "total_spent": 9.5, "favorite_category": "coffee", "locale": "en-GB",
            "recommendations": [{"name": "Espresso Blend", "category": "coffee"}]});
        for (name, files) in STARTER_STORYBOARDS {
            // The embedded starter is the folder in the repository.
            let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates/storyboard")
                .join(name);
            assert_eq!(
                SiteFiles::read_folder(&folder).unwrap(),
                starter_site_files(files),
                "{name}"
            );
            let (video, warnings) = compile_storyboard(&starter_site_files(files))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            let seconds: f64 = default_path(&video.board)
                .unwrap()
                .iter()
                .map(|id| {
                    video
                        .board
                        .scenes
                        .iter()
                        .find(|s| s.id == *id)
                        .unwrap()
                        .duration
                })
                .sum();
            assert!((10.0..=15.0).contains(&seconds), "{name}: {seconds} s");
            let mut posters = Vec::new();
            for (who, data) in [("fang", &fang), ("zoe", &zoe)] {
                let out = dir.path().join(name).join(who);
                let made = video
                    .render(
                        data,
                        &HashMap::new(),
                        &mut fonts,
                        (Formats::parse("poster").unwrap(), &out),
                        &mut Notes::default(),
                    )
                    .unwrap();
                assert!(made.notes.is_empty(), "{name} for {who}: {:?}", made.notes);
                posters.push(std::fs::read(out.join(POSTER)).unwrap());
            }
            assert_ne!(
                posters[0], posters[1],
                "{name}: each poster carries its customer"
            );
        }
    }
}
