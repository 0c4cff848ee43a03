//! Gamma-Gamma: a customer's transaction values vary around their own mean, which varies across
//! customers. Values ~ Gamma(p, ν), ν ~ Gamma(q, γ). Fitted on customers with repeat purchases.

use super::optimize::minimize;
use super::{distinct_x, ln_gamma, tally, weighted_sum, History};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// A repeat buyer as the likelihood reads them; the logarithms do not depend on the parameters,
/// so they are taken once, not at every step of the optimizer.
#[derive(Debug, Clone, Copy)]
struct RepeatBuyer {
    x: f64,
    mean: f64,
    ln_mean: f64,
    x_ln_x: f64,
}

impl GammaGamma {
    pub fn fit(histories: &[History]) -> Option<GammaGamma> {
        let repeat = tally(
            histories
                .iter()
                .filter(|h| h.x > 0.0 && h.mean_value > 0.0)
                .map(|h| RepeatBuyer {
                    x: h.x,
                    mean: h.mean_value,
                    ln_mean: h.mean_value.ln(),
                    x_ln_x: h.x * h.x.ln(),
                }),
            |b| (b.x.to_bits(), b.mean.to_bits()),
        );
        let (counts, count_of) = distinct_x(&repeat, |b| b.x);
        let repeat: Vec<((RepeatBuyer, usize), f64)> = repeat
            .into_iter()
            .zip(count_of)
            .map(|((b, n), i)| ((b, i), n))
            .collect();
        let nll = |v: &[f64]| {
            let (p, q, gamma) = (v[0].exp(), v[1].exp(), v[2].exp());
            let constant = -ln_gamma(q) + q * gamma.ln();
            // Per distinct repeat count: ln Γ(px + q) − ln Γ(px).
            let shared: Vec<f64> = counts
                .iter()
                .map(|&x| ln_gamma(p * x + q) - ln_gamma(p * x))
                .collect();
            -weighted_sum(&repeat, |&(b, i)| {
                let px = p * b.x;
                shared[i] + constant + (px - 1.0) * b.ln_mean + p * b.x_ln_x
                    - (px + q) * (gamma + b.x * b.mean).ln()
            })
        };
        let (v, value) = minimize(&nll, &[0.0, 0.0, 0.0], 1e-12, 20_000);
        let fitted = GammaGamma {
            p: v[0].exp(),
            q: v[1].exp(),
            gamma: v[2].exp(),
        };
        // q ≤ 1 has no finite expected value.
        let sane = value.is_finite()
            && fitted.q > 1.0
            && [fitted.p, fitted.q, fitted.gamma]
                .iter()
                .all(|v| v.is_finite() && *v < 1e6);
        sane.then_some(fitted)
    }

    /// Expected value of a future purchase: the customer's mean, shrunk towards the population's.
    pub fn expected_value(&self, h: &History) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        (gamma + h.x * h.mean_value) * p / (p * h.x + q - 1.0)
    }
}
