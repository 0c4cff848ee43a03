//! Calls to action: a page marks a link it wants counted with `data-cta="NAME"`
//! (`<a href="{{offer_url}}" data-cta="offer">`). Each customer's site then gets `go/NAME.html`, a
//! page that forwards to the link's target, and the link points there. On any static host the
//! link still works (the page forwards at once); under `tessera serve` fetching it is the click.

use super::forms::{attribute, plain_name};

/// The schemes a call to action may forward to.
fn forwardable(target: &str) -> bool {
    let lower = target.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:", "tel:"]
        .iter()
        .any(|s| lower.starts_with(s))
}

/// A link to another host without a scheme (`//host/path`; browsers read `/\host` and `\\host`
/// the same): where it leads is decided by the page's own scheme, so it is given https.
fn with_scheme(target: &str) -> Option<String> {
    let trimmed = target.trim_start();
    let mut start = trimmed.chars();
    let slashes = matches!(
        (start.next(), start.next()),
        (Some('/' | '\\'), Some('/' | '\\'))
    );
    slashes.then(|| format!("https://{}", trimmed[2..].trim_start_matches(['/', '\\'])))
}

/// The `<a …>` tags of `html` with a `data-cta`, as (tag start, tag end, name).
fn marked_links(html: &str) -> Vec<(usize, usize, &str)> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<a").map(|i| from + i) {
        let end = lower[start..]
            .find('>')
            .map_or(html.len(), |i| start + i + 1);
        from = end;
        if !lower[start + 2..].starts_with(|c: char| c.is_whitespace()) {
            continue;
        }
        if let Some(name) = attribute(&html[start..end], "data-cta") {
            found.push((start, end, name));
        }
    }
    found
}

/// The names of the calls to action in a page's template text; a name that is not plain
/// (a-z, 0-9, - and _), or is a merge tag, is refused at its place.
pub fn check_calls_to_action(text: &str) -> Result<Vec<String>, (usize, String)> {
    marked_links(text)
        .into_iter()
        .map(|(start, _, name)| {
            if plain_name(name) {
                Ok(name.to_string())
            } else {
                Err((
                    start,
                    format!(
                        "data-cta=\"{name}\": a call to action is named with a-z, 0-9, - and _"
                    ),
                ))
            }
        })
        .collect()
}

/// A rendered page with its calls to action pointing at `go/NAME.html`, and each one's target
/// as written in the page (escaped for HTML). A link to nowhere a browser can be sent (`#`, a
/// relative page) is left as it is.
pub fn route_calls_to_action(html: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(html.len());
    let mut targets: Vec<(String, String)> = Vec::new();
    let mut copied = 0;
    for (start, end, name) in marked_links(html) {
        let tag = &html[start..end];
        let Some(href) = attribute(tag, "href") else {
            continue;
        };
        let target = match with_scheme(href) {
            Some(absolute) => absolute,
            None if forwardable(href) => href.to_string(),
            None => continue,
        };
        // `attribute` borrows from the tag: find where its value sits to replace it.
        let value_at = start + (href.as_ptr() as usize - tag.as_ptr() as usize);
        out.push_str(&html[copied..value_at]);
        out.push_str(&format!("go/{name}.html"));
        copied = value_at + href.len();
        if !targets.iter().any(|(n, _)| n == name) {
            targets.push((name.to_string(), target.replace('"', "&quot;")));
        }
    }
    out.push_str(&html[copied..]);
    (out, targets)
}

/// `go/NAME.html`: forwards to `target` at once, telling the target nothing of where the
/// visitor came from.
pub fn forwarding_page(target: &str, lang: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={target}\">\n<title>…</title>\n</head>\n\
         <body>\n<p><a href=\"{target}\" rel=\"noreferrer\">{target}</a></p>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_links_point_at_their_forwarding_page() {
        let html = r#"<a href="https://shop.example/o?a=1&amp;b=2" class="cta" data-cta="offer">Go</a> <a href="x.html">x</a> <a data-cta="bad" href="javascript:alert(1)">y</a>"#;
        let (out, targets) = route_calls_to_action(html);
        assert_eq!(
            out,
            r#"<a href="go/offer.html" class="cta" data-cta="offer">Go</a> <a href="x.html">x</a> <a data-cta="bad" href="javascript:alert(1)">y</a>"#
        );
        assert_eq!(
            targets,
            [(
                "offer".to_string(),
                "https://shop.example/o?a=1&amp;b=2".to_string()
            )]
        );
        assert!(check_calls_to_action(r#"<a data-cta="{{x}}">"#).is_err());
        assert_eq!(
            check_calls_to_action(r#"<abbr data-cta="x"><a data-cta="y">"#).unwrap(),
            ["y"]
        );
    }
}
