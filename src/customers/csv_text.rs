//! A strict, recovering CSV reader (RFC 4180 plus `;` and tab delimiters).
//!
//! Why not the `csv` crate: it accepts stray quotes silently and, after an unterminated quote,
//! swallows every following row into one field. Here a malformed record is reported with its line
//! number and reading resumes on the next physical line, so every good row still lands.

use std::borrow::Cow;
use super::report::RowProblem;

pub struct CsvRecord<'a> {
    /// 1-based physical line where the record starts.
    pub line: usize,
    pub fields: Vec<Cow<'a, str>>,
    /// The record's source text, for the rejected-rows file.
    pub raw: &'a str,
}

pub struct CsvText<'a> {
    pub delimiter: u8,
    pub header: Vec<Cow<'a, str>>,
    pub records: Vec<CsvRecord<'a>>,
    /// Malformed records: (line, reason, source text).
    pub errors: Vec<(usize, RowProblem, &'a str)>,
}

/// Picks the delimiter that occurs most often (outside quotes) in the header line.
pub fn sniff_delimiter(text: &str) -> u8 {
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in first_line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if *d == b {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// Files at least this large without a single quote character are read on all cores.
const PARALLEL_FROM: usize = 1 << 20;

/// Reads the whole text: the first non-empty record is the header; blank lines are skipped.
pub fn read(text: &str, delimiter: Option<u8>) -> CsvText<'_> {
    read_split(text, delimiter, PARALLEL_FROM)
}

/// What a stretch of the text held.
#[derive(Default)]
struct Part<'a> {
    header: Option<Vec<Cow<'a, str>>>,
    records: Vec<CsvRecord<'a>>,
    errors: Vec<(usize, RowProblem, &'a str)>,
}

fn read_split(text: &str, delimiter: Option<u8>, parallel_from: usize) -> CsvText<'_> {
    use rayon::prelude::*;
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(text));
    let bytes = text.as_bytes();
    let mut whole = Part::default();
    // Without quotes every record is one physical line, so the body splits at line ends.
    if bytes.len() >= parallel_from && !bytes.contains(&b'"') {
        let mut header_start = 0;
        while bytes.get(header_start) == Some(&b'\n')
            || (bytes.get(header_start) == Some(&b'\r')
                && bytes.get(header_start + 1) == Some(&b'\n'))
        {
            header_start += if bytes[header_start] == b'\r' { 2 } else { 1 };
        }
        let body = end_of_line(bytes, header_start).0;
        read_range(text, 0, body, 1, delimiter, &mut whole);
        let pieces = rayon::current_num_threads() * 4;
        let mut bounds = vec![body];
        for k in 1..pieces {
            let at =
                (body + (bytes.len() - body) * k / pieces).max(*bounds.last().unwrap_or(&body));
            bounds.push(if at >= bytes.len() {
                bytes.len()
            } else {
                end_of_line(bytes, at).0
            });
        }
        bounds.push(bytes.len());
        let newlines: Vec<usize> = bounds
            .par_windows(2)
            .map(|w| bytes[w[0]..w[1]].iter().filter(|&&b| b == b'\n').count())
            .collect();
        let mut line = 1 + bytes[..body].iter().filter(|&&b| b == b'\n').count();
        let mut ranges = Vec::new();
        for (w, n) in bounds.windows(2).zip(newlines) {
            ranges.push((w[0], w[1], line));
            line += n;
        }
        let header = whole.header.clone();
        let parts: Vec<Part> = ranges
            .into_par_iter()
            .map(|(start, end, line)| {
                let mut part = Part {
                    header: header.clone(),
                    ..Part::default()
                };
                read_range(text, start, end, line, delimiter, &mut part);
                part
            })
            .collect();
        for part in parts {
            whole.records.extend(part.records);
            whole.errors.extend(part.errors);
        }
    } else {
        read_range(text, 0, bytes.len(), 1, delimiter, &mut whole);
    }
    CsvText {
        delimiter,
        header: whole.header.unwrap_or_default(),
        records: whole.records,
        errors: whole.errors,
    }
}

/// Reads records from `pos` (on physical line `line`) up to `end`; the first record read when
/// `part` has no header yet becomes the header.
fn read_range<'a>(
    text: &'a str,
    mut pos: usize,
    end: usize,
    mut line: usize,
    delimiter: u8,
    part: &mut Part<'a>,
) {
    let bytes = text.as_bytes();
    while pos < end {
        if bytes[pos] == b'\n' || (bytes[pos] == b'\r' && bytes.get(pos + 1) == Some(&b'\n')) {
            pos += if bytes[pos] == b'\r' { 2 } else { 1 };
            line += 1;
            continue;
        }
        match parse_record(text, pos, delimiter) {
            Ok((fields, next, lines)) => {
                let raw = text[pos..next].trim_end_matches(['\r', '\n']);
                match &part.header {
                    None => part.header = Some(fields),
                    Some(h) if h.len() != fields.len() => part.errors.push((
                        line,
                        RowProblem::new(
                            "row_columns",
                            &[
                                ("expected", &h.len().to_string()),
                                ("found", &fields.len().to_string()),
                            ],
                        ),
                        raw,
                    )),
                    Some(_) => part.records.push(CsvRecord { line, fields, raw }),
                }
                pos = next;
                line += lines;
            }
            Err(reason) => {
                // Resume on the next physical line: a broken quote must not swallow later rows.
                let (next, content_end) = end_of_line(bytes, pos);
                part.errors
                    .push((line, reason, text[pos..content_end].trim_end_matches('\r')));
                pos = next;
                line += 1;
            }
        }
    }
}

/// Position after the line containing `pos`, and the end of its content.
fn end_of_line(bytes: &[u8], pos: usize) -> (usize, usize) {
    match memchr_newline(&bytes[pos..]) {
        Some(i) => (pos + i + 1, pos + i),
        None => (bytes.len(), bytes.len()),
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Parses one record starting at `start`. Returns the fields, the position after the record's
/// line ending, and how many physical lines it spanned.
fn parse_record(
    text: &str,
    start: usize,
    delim: u8,
) -> Result<(Vec<Cow<'_, str>>, usize, usize), RowProblem> {
    let bytes = text.as_bytes();
    let mut fields = Vec::new();
    let mut pos = start;
    let mut lines = 1;
    loop {
        if bytes.get(pos) == Some(&b'"') {
            // Quoted field: "" is an escaped quote; the closing quote must end the field.
            let mut value = String::new();
            let mut chunk_start = pos + 1;
            let mut i = pos + 1;
            loop {
                match bytes.get(i) {
                    None => return Err(RowProblem::new("row_quote", &[])),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        value.push_str(&text[chunk_start..=i]);
                        i += 2;
                        chunk_start = i;
                    }
                    Some(b'"') => {
                        value.push_str(&text[chunk_start..i]);
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        lines += 1;
                        i += 1;
                    }
                    Some(_) => i += 1,
                }
            }
            fields.push(Cow::Owned(value));
            pos = i;
            match bytes.get(pos) {
                Some(&b) if b == delim => pos += 1,
                None => return Ok((fields, pos, lines)),
                Some(b'\n') => return Ok((fields, pos + 1, lines)),
                Some(b'\r') if bytes.get(pos + 1) == Some(&b'\n') => {
                    return Ok((fields, pos + 2, lines))
                }
                Some(_) => return Err(RowProblem::new("row_quote_text_after", &[])),
            }
        } else {
            let field_start = pos;
            while let Some(&b) = bytes.get(pos) {
                if b == delim || b == b'\n' {
                    break;
                }
                if b == b'"' {
                    return Err(RowProblem::new("row_quote_inside", &[]));
                }
                pos += 1;
            }
            let mut field_end = pos;
            if field_end > field_start && bytes[field_end - 1] == b'\r' {
                field_end -= 1;
            }
            fields.push(Cow::Borrowed(&text[field_start..field_end]));
            match bytes.get(pos) {
                Some(&b) if b == delim => pos += 1,
                Some(_) => return Ok((fields, pos + 1, lines)),
                None => return Ok((fields, pos, lines)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_free_file_read_in_parallel_pieces_reads_as_one_piece() {
        let mut text = String::from("\r\n\nemail;city;points\r\n");
        for i in 0..5_000 {
            match i % 97 {
                0 => text.push('\n'),
                1 => text.push_str(&format!("bad{i}@x.com;only two\r\n")),
                _ => text.push_str(&format!("c{i}@x.com;Zürich {i};{i}\n")),
            }
        }
        let (one, split) = (
            read_split(&text, None, usize::MAX),
            read_split(&text, None, 0),
        );
        fn view<'a>(t: &CsvText<'a>) -> impl PartialEq + std::fmt::Debug + 'a {
            let records: Vec<_> = t
                .records
                .iter()
                .map(|r| (r.line, r.fields.clone(), r.raw))
                .collect();
            (t.delimiter, t.header.clone(), records, t.errors.clone())
        }
        assert_eq!(view(&split), view(&one));
        assert_eq!(one.records.len(), 5_000 - 2 * 52);
        assert_eq!(one.errors[0].0, 5);
    }

    #[test]
    fn quoted_fields_with_delimiters_newlines_and_escaped_quotes() {
        let t = read("a,b\n\"x, \"\"y\"\"\",\"multi\nline\"\n3,4\n", None);
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(t.records[0].fields, vec!["x, \"y\"", "multi\nline"]);
        assert_eq!(
            (t.records[1].line, t.records[1].fields[0].as_ref()),
            (4, "3")
        );
    }

    #[test]
    fn broken_rows_are_reported_and_reading_resumes() {
        let t = read("a;b\n1;\"open\n2;3\n4;5;6\n7;x\"y\n8;9\n", None);
        let lines: Vec<usize> = t.errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![2, 4, 5]);
        let good: Vec<usize> = t.records.iter().map(|r| r.line).collect();
        assert_eq!(good, vec![3, 6]);
    }
}
