//! "Will this render right for everyone?": before rendering, which merge fields are missing
//! (and have no fallback) for how many of the customers about to be rendered.

use std::collections::HashMap;

use rayon::prelude::*;

use super::context::CustomerContext;
use crate::templates::{EmailTemplate, Misses, RenderEnv};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct MissingField {
    pub field: String,
    pub line: usize,
    pub column: usize,
    /// Customers for whom the field renders empty.
    pub customers: usize,
    pub of: usize,
}

/// Counts, per merge tag, the customers for whom it rendered empty.
#[derive(Debug, Clone)]
pub struct MissCounter {
    counts: Vec<usize>,
    customers: usize,
}

impl MissCounter {
    pub fn new(template: &EmailTemplate) -> MissCounter {
        MissCounter {
            counts: vec![0; template.slots().len()],
            customers: 0,
        }
    }

    /// Adds one customer's misses (each tag counts once per customer).
    pub fn record(&mut self, misses: &mut Misses) {
        misses.0.sort_unstable();
        misses.0.dedup();
        for &slot in &misses.0 {
            self.counts[slot as usize] += 1;
        }
        self.customers += 1;
    }

    pub fn merge(mut self, other: MissCounter) -> MissCounter {
        self.counts
            .iter_mut()
            .zip(other.counts)
            .for_each(|(x, y)| *x += y);
        self.customers += other.customers;
        self
    }

    /// One line per field and position: the same tag copied by MJML counts once.
    pub fn report(&self, template: &EmailTemplate) -> Vec<MissingField> {
        let mut by_place: HashMap<(&str, usize, usize), usize> = HashMap::new();
        for (slot, &n) in template.slots().iter().zip(&self.counts) {
            if n > 0 {
                let e = by_place
                    .entry((slot.field.as_str(), slot.line, slot.column))
                    .or_default();
                *e = (*e).max(n);
            }
        }
        let mut out: Vec<MissingField> = by_place
            .into_iter()
            .map(|((field, line, column), n)| MissingField {
                field: field.to_string(),
                line,
                column,
                customers: n,
                of: self.customers,
            })
            .collect();
        out.sort_by(|a, b| (a.line, a.column, &a.field).cmp(&(b.line, b.column, &b.field)));
        out
    }
}

/// Renders every customer's HTML without keeping it, counting missing fields per merge tag:
/// the report shown before a campaign is rendered.
pub fn missing_fields(
    template: &EmailTemplate,
    customers: &[&CustomerContext],
) -> Vec<MissingField> {
    customers
        .par_iter()
        .fold(
            || (MissCounter::new(template), Vec::new(), Misses::default()),
            |(mut counter, mut buf, mut misses), c| {
                buf.clear();
                misses.0.clear();
                let env = RenderEnv {
                    locale: template.locale_for(&c.data),
                };
                // A render error is reported by the render itself; here only misses matter.
                let _ = template.html.render(&c.data, &env, &mut buf, &mut misses);
                counter.record(&mut misses);
                (counter, buf, misses)
            },
        )
        .map(|(counter, _, _)| counter)
        .reduce(|| MissCounter::new(template), MissCounter::merge)
        .report(template)
}
