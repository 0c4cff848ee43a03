//! How many customers an experiment needs, and the reverse: the smallest lift an audience can
//! detect. For a two-sided test of two proportions, the normal approximation (Fleiss, Levin and
//! Paik, *Statistical Methods for Rates and Proportions*, eq. 4.14, without continuity
//! correction):
//!
//! ```text
//! n per arm = ( z(1−α/2) · √(2 p̄ (1−p̄)) + z(power) · √(p₁(1−p₁) + p₂(1−p₂)) )² / (p₂ − p₁)²
//! ```
//!
//! with p₁ the baseline rate, p₂ = p₁ + lift and p̄ their mean. With more than two arms each
//! is compared with the control at α / (arms − 1) (Bonferroni: Holm, which the report uses,
//! rejects at least as much, so the plan is on the safe side).

use serde::Serialize;

use super::stats::{z_power, z_two_sided};

/// What the user asks the planner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanInput {
    /// The control's expected conversion rate (0.10 for 10%).
    pub baseline: f64,
    /// The smallest absolute lift worth detecting (0.02: from 10% to 12%).
    pub mde: f64,
    pub alpha: f64,
    pub power: f64,
    /// Arms compared, the control included.
    pub arms: u32,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleSize {
    /// Customers each arm needs.
    pub per_arm: u64,
    /// All arms together.
    pub total: u64,
    /// The alpha each comparison with the control is tested at.
    pub alpha_per_comparison: f64,
    pub method: &'static str,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("the baseline is a rate above 0 and below 1 (0.10 is 10%), not {0}")]
    Baseline(f64),
    #[error("the lift is above 0 and keeps the rate below 1 (baseline {baseline} + lift {mde})")]
    Lift { baseline: f64, mde: f64 },
    #[error("alpha is above 0 and below 1 (0.05 usually), not {0}")]
    Alpha(f64),
    #[error("power is above 0 and below 1 (0.8 usually), not {0}")]
    Power(f64),
    #[error("an experiment compares at least 2 arms (the control included), not {0}")]
    Arms(u32),
}

impl crate::error::Coded for PlanError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::InvalidInput
    }

    /// The planner's field that is wrong, for the app to show there.
    fn problem(&self) -> Option<crate::error::FieldProblem> {
        let (field, code) = match self {
            PlanError::Baseline(_) => ("baseline", "plan_baseline"),
            PlanError::Lift { .. } => ("mde", "plan_lift"),
            PlanError::Alpha(_) => ("alpha", "plan_alpha"),
            PlanError::Power(_) => ("power", "plan_power"),
            PlanError::Arms(_) => ("arms", "plan_arms"),
        };
        Some(crate::error::FieldProblem::new(field, code, &[]))
    }
}

const METHOD: &str = "two-sided two-proportion z-test, normal approximation (Fleiss), Bonferroni across arms";

fn check(input: &PlanInput) -> Result<(), PlanError> {
    if !(input.baseline > 0.0 && input.baseline < 1.0) {
        return Err(PlanError::Baseline(input.baseline));
    }
    if !(input.mde > 0.0 && input.baseline + input.mde < 1.0) {
        return Err(PlanError::Lift {
            baseline: input.baseline,
            mde: input.mde,
        });
    }
    if !(input.alpha > 0.0 && input.alpha < 1.0) {
        return Err(PlanError::Alpha(input.alpha));
    }
    if !(input.power > 0.0 && input.power < 1.0) {
        return Err(PlanError::Power(input.power));
    }
    if input.arms < 2 {
        return Err(PlanError::Arms(input.arms));
    }
    Ok(())
}

fn alpha_per_comparison(alpha: f64, arms: u32) -> f64 {
    alpha / f64::from(arms - 1)
}

/// The exact (fractional) customers per arm the formula gives.
fn per_arm_exact(baseline: f64, mde: f64, alpha: f64, power: f64) -> f64 {
    let (p1, p2) = (baseline, baseline + mde);
    let mean = (p1 + p2) / 2.0;
    let a = z_two_sided(alpha) * (2.0 * mean * (1.0 - mean)).sqrt();
    let b = z_power(power) * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    (a + b).powi(2) / (mde * mde)
}

/// Customers per arm and in all to detect `input.mde` over `input.baseline`.
pub fn sample_size(input: &PlanInput) -> Result<SampleSize, PlanError> {
    check(input)?;
    let alpha = alpha_per_comparison(input.alpha, input.arms);
    let per_arm = per_arm_exact(input.baseline, input.mde, alpha, input.power).ceil() as u64;
    Ok(SampleSize {
        per_arm,
        total: per_arm * u64::from(input.arms),
        alpha_per_comparison: alpha,
        method: METHOD,
    })
}

/// The smallest absolute lift over `baseline` that `per_arm` customers in each arm detect with
/// the asked power (the planner's reverse), or none when even the largest possible lift needs
/// more customers.
pub fn detectable_lift(input: &PlanInput, per_arm: u64) -> Result<Option<f64>, PlanError> {
    check(&PlanInput { mde: (1.0 - input.baseline) / 2.0, ..*input })?;
    let alpha = alpha_per_comparison(input.alpha, input.arms);
    let needs = |mde: f64| per_arm_exact(input.baseline, mde, alpha, input.power);
    let (mut low, mut high) = (0.0, 1.0 - input.baseline - 1e-9);
    if per_arm == 0 || needs(high) > per_arm as f64 {
        return Ok(None);
    }
    // The customers needed fall as the lift grows: bisect to a hundredth of a percentage point.
    while high - low > 1e-6 {
        let mid = (low + high) / 2.0;
        if needs(mid) > per_arm as f64 {
            low = mid;
        } else {
            high = mid;
        }
    }
    Ok(Some(high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(arms: u32) -> PlanInput {
        PlanInput {
            baseline: 0.10,
            mde: 0.02,
            alpha: 0.05,
            power: 0.8,
            arms,
        }
    }

    #[test]
    fn agrees_with_the_normal_approximation() {
        // tests/support/experiment_references.py: Fleiss's formula 3840.847, statsmodels'
        // NormalIndPower (arcsine effect size) 3834.596.
        let size = sample_size(&input(2)).unwrap();
        assert_eq!(size.per_arm, 3841);
        assert_eq!(size.total, 7682);
        let statsmodels = 3834.595739884031;
        assert!((size.per_arm as f64 - statsmodels).abs() / statsmodels < 0.01);
    }

    #[test]
    fn more_arms_need_more_customers_each() {
        let three = sample_size(&input(3)).unwrap();
        assert!(three.per_arm > 3841);
        assert_eq!(three.total, three.per_arm * 3);
        assert!((three.alpha_per_comparison - 0.025).abs() < 1e-12);
    }

    #[test]
    fn the_reverse_finds_the_lift_the_size_was_planned_for() {
        let lift = detectable_lift(&input(2), 3841).unwrap().unwrap();
        assert!((lift - 0.02).abs() < 1e-4, "{lift}");
        assert_eq!(detectable_lift(&input(2), 3).unwrap(), None, "3 customers detect nothing");
    }

    #[test]
    fn impossible_plans_are_refused_with_the_reason() {
        let bad = |f: fn(&mut PlanInput)| {
            let mut i = input(2);
            f(&mut i);
            sample_size(&i).unwrap_err()
        };
        assert_eq!(bad(|i| i.baseline = 0.0), PlanError::Baseline(0.0));
        assert!(matches!(bad(|i| i.mde = 0.95), PlanError::Lift { .. }));
        assert!(matches!(bad(|i| i.mde = f64::NAN), PlanError::Lift { .. }));
        assert_eq!(bad(|i| i.alpha = 1.0), PlanError::Alpha(1.0));
        assert_eq!(bad(|i| i.power = 0.0), PlanError::Power(0.0));
        assert_eq!(bad(|i| i.arms = 1), PlanError::Arms(1));
    }
}
