//! The names users give what they save (templates, segments, campaigns): one check for every
//! host, so the CLI cannot store what the app would refuse.

/// Longer names are refused: they are labels in lists, not documents.
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a {0} needs a name")]
    Empty(&'static str),
    #[error("a {what} name can have at most {MAX_NAME_CHARS} characters (this one has {chars})")]
    TooLong { what: &'static str, chars: usize },
    #[error("a {what} name cannot contain the invisible character U+{code:04X}")]
    Invisible { what: &'static str, code: u32 },
    #[error("a {what} name cannot contain '{found}'")]
    Separator { what: &'static str, found: char },
    #[error("a {what} name cannot be only '{name}'")]
    Dots { what: &'static str, name: String },
}

impl crate::error::Coded for NameError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::InvalidInput
    }

    fn problem(&self) -> Option<crate::error::FieldProblem> {
        Some(self.at("name"))
    }
}

impl NameError {
    /// The problem as one of the name field at `field` (a variant's: `variants.0.name`).
    pub fn at(&self, field: impl Into<String>) -> crate::error::FieldProblem {
        use crate::error::FieldProblem;
        match self {
            NameError::Empty(_) => FieldProblem::new(field, "name_empty", &[]),
            NameError::TooLong { chars, .. } => FieldProblem::new(
                field,
                "name_too_long",
                &[("max", MAX_NAME_CHARS.to_string()), ("chars", chars.to_string())],
            ),
            NameError::Invisible { code, .. } => FieldProblem::new(
                field,
                "name_invisible",
                &[("code", format!("U+{code:04X}"))],
            ),
            NameError::Separator { found, .. } => {
                FieldProblem::new(field, "name_separator", &[("found", found.to_string())])
            }
            NameError::Dots { name, .. } => {
                FieldProblem::new(field, "name_dots", &[("found", name.clone())])
            }
        }
    }
}

/// `name` trimmed, if it is a usable name for a `what` ("template", "segment", …): not empty,
/// at most [`MAX_NAME_CHARS`] characters, no control or invisible characters, no `/` or `\`,
/// and not `.` or `..` (names may become file names in exports).
pub fn check_name<'a>(name: &'a str, what: &'static str) -> Result<&'a str, NameError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(NameError::Empty(what));
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(NameError::TooLong { what, chars });
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || crate::values::clean::is_invisible(*c))
    {
        return Err(NameError::Invisible {
            what,
            code: c as u32,
        });
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Err(NameError::Separator { what, found: c });
    }
    if name == "." || name == ".." {
        return Err(NameError::Dots {
            what,
            name: name.to_string(),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            check_name("  Coffee lovers ☕ ", "segment"),
            Ok("Coffee lovers ☕")
        );
        assert_eq!(check_name("春季促销", "template"), Ok("春季促销"));
        assert_eq!(check_name(" ", "segment"), Err(NameError::Empty("segment")));
        assert!(check_name(&"x".repeat(101), "segment").is_err());
        for bad in [
            "../../etc/x",
            "a\\b",
            "a\r\nb",
            "..",
            "a\u{200B}b",
            "x\u{1b}[31m",
        ] {
            assert!(check_name(bad, "template").is_err(), "{bad:?}");
        }
    }
}
