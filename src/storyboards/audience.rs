//! What a storyboard does for each customer of an audience, found before anything renders:
//! merge fields without a value or fallback, texts that overflow their box (how many customers,
//! and the worst case), characters no font has. Texts are laid out, not drawn: thousands of
//! customers in seconds, on every core.

use rayon::prelude::*;

use super::draw::measure;
use super::text::{with_fonts, FontMissing};
use super::video::VideoTemplate;
use crate::render::missing::SlotCounter;
use crate::render::{CustomerContext, MissingField};
use crate::templates::Notes;

/// A text that does not fit its box for some customers.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Overflow {
    pub scene: String,
    pub layer: String,
    pub customers: usize,
    pub of: usize,
    /// The customer whose text overflows most, and by how many pixels across and down.
    pub worst_customer: i64,
    pub worst_width: f32,
    pub worst_height: f32,
}

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scene '{}', layer '{}': the text overflows its box for {} of {} customers (at worst customer {}, by {:.0} px across and {:.0} px down)",
            self.scene, self.layer, self.customers, self.of, self.worst_customer, self.worst_width, self.worst_height
        )
    }
}

/// Characters no font has, in a text of some customers.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MissingGlyphs {
    pub scene: String,
    pub layer: String,
    pub characters: String,
    pub customers: usize,
}

impl std::fmt::Display for MissingGlyphs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let characters: Vec<String> = self
            .characters
            .chars()
            .map(|c| format!("'{c}' (U+{:04X})", c as u32))
            .collect();
        write!(
            f,
            "scene '{}', layer '{}': no font has {} (for {} customers): they would be drawn as boxes",
            self.scene,
            self.layer,
            characters.join(", "),
            self.customers
        )
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AudienceReport {
    pub customers: usize,
    pub missing_fields: Vec<MissingField>,
    pub overflowing: Vec<Overflow>,
    pub missing_glyphs: Vec<MissingGlyphs>,
}

/// One customer's findings: (scene, layer) → overflow across and down, missing characters.
type Found = Vec<((usize, usize), (f32, f32), Vec<char>)>;

/// Checks `video` for every one of `customers`.
pub fn check_audience(
    video: &VideoTemplate,
    customers: &[&CustomerContext],
) -> Result<AudienceReport, FontMissing> {
    let slots = video.compiled.slots.len();
    let per_customer: Vec<(i64, Found, Notes)> = customers
        .par_iter()
        .map(|c| {
            with_fonts(|fonts| {
                let mut fields = Notes::default();
                let found = measure(&video.board, &video.compiled, &c.data, fonts, &mut fields)
                    .into_iter()
                    .map(|(at, notes)| {
                        let over = notes.overflowing.first().map_or((0.0, 0.0), |o| (o.1, o.2));
                        let chars = notes
                            .missing_glyphs
                            .into_iter()
                            .flat_map(|(_, c)| c)
                            .collect();
                        (at, over, chars)
                    })
                    .collect();
                (c.id, found, fields)
            })
        })
        .collect::<Result<_, _>>()?;
    let mut counter = SlotCounter::sized(slots, 0);
    let mut overflowing: Vec<Overflow> = Vec::new();
    let mut glyphs: Vec<MissingGlyphs> = Vec::new();
    let name = |(s, l): (usize, usize)| {
        let scene = &video.board.scenes[s];
        (scene.id.clone(), scene.layers[l].id.clone())
    };
    for (id, found, mut fields) in per_customer {
        counter.record(&mut fields);
        for (at, (w, h), chars) in found {
            let (scene, layer) = name(at);
            if w > 0.0 || h > 0.0 {
                match overflowing
                    .iter_mut()
                    .find(|o| o.scene == scene && o.layer == layer)
                {
                    Some(o) => {
                        o.customers += 1;
                        if w + h > o.worst_width + o.worst_height {
                            (o.worst_customer, o.worst_width, o.worst_height) = (id, w, h);
                        }
                    }
                    None => overflowing.push(Overflow {
                        scene: scene.clone(),
                        layer: layer.clone(),
                        customers: 1,
                        of: customers.len(),
                        worst_customer: id,
                        worst_width: w,
                        worst_height: h,
                    }),
                }
            }
            if !chars.is_empty() {
                match glyphs
                    .iter_mut()
                    .find(|g| g.scene == scene && g.layer == layer)
                {
                    Some(g) => {
                        g.customers += 1;
                        for c in chars {
                            if !g.characters.contains(c) {
                                g.characters.push(c);
                            }
                        }
                    }
                    None => glyphs.push(MissingGlyphs {
                        scene,
                        layer,
                        characters: chars.into_iter().collect(),
                        customers: 1,
                    }),
                }
            }
        }
    }
    let missing_fields = counter.missing_in(
        video
            .compiled
            .slots
            .iter()
            .map(|(place, slot)| (place.as_str(), slot)),
    );
    Ok(AudienceReport {
        customers: customers.len(),
        missing_fields,
        overflowing,
        missing_glyphs: glyphs,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum AudienceError {
    #[error(transparent)]
    Fonts(#[from] FontMissing),
    #[error(transparent)]
    Customers(#[from] crate::store::StoreError),
}

crate::coded!(AudienceError {
    AudienceError::Fonts(_) => Io,
    AudienceError::Customers(_) => Database,
});

/// [`check_audience`] for the customers a campaign plan renders.
pub async fn check_planned(
    pool: &sqlx::SqlitePool,
    plan: &crate::campaigns::CampaignPlan,
    video: &VideoTemplate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<AudienceReport, AudienceError> {
    use crate::campaigns::assign::Arm;
    let ids: Vec<i64> = plan
        .ids
        .iter()
        .zip(&plan.arms)
        .filter(|(_, arm)| matches!(arm, Ok(Arm::Variant(_))))
        .map(|(id, _)| *id)
        .collect();
    let contexts =
        crate::render::load_contexts(pool, &crate::render::Selection::Customers(ids), now).await?;
    let everyone: Vec<&CustomerContext> = contexts.iter().collect();
    Ok(crate::campaigns::run::blocking(|| {
        check_audience(video, &everyone)
    })?)
}
