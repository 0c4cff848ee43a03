//! Which arm each customer is in: deterministic, auditable and stable.
//!
//! The key is the first 16 bytes of BLAKE3 in key-derivation mode ("tessera campaign assignment
//! v1") of the campaign's seed, read as two little-endian u64 (k0, k1); every draw is
//! SipHash-2-4 with that key of a label and the customer's id (8 bytes, little-endian), taken as
//! a number in (0, 1):
//!
//! - holdout: `u = draw("holdout", id)`; the customer is held out when `u < holdout`. Drawn
//!   first, among the eligible customers only, from its own label, so the holdout does not depend
//!   on the variants and holdout and variants compare like with like.
//! - arm: for each variant `v` with weight `w`, `s_v = -ln(draw("arm:" + name, id)) / w`; the
//!   customer is in the variant with the smallest `s_v` (weighted rendezvous hashing).
//!
//! So a customer's arm never changes between runs, customers added later never move existing
//! ones, and changing one variant's weight moves customers only into or out of that variant:
//! `P(v) = w / Σw` exactly.

use std::hash::Hasher;

use rayon::prelude::*;
use siphasher::sip::SipHasher24;

use super::document::Campaign;

/// Where a customer is in a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arm {
    Holdout,
    /// The variant's position in the campaign.
    Variant(usize),
}

/// The split of one campaign, ready to assign any number of customers.
pub struct Assigner {
    key: (u64, u64),
    holdout: f64,
    /// Each variant's hashing label and weight.
    arms: Vec<(Vec<u8>, f64)>,
}

impl Assigner {
    pub fn new(campaign: &Campaign) -> Assigner {
        let derived =
            blake3::derive_key("tessera campaign assignment v1", campaign.seed.as_bytes());
        let word = |i: usize| u64::from_le_bytes(derived[i..i + 8].try_into().unwrap_or_default());
        Assigner {
            key: (word(0), word(8)),
            holdout: campaign.holdout,
            arms: campaign
                .variants
                .iter()
                .map(|v| (format!("arm:{}", v.name.trim()).into_bytes(), v.weight))
                .collect(),
        }
    }

    /// A number in (0, 1) from the label and the customer id.
    fn draw(&self, label: &[u8], customer_id: i64) -> f64 {
        let mut h = SipHasher24::new_with_keys(self.key.0, self.key.1);
        h.write(label);
        h.write(&customer_id.to_le_bytes());
        // 53 bits, and a half step: never exactly 0 or 1.
        ((h.finish() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// One customer's arm (the customer is eligible).
    pub fn assign(&self, customer_id: i64) -> Arm {
        if self.holdout > 0.0 && self.draw(b"holdout", customer_id) < self.holdout {
            return Arm::Holdout;
        }
        let mut best = (f64::INFINITY, 0);
        for (i, (label, weight)) in self.arms.iter().enumerate() {
            let score = -self.draw(label, customer_id).ln() / weight;
            if score < best.0 {
                best = (score, i);
            }
        }
        Arm::Variant(best.1)
    }

    /// Every customer's arm, on all cores, in the order given.
    pub fn assign_all(&self, customer_ids: &[i64]) -> Vec<Arm> {
        customer_ids
            .par_iter()
            .with_min_len(4096)
            .map(|&id| self.assign(id))
            .collect()
    }
}

/// Whether the customers per arm fit the weights: a chi-square test of the counts (holdout
/// included) against the shares the campaign asks for. A sample-ratio mismatch (p < 0.001)
/// means the split is not what was planned — a bug or a filter applied after assignment — and
/// any comparison of the arms would mislead.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SampleRatio {
    pub chi_square: f64,
    pub degrees_of_freedom: u32,
    pub p_value: f64,
    /// p < 0.001, with enough customers for the test to mean it.
    pub mismatch: bool,
    /// Whether there are customers enough for the test: at least `MIN_EXPECTED` expected in
    /// every arm (below that the chi-square test says nothing either way).
    #[serde(default = "enough_by_default")]
    pub enough: bool,
}

fn enough_by_default() -> bool {
    true
}

/// The fewest customers each arm must be expected to get for the test to be read.
pub const MIN_EXPECTED: f64 = 5.0;

/// Below this p-value the split is flagged.
pub const MISMATCH_P: f64 = 0.001;

/// The test of `observed` counts against `shares` (which sum to 1).
pub fn sample_ratio(observed: &[u64], shares: &[f64]) -> SampleRatio {
    let total: u64 = observed.iter().sum();
    let cells: Vec<(f64, f64)> = observed
        .iter()
        .zip(shares)
        .filter(|(_, s)| **s > 0.0)
        .map(|(&o, &s)| (o as f64, s * total as f64))
        .collect();
    if total == 0 || cells.len() < 2 {
        return SampleRatio {
            chi_square: 0.0,
            degrees_of_freedom: 0,
            p_value: 1.0,
            mismatch: false,
            enough: total > 0,
        };
    }
    let chi_square: f64 = cells.iter().map(|(o, e)| (o - e).powi(2) / e).sum();
    let df = cells.len() - 1;
    let p_value = crate::experiments::stats::chi_square_sf(chi_square, df as f64);
    let enough = cells.iter().all(|(_, e)| *e >= MIN_EXPECTED);
    SampleRatio {
        chi_square,
        degrees_of_freedom: df as u32,
        p_value,
        mismatch: enough && p_value < MISMATCH_P,
        enough,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_p_values_match_the_tables() {
        // Critical values of the chi-square distribution at p = 0.05 and 0.001.
        for (df, x, p) in [
            (1.0, 3.841, 0.05),
            (1.0, 10.828, 0.001),
            (3.0, 7.815, 0.05),
            (5.0, 20.515, 0.001),
        ] {
            let q = crate::experiments::stats::chi_square_sf(x, df);
            assert!((q - p).abs() < p * 0.01, "df {df}, x {x}: {q}");
        }
        let even = sample_ratio(&[5000, 5000], &[0.5, 0.5]);
        assert!(!even.mismatch && (even.p_value - 1.0).abs() < 1e-9);
        assert!(sample_ratio(&[5300, 4700], &[0.5, 0.5]).mismatch);
    }

    #[test]
    fn a_split_of_a_few_customers_is_not_called_a_fit() {
        // 18, 5 and 6 of 29 asked to split in thirds (the holdout 10%): too few to tell.
        let few = sample_ratio(&[3, 18, 5, 6], &[0.1, 0.3, 0.3, 0.3]);
        assert!(!few.enough && !few.mismatch, "{few:?}");
        // The same proportions at a hundred times the customers are a mismatch.
        let many = sample_ratio(&[300, 1800, 500, 600], &[0.1, 0.3, 0.3, 0.3]);
        assert!(many.enough && many.mismatch, "{many:?}");
    }
}
