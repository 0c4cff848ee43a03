//! Property tests of the readers and compilers that take user input (bounded: a few seconds):
//! the next attack of a known family fails the same way the last one did.

use serde_json::{json, Value};
use tessera_engine::customers::source::{read_table, Cell, Format};
use tessera_engine::templates::{compile_email, Notes};

use crate::support::{header_names, Rng, MAIL_HEADERS};

/// Cell texts that exercise quoting: delimiters, quotes, line breaks of both kinds, spaces,
/// non-ASCII and emoji.
const PIECES: &[&str] = &[
    "a", "Zoë", "张伟", "🎂", " ", ",", ";", "\t", "\"", "\"\"", "\n", "\r\n", "x y", "1,5",
    "=1+1", "\u{FEFF}", "",
];

fn random_cell(rng: &mut Rng) -> String {
    (0..rng.below(4)).map(|_| rng.pick(PIECES)).collect()
}

/// RFC 4180, as spreadsheets write it: quoted when the text needs it.
fn csv_field(text: &str, delimiter: char) -> String {
    if text.contains([delimiter, '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn cells(row: &[Cell]) -> Vec<String> {
    row.iter()
        .map(|c| match c {
            Cell::Text(t) => t.to_string(),
            Cell::Empty => String::new(),
            Cell::Json(v) => v.to_string(),
        })
        .collect()
}

#[test]
fn property_csv_written_by_a_spreadsheet_reads_back_cell_for_cell() {
    let mut rng = Rng(0x00C5_7EAD_0001);
    for case in 0..400 {
        let delimiter = *rng.pick(&[&',', &';', &'\t']);
        let width = 1 + rng.below(5) as usize;
        let header: Vec<String> = (0..width).map(|i| format!("col{i}")).collect();
        let rows: Vec<Vec<String>> = (0..rng.below(12))
            .map(|_| (0..width).map(|_| random_cell(&mut rng)).collect())
            .filter(|row: &Vec<String>| row.iter().any(|c| !c.trim().is_empty()) || width > 1)
            .collect();
        let ending = rng.pick(&["\n", "\r\n"]);
        let mut text = header.join(&delimiter.to_string());
        text.push_str(ending);
        let mut lines = vec![];
        let mut line = 2;
        for row in &rows {
            let record: Vec<String> = row.iter().map(|c| csv_field(c, delimiter)).collect();
            let record = record.join(&delimiter.to_string());
            lines.push(line);
            line += record.matches('\n').count() + 1;
            text.push_str(&record);
            text.push_str(ending);
        }
        let table = read_table(&text, Format::Csv, Some(delimiter as u8)).unwrap();
        assert!(table.errors.is_empty(), "case {case}: {text:?}");
        assert_eq!(table.columns, header, "case {case}");
        let read: Vec<Vec<String>> = table.rows.iter().map(|r| cells(&r.cells)).collect();
        // A row of one empty cell is a blank line, which readers skip.
        let expected: Vec<Vec<String>> = rows
            .iter()
            .filter(|r| !(r.len() == 1 && r[0].is_empty()))
            .cloned()
            .collect();
        assert_eq!(read, expected, "case {case}: {text:?}");
        let read_lines: Vec<usize> = table.rows.iter().map(|r| r.line).collect();
        let expected_lines: Vec<usize> = rows
            .iter()
            .zip(&lines)
            .filter(|(r, _)| !(r.len() == 1 && r[0].is_empty()))
            .map(|(_, l)| *l)
            .collect();
        assert_eq!(read_lines, expected_lines, "case {case}: {text:?}");
    }
}

#[test]
fn property_broken_csv_never_panics_and_loses_no_good_row() {
    let mut rng = Rng(0x00C5_7EAD_0002);
    for case in 0..2_000 {
        // Good rows with broken ones between them: a stray quote, an unclosed quote, text
        // after a closing quote, a wrong number of columns; good ones with line breaks inside
        // quotes and control characters.
        let mut text = String::from("email,name\n");
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        let mut line = 2;
        for i in 0..rng.below(10) {
            let (row, is_good) = match rng.below(6) {
                0 => (format!("b{i}@x.com,\"open\n"), false),
                1 => (format!("b{i}@x.com,a\"b\n"), false),
                2 => (format!("b{i}@x.com,\"q\"x\n"), false),
                3 => (format!("b{i}@x.com,1,2\n"), false),
                4 => (format!("g{i}@x.com,\"multi\nline\"\n"), true),
                _ => (
                    format!(
                        "g{i}@x.com,\u{1b}[31m{}\n",
                        rng.pick(&["a", "Zoë", "🎂", ""])
                    ),
                    true,
                ),
            };
            if is_good {
                good.push(format!("g{i}@x.com"));
            } else {
                bad.push(line);
            }
            line += row.matches('\n').count();
            text.push_str(&row);
        }
        let damaged = rng.below(2) == 0;
        let mut bytes = text.into_bytes();
        if damaged {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = *rng.pick(&[&b'"', &b',', &b'\n', &b'\r', &b'x']);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let Ok(table) = read_table(&text, Format::Csv, None) else {
            assert!(damaged, "case {case}");
            continue;
        };
        // No line is reported twice, as a row and as an error.
        let mut lines: Vec<usize> = table
            .rows
            .iter()
            .map(|r| r.line)
            .chain(table.errors.iter().map(|e| e.line))
            .collect();
        let all = lines.len();
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), all, "case {case}: {text:?}");
        if !damaged {
            let read: Vec<String> = table
                .rows
                .iter()
                .map(|r| cells(&r.cells)[0].clone())
                .collect();
            assert_eq!(read, good, "case {case}: every good row lands: {text:?}");
            let errors: Vec<usize> = table.errors.iter().map(|e| e.line).collect();
            assert_eq!(
                errors, bad,
                "case {case}: every bad row is reported at its line: {text:?}"
            );
        }
    }
}

/// Template pieces that stand alone: text, HTML, merge tags of every kind, links.
const TEMPLATE_PIECES: &[&str] = &[
    "Hello ",
    "{{name}}",
    "{{{name}}}",
    "{{&name}}",
    "{{default name \"you\"}}",
    "{{@index}}",
    "{{this.price}}",
    "{{../name}}",
    "{{currency price \"EUR\"}}",
    "{{upper (lower name)}}",
    "{{!-- c --}}",
    "<b>x</b>",
    "<a href=\"{{url}}\">a</a>",
    "<img src=\"{{url}}\">",
    "<p>p</p>",
    "&amp;",
    "\"",
    "'",
    "\n",
    "张伟",
    "🎂",
    "<a href=\"https://x.example/?u={{url}}\">q</a>",
    "</mj-text><mj-text>",
    "</mj-text><mj-button href=\"{{url}}\">b</mj-button><mj-text>",
];
/// Pieces that break something: unbalanced tags, unknown helpers, partials, stray markup.
const BROKEN_PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{#",
    "{{/",
    "{{/if}}",
    "{{else}}",
    "{{unknown x}}",
    "{{> p}}",
    "<",
    ">",
    "</p>",
    "<mj-section>",
    "{{#if}}",
    "{{{{raw}}}}",
];

fn random_body(rng: &mut Rng, depth: u32) -> String {
    let mut body = String::new();
    for _ in 0..rng.below(6) {
        match rng.below(if depth > 3 { 1 } else { 4 }) {
            0 => body.push_str(rng.pick(TEMPLATE_PIECES)),
            1 => body.push_str(&format!(
                "{{{{#if vip}}}}{}{{{{else}}}}{}{{{{/if}}}}",
                random_body(rng, depth + 1),
                random_body(rng, depth + 1)
            )),
            2 => body.push_str(&format!(
                "{{{{#each items}}}}{}{{{{/each}}}}",
                random_body(rng, depth + 1)
            )),
            _ => body.push_str(&format!(
                "{{{{#with items}}}}{}{{{{/with}}}}",
                random_body(rng, depth + 1)
            )),
        }
    }
    body
}

fn random_template(rng: &mut Rng) -> String {
    let mut body = random_body(rng, 0);
    if rng.below(3) == 0 {
        let mut at = rng.below(body.len() as u64 + 1) as usize;
        while !body.is_char_boundary(at) {
            at -= 1;
        }
        body.insert_str(at, rng.pick(BROKEN_PIECES));
    }
    format!(
        "<mjml><mj-head><mj-title>{}</mj-title></mj-head><mj-body><mj-section><mj-column><mj-text>{body}</mj-text></mj-column></mj-section></mj-body></mjml>",
        rng.pick(&["Hi {{name}}", "{{#if vip}}VIP{{/if}}", "plain", "{{"])
    )
}

fn random_data(rng: &mut Rng) -> Value {
    let url = *rng.pick(&[
        &"https://x.example/a",
        &"javascript:alert(1)",
        &"JAVA\tSCRIPT:x",
        &"/relative",
        &"mailto:a@b.c",
    ]);
    json!({
        "name": rng.pick(&[&"Zoë", &"<img onerror=x>", &"张伟", &"\u{1b}[2J", &""]),
        "vip": rng.below(2) == 0,
        "price": rng.below(1000) as f64 / 4.0,
        "url": url,
        "items": (0..rng.below(3)).map(|i| json!({"price": i, "url": url})).collect::<Vec<_>>(),
        "locale": "en-US",
    })
}

#[test]
fn property_random_templates_compile_or_fail_with_a_place_and_render_safely() {
    // On a small stack, as the app's worker threads have: an overflow is a crash, not a failure.
    let worker = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let mut rng = Rng(0x7E3A_11A7_0003);
            let mut compiled = 0;
            for case in 0..1_500 {
                let source = random_template(&mut rng);
                match compile_email(&source) {
                    Err(e) => {
                        let lines = source.lines().count().max(1);
                        assert!(
                            e.line >= 1 && e.line <= lines,
                            "case {case}: {e} in {source}"
                        );
                        assert!(e.column >= 1, "case {case}");
                    }
                    Ok(template) => {
                        compiled += 1;
                        let raw = template.warnings.iter().any(|w| w.contains("raw HTML"));
                        for _ in 0..4 {
                            let data = random_data(&mut rng);
                            let Ok(email) = template.render(&data, &mut Notes::default()) else {
                                continue;
                            };
                            let html = email.html.to_ascii_lowercase();
                            for attribute in ["href=\"", "src=\""] {
                                for (at, _) in html.match_indices(attribute) {
                                    let value = &html[at + attribute.len()..];
                                    assert!(
                                        !value.starts_with("javascript")
                                            && !value.starts_with("java\t"),
                                        "case {case}: {source}"
                                    );
                                }
                            }
                            if !raw {
                                assert!(!email.html.contains("<img onerror"), "escaped: {source}");
                            }
                            assert!(!email.subject.contains('\n'), "{source}");
                        }
                    }
                }
            }
            assert!(compiled > 600, "only {compiled} random templates compiled");
        });
    worker.unwrap().join().expect("no panic or overflow");
}

#[test]
fn property_mail_headers_stay_headers_whatever_the_names_and_subjects() {
    use tessera_engine::render::eml::{message_id, to_eml, Envelope, Mailbox};
    use tessera_engine::templates::RenderedEmail;
    let mut rng = Rng(0x3A11_0004);
    let nasty = [
        "\r\n",
        "\n",
        "\r",
        "Bcc: x@evil.com",
        ":",
        "\"",
        "\\",
        "<",
        ">",
        "=?UTF-8?B?",
        "?=",
        "张伟",
        "Zoë",
        " ",
        "\t",
        "\u{0}",
        "\u{85}",
        "\u{2028}",
        "a",
        "😀",
    ];
    let from = Mailbox::parse("Shop <shop@x.com>").unwrap();
    for case in 0..3_000 {
        let name: String = (0..rng.below(8)).map(|_| rng.pick(&nasty)).collect();
        let subject: String = (0..rng.below(30)).map(|_| rng.pick(&nasty)).collect();
        let to = Mailbox::new(Some(name.clone()), "v@example.com").unwrap();
        let email = RenderedEmail {
            subject: subject.clone(),
            preheader: String::new(),
            html: "<p>x</p>".into(),
            text: "x".into(),
        };
        let eml = to_eml(
            &email,
            &Envelope {
                from: &from,
                to,
                unsubscribe_url: "https://shop.example/unsubscribe/abc",
                unsubscribe_mailto: "mailto:u@x.com",
                message_id: message_id(&name, case, &from),
                date: "Sun, 22 Nov 2026 10:00:00 +0000",
            },
        );
        assert_eq!(
            header_names(eml.as_bytes()),
            MAIL_HEADERS,
            "case {case}: {name:?} / {subject:?}"
        );
        let message = mail_parser::MessageParser::default()
            .parse(eml.as_bytes())
            .unwrap();
        // The same words, whatever happened to the spaces and line breaks between them.
        let words = |s: &str| -> Vec<String> {
            s.split(|c: char| c.is_whitespace() || c.is_control())
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect()
        };
        let shown_subject = message.subject().unwrap_or("");
        assert_eq!(
            words(shown_subject),
            words(&subject),
            "case {case}: {subject:?}"
        );
    }
}
