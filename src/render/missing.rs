//! "Will this render right for everyone?": before rendering, which merge fields are missing
//! (and have no fallback) for how many of the customers about to be rendered, and after it,
//! which links held a scheme that is not followed.

use std::collections::HashMap;

use rayon::prelude::*;

use super::context::CustomerContext;
use super::format::{Part, Recipient, Rendering};
use crate::templates::{EmailTemplate, Notes, RenderEnv, Slot};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct MissingField {
    /// The template the field is in (empty where only one template is concerned).
    pub template: String,
    pub field: String,
    pub line: usize,
    pub column: usize,
    /// Customers for whom the field renders empty.
    pub customers: usize,
    pub of: usize,
}

/// A merge tag in a link whose value, for some customers, had a scheme other than http, https,
/// mailto or tel (`javascript:`): their link was written as `#`.
pub type UnsafeLink = MissingField;

/// Counts, per merge tag, the customers for whom it rendered empty or an unsafe link.
#[derive(Debug, Clone)]
pub struct SlotCounter {
    missing: Vec<usize>,
    unsafe_urls: Vec<usize>,
    customers: usize,
}

impl SlotCounter {
    pub fn new(template: &EmailTemplate) -> SlotCounter {
        SlotCounter::sized(template.slots().len(), template.html.url_slots().len())
    }

    /// A counter of `slots` merge tags, `url_slots` of them starting links.
    pub fn sized(slots: usize, url_slots: usize) -> SlotCounter {
        SlotCounter {
            missing: vec![0; slots],
            unsafe_urls: vec![0; url_slots],
            customers: 0,
        }
    }

    /// Adds one customer's notes (each tag counts once per customer).
    pub fn record(&mut self, notes: &mut Notes) {
        for (list, counts) in [
            (&mut notes.missing, &mut self.missing),
            (&mut notes.unsafe_urls, &mut self.unsafe_urls),
        ] {
            list.sort_unstable();
            list.dedup();
            for &slot in list.iter() {
                counts[slot as usize] += 1;
            }
        }
        self.customers += 1;
    }

    pub fn merge(mut self, other: SlotCounter) -> SlotCounter {
        self.add(&other);
        self
    }

    pub fn add(&mut self, other: &SlotCounter) {
        for (mine, theirs) in [
            (&mut self.missing, &other.missing),
            (&mut self.unsafe_urls, &other.unsafe_urls),
        ] {
            mine.iter_mut().zip(theirs).for_each(|(x, y)| *x += y);
        }
        self.customers += other.customers;
    }

    pub fn missing(&self, template: &EmailTemplate) -> Vec<MissingField> {
        self.missing_in(template.slots().iter().map(|s| ("", s)))
    }

    pub fn unsafe_links(&self, template: &EmailTemplate) -> Vec<UnsafeLink> {
        self.unsafe_in(template.html.url_slots().iter().map(|s| ("", s)))
    }

    /// Missing fields of merge tags given as (the file they are in, the tag), in counter order.
    pub fn missing_in<'a>(
        &self,
        slots: impl IntoIterator<Item = (&'a str, &'a Slot)>,
    ) -> Vec<MissingField> {
        report(slots, &self.missing, self.customers)
    }

    pub fn unsafe_in<'a>(
        &self,
        slots: impl IntoIterator<Item = (&'a str, &'a Slot)>,
    ) -> Vec<UnsafeLink> {
        report(slots, &self.unsafe_urls, self.customers)
    }
}

/// One line per file, field and position: the same tag copied by MJML counts once.
fn report<'a>(
    slots: impl IntoIterator<Item = (&'a str, &'a Slot)>,
    counts: &[usize],
    customers: usize,
) -> Vec<MissingField> {
    let mut by_place: HashMap<(&str, &str, usize, usize), usize> = HashMap::new();
    for ((file, slot), &n) in slots.into_iter().zip(counts) {
        if n > 0 {
            let e = by_place
                .entry((file, slot.field.as_str(), slot.line, slot.column))
                .or_default();
            *e = (*e).max(n);
        }
    }
    let mut out: Vec<MissingField> = by_place
        .into_iter()
        .map(|((file, field, line, column), n)| MissingField {
            template: file.to_string(),
            field: field.to_string(),
            line,
            column,
            customers: n,
            of: customers,
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.template, a.line, a.column, &a.field).cmp(&(&b.template, b.line, b.column, &b.field))
    });
    out
}

/// Renders every customer's HTML without keeping it, counting missing fields per merge tag:
/// the report shown before a campaign is rendered.
pub fn missing_fields(
    template: &EmailTemplate,
    customers: &[&CustomerContext],
) -> Vec<MissingField> {
    count_missing(
        customers,
        || SlotCounter::new(template),
        |c, buf: &mut Vec<u8>, notes| {
            buf.clear();
            let env = RenderEnv {
                locale: template.locale_for(&c.data),
            };
            let _ = template.html.render(&c.data, &env, buf, notes);
        },
    )
    .missing(template)
}

/// The same report for a template of any format (a site counts every page's tags).
pub fn missing_fields_of(
    rendering: &dyn Rendering,
    customers: &[&CustomerContext],
) -> Vec<MissingField> {
    let counter = count_missing(
        customers,
        || rendering.counter(),
        |c, parts: &mut Vec<Part>, notes| {
            parts.clear();
            let recipient = Recipient {
                customer: c,
                data: &c.data,
                run_key: "",
                slug: "",
            };
            let _ = rendering.render(&recipient, parts, notes);
        },
    );
    rendering.report(&counter).0
}

/// Renders every customer on every core with `render` (into its scratch buffer `B`), counting
/// the tags each found empty. A render error is reported by the render itself; here only misses
/// matter.
fn count_missing<B: Default + Send>(
    customers: &[&CustomerContext],
    new_counter: impl Fn() -> SlotCounter + Sync + Send,
    render: impl Fn(&CustomerContext, &mut B, &mut Notes) + Sync + Send,
) -> SlotCounter {
    customers
        .par_iter()
        .fold(
            || (new_counter(), B::default(), Notes::default()),
            |(mut counter, mut scratch, mut notes), c| {
                notes.clear();
                render(c, &mut scratch, &mut notes);
                counter.record(&mut notes);
                (counter, scratch, notes)
            },
        )
        .map(|(counter, _, _)| counter)
        .reduce(&new_counter, SlotCounter::merge)
}
