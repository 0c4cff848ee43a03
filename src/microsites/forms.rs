//! The forms a site declares in `site.json`, and the check that the pages' `<form>`s are those
//! forms: each posts to `form/NAME` of a declared form, names only its declared fields and has
//! every required one. The server will accept exactly these fields (issue 12).
//!
//! ```json
//! "forms": {"preferences": {"fields": [
//!   {"name": "topics", "type": "choice", "values": ["coffee", "tea"], "multiple": true},
//!   {"name": "frequency", "type": "choice", "values": ["weekly", "monthly"], "required": true}]}}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// The allowed values of a choice.
    #[serde(default)]
    pub values: Vec<String>,
    /// Whether a choice takes several values (check boxes).
    #[serde(default)]
    pub multiple: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Email,
    Number,
    Choice,
    /// A yes/no consent (`consent_email`, …): it updates the customer's consent.
    Consent,
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
}

/// Whether the declarations make sense on their own; the first problem, in words.
pub fn check_declarations(forms: &BTreeMap<String, Form>) -> Result<(), String> {
    for (name, form) in forms {
        if !plain_name(name) {
            return Err(format!(
                "form '{name}': a form is named with a-z, 0-9, - and _"
            ));
        }
        if form.fields.is_empty() {
            return Err(format!("form '{name}' has no fields"));
        }
        for (i, field) in form.fields.iter().enumerate() {
            let at = format!("form '{name}', field '{}'", field.name);
            if !plain_name(&field.name) {
                return Err(format!("{at}: a field is named with a-z, 0-9, - and _"));
            }
            if form.fields[..i].iter().any(|f| f.name == field.name) {
                return Err(format!("{at} is declared twice"));
            }
            match (field.kind, field.values.is_empty()) {
                (FieldKind::Choice, true) => {
                    return Err(format!("{at}: a choice lists its values"))
                }
                (FieldKind::Choice, false) => {}
                (_, false) => return Err(format!("{at}: only a choice has values")),
                (_, true) if field.multiple => {
                    return Err(format!("{at}: only a choice takes several values"))
                }
                (_, true) => {}
            }
        }
    }
    Ok(())
}

/// The value of attribute `name` in a tag's text (`<input name="x" …>`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| from + i) {
        from = i + name.len();
        let before = lower[..i].chars().last();
        let rest = lower[from..].trim_start();
        if !before.is_some_and(char::is_whitespace) || !rest.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - rest.len() + 1;
        let value = tag[value_start..].trim_start();
        let start = tag.len() - value.len();
        return match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..]
                .find(q)
                .map(|end| &tag[start + 1..start + 1 + end]),
            _ => Some(
                value
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
            ),
        };
    }
    None
}

/// Where in `html` a page's forms differ from their declarations: (offset, what is wrong).
pub fn check_forms_in(html: &str, forms: &BTreeMap<String, Form>) -> Result<(), (usize, String)> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form").map(|i| from + i) {
        let tag_end = lower[start..]
            .find('>')
            .map_or(html.len(), |i| start + i + 1);
        let body_end = lower[tag_end..]
            .find("</form")
            .map_or(html.len(), |i| tag_end + i);
        let action = attribute(&html[start..tag_end], "action").unwrap_or("");
        let Some(form) = action
            .strip_prefix("form/")
            .and_then(|name| forms.get(name))
        else {
            let declared: Vec<&str> = forms.keys().map(String::as_str).collect();
            return Err((
                start,
                format!(
                    "this form posts to '{action}': a form posts to form/NAME of a form declared in site.json ({})",
                    if declared.is_empty() { "none is".to_string() } else { declared.join(", ") }
                ),
            ));
        };
        let mut named = Vec::new();
        let mut at = tag_end;
        while let Some(i) = lower[at..body_end].find('<').map(|i| at + i) {
            let end = lower[i..body_end].find('>').map_or(body_end, |e| i + e + 1);
            let tag = &html[i..end];
            let element = lower[i + 1..end]
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or("");
            if matches!(element, "input" | "select" | "textarea" | "button") {
                if let Some(name) = attribute(tag, "name") {
                    if !form.fields.iter().any(|f| f.name == name) {
                        return Err((
                            i,
                            format!(
                                "'{name}' is not a field of form '{}' in site.json",
                                &action[5..]
                            ),
                        ));
                    }
                    named.push(name.to_string());
                }
            }
            at = end;
        }
        if let Some(missing) = form
            .fields
            .iter()
            .find(|f| f.required && !named.contains(&f.name))
        {
            return Err((
                start,
                format!(
                    "this form has no '{}', which form '{}' requires",
                    missing.name,
                    &action[5..]
                ),
            ));
        }
        from = body_end.max(start + 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_with_either_quote_or_none() {
        assert_eq!(
            attribute(r#"<input type="checkbox" name="topics">"#, "name"),
            Some("topics")
        );
        assert_eq!(attribute("<input name='a b' >", "name"), Some("a b"));
        assert_eq!(attribute("<input NAME=x>", "name"), Some("x"));
        assert_eq!(attribute(r#"<input data-name="x">"#, "name"), None);
        assert_eq!(attribute("<button type=submit>", "name"), None);
    }
}
