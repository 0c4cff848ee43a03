//! BG/NBD: purchases follow a Poisson process while a customer is alive; after each purchase
//! they drop out with probability p. Rates ~ Gamma(r, α), dropout ~ Beta(a, b).

use super::optimize::minimize;
use super::{distinct_x, ln_gamma, tally, weighted_sum, History};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbd {
    /// Log-likelihood of one history (FHL 2005, eq. 6) is `count_terms(x) + timing_terms(h)`.
    /// This part depends on the repeat count alone (A₁ + A₂), shared by every such history.
    fn count_terms(&self, x: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) + ln_gamma(b + x)
            - ln_gamma(b)
            - ln_gamma(a + b + x)
    }

    /// The part from the history's timing: ln(A₃ + A₄), summed without overflow.
    fn timing_terms(&self, h: &History) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let x = h.x;
        let a3 = -(r + x) * (alpha + h.t).ln();
        if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + h.t_x).ln();
            let m = a3.max(a4);
            m + ((a3 - m).exp() + (a4 - m).exp()).ln()
        } else {
            a3
        }
    }

    /// Maximum-likelihood fit. `None` when the likelihood has no finite maximum.
    pub fn fit(histories: &[History]) -> Option<BgNbd> {
        let distinct = tally(histories.iter().copied(), |h| {
            (h.x.to_bits(), h.t_x.to_bits(), h.t.to_bits())
        });
        let (counts, count_of) = distinct_x(&distinct, |h| h.x);
        let with_count: Vec<((History, usize), f64)> = distinct
            .iter()
            .zip(count_of)
            .map(|(&(h, n), i)| ((h, i), n))
            .collect();
        let nll = |p: &[f64]| {
            let m = BgNbd {
                r: p[0].exp(),
                alpha: p[1].exp(),
                a: p[2].exp(),
                b: p[3].exp(),
            };
            let shared: Vec<f64> = counts.iter().map(|&x| m.count_terms(x)).collect();
            -weighted_sum(&with_count, |(h, i)| shared[*i] + m.timing_terms(h))
        };
        let (p, value) = minimize(&nll, &[0.0, 0.0, 0.0, 0.0], 1e-12, 20_000);
        let fitted = BgNbd {
            r: p[0].exp(),
            alpha: p[1].exp(),
            a: p[2].exp(),
            b: p[3].exp(),
        };
        let sane = value.is_finite()
            && [fitted.r, fitted.alpha, fitted.a, fitted.b]
                .iter()
                .all(|v| v.is_finite() && *v > 1e-8 && *v < 1e6);
        sane.then_some(fitted)
    }

    /// Probability the customer is still active at the end of the observation.
    pub fn p_alive(&self, h: &History) -> f64 {
        if h.x == 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let ratio = ((r + h.x) * ((alpha + h.t) / (alpha + h.t_x)).ln()).exp();
        1.0 / (1.0 + a / (b + h.x - 1.0) * ratio)
    }

    /// Expected purchases in the next `horizon` (FHL 2005, eq. 10).
    pub fn expected_purchases(&self, h: &History, horizon: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let x = h.x;
        let z = horizon / (alpha + h.t + horizon);
        let lead = (a + b + x - 1.0) / (a - 1.0);
        let hyper = hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let term = 1.0 - ((alpha + h.t) / (alpha + h.t + horizon)).powf(r + x) * hyper;
        let denominator = 1.0
            + if x > 0.0 {
                a / (b + x - 1.0) * ((alpha + h.t) / (alpha + h.t_x)).powf(r + x)
            } else {
                0.0
            };
        let value = lead * term / denominator;
        if value.is_finite() {
            value.max(0.0)
        } else {
            0.0
        }
    }
}

/// Gauss's hypergeometric series ₂F₁(a, b; c; z) for 0 ≤ z < 1.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 0..10_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}
