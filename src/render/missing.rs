//! "Will this render right for everyone?": before rendering, which merge fields are missing
//! (and have no fallback) for how many of the customers about to be rendered.

use std::collections::HashMap;

use rayon::prelude::*;

use super::context::CustomerContext;
use crate::templates::email::locale_of;
use crate::templates::{EmailTemplate, Misses, RenderEnv};

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct MissingField {
    pub field: String,
    pub line: usize,
    pub column: usize,
    /// Customers for whom the field renders empty.
    pub customers: usize,
    pub of: usize,
}

/// Renders every customer's HTML without keeping it, counting missing fields per merge tag.
pub fn missing_fields(
    template: &EmailTemplate,
    customers: &[&CustomerContext],
) -> Vec<MissingField> {
    let slots = template.slots();
    let counts = customers
        .par_iter()
        .fold(
            || (vec![0usize; slots.len()], Vec::new(), Misses::default()),
            |(mut counts, mut buf, mut misses), c| {
                buf.clear();
                misses.0.clear();
                let env = RenderEnv {
                    locale: locale_of(&c.data),
                };
                // A render error is reported by the render itself; here only misses matter.
                let _ = template.html.render(&c.data, &env, &mut buf, &mut misses);
                misses.0.sort_unstable();
                misses.0.dedup();
                for &slot in &misses.0 {
                    counts[slot as usize] += 1;
                }
                (counts, buf, misses)
            },
        )
        .map(|(counts, _, _)| counts)
        .reduce(
            || vec![0usize; slots.len()],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    // One line per field and position: the same tag copied by MJML counts once.
    let mut by_place: HashMap<(String, usize, usize), usize> = HashMap::new();
    for (slot, n) in slots.iter().zip(counts) {
        if n > 0 {
            let e = by_place
                .entry((slot.field.clone(), slot.line, slot.column))
                .or_default();
            *e = (*e).max(n);
        }
    }
    let mut out: Vec<MissingField> = by_place
        .into_iter()
        .map(|((field, line, column), n)| MissingField {
            field,
            line,
            column,
            customers: n,
            of: customers.len(),
        })
        .collect();
    out.sort_by(|a, b| (a.line, a.column, &a.field).cmp(&(b.line, b.column, &b.field)));
    out
}
