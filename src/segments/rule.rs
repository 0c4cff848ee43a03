//! A segment rule: typed data, versioned, serialized as JSON. Groups combine conditions with
//! all/any and may be negated; conditions test fields, attributes, tags, consent, event history
//! and membership of other saved segments.

use serde::{Deserialize, Serialize};

/// The rule format this engine writes and reads.
pub const RULE_VERSION: u32 = 1;
/// Nesting beyond this is refused (a hostile or generated rule must not exhaust the stack).
pub const MAX_DEPTH: usize = 32;
/// Conditions beyond this are refused.
pub const MAX_CONDITIONS: usize = 1000;
/// Day counts beyond this (a century) are refused: nothing a shop records is older, and time
/// arithmetic on larger spans overflows.
pub const MAX_DAYS: u32 = 36_600;

#[cfg_attr(feature = "specta", derive(specta::Type))]
/// Read with [`Rule::parse`], which refuses unknown keys at any depth (serde's own
/// `deny_unknown_fields` cannot see through the flattened and tagged shapes below).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub version: u32,
    #[serde(flatten)]
    pub root: Group,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    #[default]
    All,
    Any,
}

/// Conditions joined by `all` (AND) or `any` (OR); `not` negates the whole group. An empty
/// group constrains nothing.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    #[serde(rename = "match", default)]
    pub matching: Match,
    #[serde(default)]
    pub not: bool,
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// A built-in field (`email`, `first_name`, …) or an attribute (`attributes.city` or just
    /// the attribute's name).
    Field {
        field: String,
        #[serde(flatten)]
        op: FieldOp,
    },
    Tags {
        op: TagOp,
        tags: Vec<String>,
    },
    Consent {
        channel: String,
        status: ConsentStatus,
    },
    /// count / sum / average of an event type, optionally filtered by a property, in a window.
    Event {
        event_type: String,
        #[serde(default)]
        measure: Measure,
        #[serde(default)]
        property: Option<PropertyFilter>,
        #[serde(default)]
        window: Window,
        compare: Compare,
        value: f64,
    },
    /// When an event type first or last happened.
    Occurrence {
        event_type: String,
        which: FirstOrLast,
        #[serde(flatten)]
        op: DateOp,
    },
    /// An RFM or predictive score (`r`, `f`, `m` are quintiles 1–5).
    Score {
        score: ScoreName,
        compare: Compare,
        value: f64,
    },
    /// The named RFM group (Champions, Loyal, …).
    RfmGroup {
        groups: Vec<String>,
    },
    /// The low / medium / high band of Value, Attrition or Potential.
    Band {
        score: BandScore,
        bands: Vec<String>,
    },
    /// Membership of another saved segment.
    Segment {
        name: String,
    },
    /// Where a campaign's latest finished run put the customer: in `arm` (a variant or
    /// `holdout`; any variant when absent), and whether they converted by the campaign's
    /// hypothesis within its window (either when absent) — "received B of spring",
    /// "converted after spring".
    Campaign {
        campaign: String,
        #[serde(default)]
        arm: Option<String>,
        #[serde(default)]
        converted: Option<bool>,
    },
    Group(Group),
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FieldOp {
    // text
    Equals { value: String },
    NotEquals { value: String },
    Contains { value: String },
    StartsWith { value: String },
    In { values: Vec<String> },
    IsSet,
    NotSet,
    // number
    Compare { compare: Compare, value: f64 },
    Between { min: f64, max: f64 },
    // date
    Date(DateOp),
    // boolean
    IsTrue,
    IsFalse,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "date", rename_all = "snake_case")]
pub enum DateOp {
    Before {
        value: String,
    },
    After {
        value: String,
    },
    WithinLastDays {
        days: u32,
    },
    WithinNextDays {
        days: u32,
    },
    /// The date's month and day recur within the next N days (birthdays, anniversaries).
    AnniversaryWithinDays {
        days: u32,
    },
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Compare {
    pub fn sql(self) -> &'static str {
        match self {
            Compare::Eq => "=",
            Compare::Ne => "<>",
            Compare::Gt => ">",
            Compare::Gte => ">=",
            Compare::Lt => "<",
            Compare::Lte => "<=",
        }
    }

    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Compare::Eq => a == b,
            Compare::Ne => a != b,
            Compare::Gt => a > b,
            Compare::Gte => a >= b,
            Compare::Lt => a < b,
            Compare::Lte => a <= b,
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreName {
    RecencyDays,
    Frequency,
    Monetary,
    R,
    F,
    M,
    PAlive,
    ExpectedPurchases,
    ExpectedValue,
    Value,
    Attrition,
    Potential,
}

impl ScoreName {
    pub const ALL: [ScoreName; 12] = [
        ScoreName::RecencyDays,
        ScoreName::Frequency,
        ScoreName::Monetary,
        ScoreName::R,
        ScoreName::F,
        ScoreName::M,
        ScoreName::PAlive,
        ScoreName::ExpectedPurchases,
        ScoreName::ExpectedValue,
        ScoreName::Value,
        ScoreName::Attrition,
        ScoreName::Potential,
    ];

    /// The `customer_scores` column: the only names a score condition can produce.
    pub fn column(self) -> &'static str {
        match self {
            ScoreName::RecencyDays => "recency_days",
            ScoreName::Frequency => "frequency",
            ScoreName::Monetary => "monetary",
            ScoreName::R => "r",
            ScoreName::F => "f",
            ScoreName::M => "m",
            ScoreName::PAlive => "p_alive",
            ScoreName::ExpectedPurchases => "expected_purchases",
            ScoreName::ExpectedValue => "expected_value",
            ScoreName::Value => "value",
            ScoreName::Attrition => "attrition",
            ScoreName::Potential => "potential",
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandScore {
    Value,
    Attrition,
    Potential,
}

impl BandScore {
    pub const ALL: [BandScore; 3] = [BandScore::Value, BandScore::Attrition, BandScore::Potential];

    pub fn column(self) -> &'static str {
        match self {
            BandScore::Value => "value_band",
            BandScore::Attrition => "attrition_band",
            BandScore::Potential => "potential_band",
        }
    }
}

/// The bands a band condition may name.
pub const BANDS: &[&str] = &["low", "medium", "high"];

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagOp {
    HasAny,
    HasAll,
    HasNone,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Granted,
    Revoked,
    Unknown,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    #[default]
    Count,
    Sum,
    Average,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstOrLast {
    First,
    Last,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyFilter {
    pub name: String,
    pub equals: String,
}

/// `"ever"`, `{"last_days": 90}` or `{"between": {"from": "2024-01-01", "to": "2024-03-31"}}`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    #[default]
    Ever,
    LastDays(u32),
    /// From the start of `from` to the end of `to` (dates, inclusive).
    Between {
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum RuleError {
    #[error("not a valid segment rule: {0}")]
    Json(String),
    #[error("rule version {0} is not supported (this Tessera reads version {RULE_VERSION})")]
    Version(u32),
    #[error("condition {path}: {message}")]
    Condition { path: String, message: String },
}

crate::coded!(RuleError {
    _ => InvalidInput,
});

impl Rule {
    /// Reads a rule document: unknown keys are errors (a misspelled `"nott"` must not silently
    /// count the opposite), and so are rules beyond the size, depth and value limits.
    pub fn parse(json: &str) -> Result<Rule, RuleError> {
        crate::document::unique_keys(json).map_err(|e| RuleError::Json(e.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| RuleError::Json(e.to_string()))?;
        if let Some(version) = value.get("version").and_then(serde_json::Value::as_u64) {
            if version != RULE_VERSION as u64 {
                return Err(RuleError::Version(version.min(u32::MAX as u64) as u32));
            }
        }
        let rule: Rule = crate::document::from_value_strict(value)
            .map_err(|e| RuleError::Json(e.to_string()))?;
        rule.validate()?;
        Ok(rule)
    }

    /// The version, size, depth and value limits every evaluation checks first (rules also
    /// arrive typed, from the desktop app, without passing through `parse`).
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.version != RULE_VERSION {
            return Err(RuleError::Version(self.version));
        }
        self.root.check_shape("", 0, &mut 0)
    }
}

impl Group {
    /// The campaigns its conditions name, at any depth.
    pub fn campaigns<'a>(&'a self, names: &mut Vec<&'a str>) {
        for c in &self.conditions {
            match c {
                Condition::Campaign { campaign, .. } => names.push(campaign.trim()),
                Condition::Group(g) => g.campaigns(names),
                _ => {}
            }
        }
    }

    /// Limits depth and size, so evaluation and SQL stay bounded.
    fn check_shape(&self, path: &str, depth: usize, count: &mut usize) -> Result<(), RuleError> {
        if depth > MAX_DEPTH {
            return Err(RuleError::Condition {
                path: path.to_string(),
                message: format!("groups nest deeper than {MAX_DEPTH} levels"),
            });
        }
        for (i, c) in self.conditions.iter().enumerate() {
            *count += 1;
            let here = condition_path(path, i);
            if *count > MAX_CONDITIONS {
                return Err(RuleError::Condition {
                    path: here,
                    message: format!("more than {MAX_CONDITIONS} conditions"),
                });
            }
            if let Some(days) = c.days().filter(|d| *d > MAX_DAYS) {
                return Err(RuleError::Condition {
                    path: here,
                    message: format!(
                        "{days} days is more than the {MAX_DAYS} days (a century) a rule can span"
                    ),
                });
            }
            if let Condition::Group(g) = c {
                g.check_shape(&here, depth + 1, count)?;
            }
        }
        Ok(())
    }
}

impl Condition {
    /// The day count the condition spans, if it has one.
    fn days(&self) -> Option<u32> {
        let of = |op: &DateOp| match op {
            DateOp::WithinLastDays { days }
            | DateOp::WithinNextDays { days }
            | DateOp::AnniversaryWithinDays { days } => Some(*days),
            DateOp::Before { .. } | DateOp::After { .. } => None,
        };
        match self {
            Condition::Event {
                window: Window::LastDays(days),
                ..
            } => Some(*days),
            Condition::Occurrence { op, .. } => of(op),
            Condition::Field {
                op: FieldOp::Date(op),
                ..
            } => of(op),
            _ => None,
        }
    }
}

/// "2.1" is the first condition of the second top-level condition (1-based, as users count).
pub fn condition_path(parent: &str, index: usize) -> String {
    if parent.is_empty() {
        (index + 1).to_string()
    } else {
        format!("{parent}.{}", index + 1)
    }
}
