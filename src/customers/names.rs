//! People's names as their culture writes them: Chinese, Japanese and Korean names put the
//! family name first with no space (张伟), others the given name first (Anna Schmidt).

/// Whether a name is written in Chinese, Japanese or Korean script (by its first letter).
pub fn is_cjk(name: &str) -> bool {
    name.trim().chars().next().is_some_and(|c| {
        matches!(c,
            '\u{3040}'..='\u{30FF}'   // kana
            | '\u{3400}'..='\u{4DBF}' // CJK extension A
            | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
            | '\u{AC00}'..='\u{D7AF}' // Hangul
            | '\u{F900}'..='\u{FAFF}' // CJK compatibility
            | '\u{20000}'..='\u{2FFFF}') // CJK extensions B–F
    })
}

/// The name to show or greet: 张伟 (family name first, no space) or Anna Schmidt.
pub fn display_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let name = match (
        first.filter(|f| !f.is_empty()),
        last.filter(|l| !l.is_empty()),
    ) {
        (Some(f), Some(l)) if is_cjk(l) || is_cjk(f) => format!("{l}{f}"),
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(f), None) => f.to_string(),
        (None, Some(l)) => l.to_string(),
        (None, None) => return None,
    };
    Some(name)
}

/// The name a greeting uses: the whole name where a first name alone would be too familiar or
/// odd (Chinese, Japanese, Korean: "王芳", never "芳"), else the first name ("Anna").
pub fn greeting_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let cjk = first.is_some_and(is_cjk) || last.is_some_and(is_cjk);
    match first.filter(|f| !f.is_empty()) {
        Some(f) if !cjk => Some(f.to_string()),
        _ => display_name(first, last),
    }
}

/// "Anna Schmidt" → (Anna, Schmidt); "张伟" → (伟, 张): Chinese names put the family name first.
pub fn split_full_name(name: &str) -> (Option<String>, Option<String>) {
    let name = name.trim();
    if is_cjk(name) && !name.contains(' ') {
        const COMPOUND: &[&str] = &[
            "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯",
        ];
        let family_len = if COMPOUND.iter().any(|s| name.starts_with(s)) && name.chars().count() > 2
        {
            2
        } else {
            1
        };
        let split = name
            .char_indices()
            .nth(family_len)
            .map_or(name.len(), |(i, _)| i);
        let (family, given) = name.split_at(split);
        return (
            Some(given.to_string()).filter(|s| !s.is_empty()),
            Some(family.to_string()),
        );
    }
    match name.rsplit_once(' ') {
        Some((first, last)) => (Some(first.trim().to_string()), Some(last.to_string())),
        None => (Some(name.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_use_the_name_a_culture_greets_with() {
        assert_eq!(
            greeting_name(Some("芳"), Some("王")).as_deref(),
            Some("王芳")
        );
        assert_eq!(
            greeting_name(Some("Anna"), Some("Schmidt")).as_deref(),
            Some("Anna")
        );
        assert_eq!(greeting_name(None, Some("王")).as_deref(), Some("王"));
        assert_eq!(
            greeting_name(Some("Zoë 👩‍🔬"), None).as_deref(),
            Some("Zoë 👩‍🔬")
        );
        assert_eq!(greeting_name(None, None), None);
    }

    #[test]
    fn names_in_their_cultures_order() {
        assert_eq!(
            display_name(Some("伟"), Some("张")).as_deref(),
            Some("张伟")
        );
        assert_eq!(
            display_name(Some("秀兰"), Some("周")).as_deref(),
            Some("周秀兰")
        );
        assert_eq!(
            display_name(Some("Zoë"), Some("Müller")).as_deref(),
            Some("Zoë Müller")
        );
        assert_eq!(
            display_name(Some("지민"), Some("박")).as_deref(),
            Some("박지민")
        );
        assert_eq!(display_name(None, None), None);
        assert_eq!(
            split_full_name("欧阳娜娜"),
            (Some("娜娜".into()), Some("欧阳".into()))
        );
        assert_eq!(
            split_full_name("Anna Maria Schmidt"),
            (Some("Anna Maria".into()), Some("Schmidt".into()))
        );
    }
}
