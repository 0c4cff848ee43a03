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

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The field bots fill in and people do not see: a form may carry it, undeclared; a submission
/// with it filled in is answered as if taken, and dropped.
pub const HONEYPOT: &str = "_hp";

/// The consent channels a consent field may set (`consent_email`, …).
const CONSENT_CHANNELS: [&str; 3] = ["email", "sms", "push"];

/// A text field's longest value, in characters.
const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Email,
    Number,
    Choice,
    /// A yes/no consent (`consent_email`, …): it updates the customer's consent.
    Consent,
}

/// A name of a form, field or call to action: a-z, 0-9, `-` and `_`, at most 64.
pub(super) fn plain_name(name: &str) -> bool {
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
            if field.kind == FieldKind::Consent
                && !field
                    .name
                    .strip_prefix("consent_")
                    .is_some_and(|c| CONSENT_CHANNELS.contains(&c))
            {
                return Err(format!(
                    "{at}: a consent field is named consent_email, consent_sms or consent_push"
                ));
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
pub(super) fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
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
                if let Some(name) = attribute(tag, "name").filter(|n| *n != HONEYPOT) {
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

/// A submission, checked against its form.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    /// The fields as event properties (a multiple choice as a list), and the consents it sets.
    Taken {
        properties: Map<String, Value>,
        consent: Vec<(String, bool)>,
    },
    /// The honeypot was filled in.
    Bot,
}

fn yes_or_no(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" => Some(true),
        "no" | "off" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn plausible_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    value.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What is wrong with a submission, naming the form's field (in the form's own words, never
/// the visitor's beyond a short quote of a refused choice). `Display` is English; the page the
/// visitor sees is in the site's language ([`FormProblem::words`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormProblem {
    #[error("'{0}' is not a field of this form")]
    UnknownField(String),
    #[error("'{0}' holds control characters")]
    ControlCharacters(String),
    #[error("'{0}' is longer than {MAX_TEXT} characters")]
    TooLong(String),
    #[error("'{0}' is not an email address")]
    NotEmail(String),
    #[error("'{0}' is not a number")]
    NotNumber(String),
    #[error("'{value}' is not one of the choices of '{field}'")]
    NotAChoice { field: String, value: String },
    #[error("'{0}' is answered yes or no")]
    YesOrNo(String),
    #[error("'{0}' is given twice")]
    Twice(String),
    #[error("'{0}' is required")]
    Required(String),
}

impl FormProblem {
    /// The problem in the site's language (`zh`, else English).
    pub fn words(&self, lang: &str) -> String {
        if !lang.starts_with("zh") {
            return self.to_string();
        }
        match self {
            FormProblem::UnknownField(f) => format!("“{f}”不是此表单的字段。"),
            FormProblem::ControlCharacters(f) => format!("“{f}”中含有控制字符。"),
            FormProblem::TooLong(f) => format!("“{f}”超过了 {MAX_TEXT} 个字符。"),
            FormProblem::NotEmail(f) => format!("“{f}”不是邮箱地址。"),
            FormProblem::NotNumber(f) => format!("“{f}”不是数字。"),
            FormProblem::NotAChoice { field, value } => {
                format!("“{value}”不是“{field}”的选项之一。")
            }
            FormProblem::YesOrNo(f) => format!("“{f}”只能回答是或否。"),
            FormProblem::Twice(f) => format!("“{f}”提交了两次。"),
            FormProblem::Required(f) => format!("请填写“{f}”。"),
        }
    }
}

impl Form {
    /// Checks the submitted (name, value) pairs: every name a declared field, every value of
    /// its type, every required field there. The first problem, else what it says.
    pub fn check_submission(&self, pairs: &[(String, String)]) -> Result<Submission, FormProblem> {
        let mut properties = Map::new();
        let mut consent = Vec::new();
        for (name, value) in pairs {
            if name == HONEYPOT {
                if !value.trim().is_empty() {
                    return Ok(Submission::Bot);
                }
                continue;
            }
            let Some(field) = self.fields.iter().find(|f| &f.name == name) else {
                return Err(FormProblem::UnknownField(truncated(name)));
            };
            if value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err(FormProblem::ControlCharacters(name.clone()));
            }
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let taken = match field.kind {
                FieldKind::Text if value.chars().count() > MAX_TEXT => {
                    return Err(FormProblem::TooLong(name.clone()))
                }
                FieldKind::Text => Value::String(value.to_string()),
                FieldKind::Email if plausible_email(value) => Value::String(value.to_string()),
                FieldKind::Email => return Err(FormProblem::NotEmail(name.clone())),
                FieldKind::Number => match value.parse::<f64>().ok().filter(|n| n.is_finite()) {
                    Some(n) => serde_json::json!(n),
                    None => return Err(FormProblem::NotNumber(name.clone())),
                },
                FieldKind::Choice if field.values.iter().any(|v| v == value) => {
                    Value::String(value.to_string())
                }
                FieldKind::Choice => {
                    return Err(FormProblem::NotAChoice {
                        field: name.clone(),
                        value: truncated(value),
                    })
                }
                FieldKind::Consent => match yes_or_no(value) {
                    Some(granted) => {
                        let channel = name.trim_start_matches("consent_").to_string();
                        consent.retain(|(c, _)| *c != channel);
                        consent.push((channel, granted));
                        Value::Bool(granted)
                    }
                    None => return Err(FormProblem::YesOrNo(name.clone())),
                },
            };
            match (properties.get_mut(name), field.multiple) {
                (Some(Value::Array(list)), true) => {
                    if !list.contains(&taken) {
                        list.push(taken);
                    }
                }
                (Some(_), _) => return Err(FormProblem::Twice(name.clone())),
                (None, true) => {
                    properties.insert(name.clone(), Value::Array(vec![taken]));
                }
                (None, false) => {
                    properties.insert(name.clone(), taken);
                }
            }
        }
        if let Some(missing) = self
            .fields
            .iter()
            .find(|f| f.required && !properties.contains_key(&f.name))
        {
            return Err(FormProblem::Required(missing.name.clone()));
        }
        Ok(Submission::Taken {
            properties,
            consent,
        })
    }
}

/// A value quoted back in an error: short, whatever was sent.
fn truncated(text: &str) -> String {
    let short: String = text.chars().take(40).filter(|c| !c.is_control()).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
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
