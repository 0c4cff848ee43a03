//! Conditions in words, for the funnel and the segment list.

use super::rule::{
    Compare, Condition, ConsentStatus, DateOp, FieldOp, FirstOrLast, Match, Measure, TagOp, Window,
};

fn compare_word(c: Compare) -> &'static str {
    match c {
        Compare::Eq => "=",
        Compare::Ne => "≠",
        Compare::Gt => ">",
        Compare::Gte => "≥",
        Compare::Lt => "<",
        Compare::Lte => "≤",
    }
}

fn date_words(op: &DateOp) -> String {
    match op {
        DateOp::Before { value } => format!("before {value}"),
        DateOp::After { value } => format!("after {value}"),
        DateOp::WithinLastDays { days } => format!("in the last {days} days"),
        DateOp::WithinNextDays { days } => format!("in the next {days} days"),
        DateOp::AnniversaryWithinDays { days } => format!("recurs in the next {days} days"),
    }
}

/// A list as a label: the first few, then how many more (a list may hold thousands).
fn list(values: &[String]) -> String {
    const SHOWN: usize = 5;
    let first = values
        .iter()
        .take(SHOWN)
        .map(|v| v.chars().take(40).collect::<String>())
        .collect::<Vec<_>>()
        .join(", ");
    match values.len() {
        n if n > SHOWN => format!("{first} and {} more", n - SHOWN),
        _ => first,
    }
}

pub fn describe(c: &Condition) -> String {
    match c {
        Condition::Field { field, op } => match op {
            FieldOp::Equals { value } => format!("{field} is \"{value}\""),
            FieldOp::NotEquals { value } => format!("{field} is not \"{value}\""),
            FieldOp::Contains { value } => format!("{field} contains \"{value}\""),
            FieldOp::StartsWith { value } => format!("{field} starts with \"{value}\""),
            FieldOp::In { values } => format!("{field} is one of {}", list(values)),
            FieldOp::IsSet => format!("{field} is set"),
            FieldOp::NotSet => format!("{field} is not set"),
            FieldOp::Compare { compare, value } => {
                format!("{field} {} {value}", compare_word(*compare))
            }
            FieldOp::Between { min, max } => format!("{field} between {min} and {max}"),
            FieldOp::Date(op) => format!("{field} {}", date_words(op)),
            FieldOp::IsTrue => format!("{field} is yes"),
            FieldOp::IsFalse => format!("{field} is no"),
        },
        Condition::Tags { op, tags } => {
            let how = match op {
                TagOp::HasAny => "has any tag of",
                TagOp::HasAll => "has all tags",
                TagOp::HasNone => "has none of the tags",
            };
            format!("{how} {}", list(tags))
        }
        Condition::Consent { channel, status } => {
            let s = match status {
                ConsentStatus::Granted => "granted",
                ConsentStatus::Revoked => "withdrawn",
                ConsentStatus::Unknown => "unknown",
            };
            format!("{channel} consent {s}")
        }
        Condition::Event {
            event_type,
            measure,
            property,
            window,
            compare,
            value,
        } => {
            let what = match measure {
                Measure::Count => format!("number of {event_type} events"),
                Measure::Sum => format!("total {event_type} value"),
                Measure::Average => format!("average {event_type} value"),
            };
            let filter = property
                .as_ref()
                .map(|p| format!(" with {} = {}", p.name, p.equals))
                .unwrap_or_default();
            let when = match window {
                Window::Ever => String::new(),
                Window::LastDays(days) => format!(" in the last {days} days"),
                Window::Between { from, to } => format!(" between {from} and {to}"),
            };
            format!("{what}{filter}{when} {} {value}", compare_word(*compare))
        }
        Condition::Occurrence {
            event_type,
            which,
            op,
        } => {
            let w = match which {
                FirstOrLast::First => "first",
                FirstOrLast::Last => "last",
            };
            format!("{w} {event_type} {}", date_words(op))
        }
        Condition::Score {
            score,
            compare,
            value,
        } => format!(
            "{} {} {value}",
            score.column().replace('_', " "),
            compare_word(*compare)
        ),
        Condition::RfmGroup { groups } => format!("RFM group is {}", groups.join(" or ")),
        Condition::Band { score, bands } => format!(
            "{} band is {}",
            score.column().trim_end_matches("_band"),
            bands.join(" or ")
        ),
        Condition::Segment { name } => format!("in segment \"{name}\""),
        Condition::Campaign { campaign, arm, converted } => {
            let who = match arm.as_deref() {
                Some("holdout") => format!("held out of \"{campaign}\""),
                Some(arm) => format!("received {arm} of \"{campaign}\""),
                None => format!("received \"{campaign}\""),
            };
            match converted {
                Some(true) => format!("{who} and converted"),
                Some(false) => format!("{who} and did not convert"),
                None => who,
            }
        }
        Condition::Group(g) => {
            let joined = g.conditions.iter().map(describe).collect::<Vec<_>>().join(
                if g.matching == Match::All {
                    " and "
                } else {
                    " or "
                },
            );
            if g.not {
                format!("not ({joined})")
            } else {
                format!("({joined})")
            }
        }
    }
}
