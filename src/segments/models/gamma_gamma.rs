//! Gamma-Gamma: a customer's transaction values vary around their own mean, which varies across
//! customers. Values ~ Gamma(p, ν), ν ~ Gamma(q, γ). Fitted on customers with repeat purchases.

use super::optimize::minimize;
use super::{ln_gamma, History};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl GammaGamma {
    fn log_likelihood(&self, h: &History) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let (x, m) = (h.x, h.mean_value);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
            + q * gamma.ln()
            + (p * x - 1.0) * m.ln()
            + p * x * x.ln()
            - (p * x + q) * (gamma + x * m).ln()
    }

    pub fn fit(histories: &[History]) -> Option<GammaGamma> {
        let repeat: Vec<&History> = histories
            .iter()
            .filter(|h| h.x > 0.0 && h.mean_value > 0.0)
            .collect();
        let nll = |v: &[f64]| {
            let m = GammaGamma {
                p: v[0].exp(),
                q: v[1].exp(),
                gamma: v[2].exp(),
            };
            -repeat.iter().map(|h| m.log_likelihood(h)).sum::<f64>()
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
