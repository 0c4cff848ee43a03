//! The statistics of an experiment, each the textbook method a data scientist would check it
//! against (the tests hold statsmodels' and scipy's answers on known tables,
//! `tests/support/experiment_references.py`). Distributions come from statrs. A statistic that
//! the data cannot give (an empty arm, no conversion anywhere) is `None`, never NaN.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

fn standard_normal() -> Normal {
    Normal::standard()
}

/// The two-sided critical value z for `alpha` (1.96 for 0.05).
pub fn z_two_sided(alpha: f64) -> f64 {
    standard_normal().inverse_cdf(1.0 - alpha / 2.0)
}

/// The one-sided critical value for a power (0.8416 for 0.8).
pub fn z_power(power: f64) -> f64 {
    standard_normal().inverse_cdf(power)
}

/// The two-sided p-value of a standard normal statistic.
pub fn normal_p_two_sided(z: f64) -> f64 {
    (2.0 * standard_normal().sf(z.abs())).min(1.0)
}

/// The chi-square survival function: the p-value of a goodness-of-fit statistic.
pub fn chi_square_sf(statistic: f64, degrees_of_freedom: f64) -> f64 {
    match ChiSquared::new(degrees_of_freedom) {
        Ok(d) if statistic > 0.0 => d.sf(statistic),
        _ => 1.0,
    }
}

/// An interval around an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The Wilson score interval of a proportion (statsmodels `proportion_confint(method="wilson")`):
/// unlike the Wald interval it stays inside [0, 1] and is not empty at 0 or n conversions.
pub fn wilson(conversions: u64, n: u64, alpha: f64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let (x, n) = (conversions as f64, n as f64);
    let z = z_two_sided(alpha);
    let p = x / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// A comparison of a treatment's conversion rate with the control's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionTest {
    pub lift_abs: f64,
    /// The Wald interval of the difference (statsmodels `confint_proportions_2indep`, "wald").
    pub lift_abs_interval: Interval,
    /// Relative lift (treatment rate / control rate − 1); none when the control converted no one.
    pub lift_rel: Option<f64>,
    /// The interval of the ratio on the log scale (Katz; statsmodels "log"), as a lift; none
    /// when either arm has no conversion.
    pub lift_rel_interval: Option<Interval>,
    pub z: f64,
    /// Two-sided, pooled two-proportion z-test (statsmodels `proportions_ztest`).
    pub p_value: f64,
}

/// The pooled two-proportion z-test of `x1` of `n1` (treatment) against `x0` of `n0` (control).
/// None when an arm is empty or nobody (or everybody) converted in both: no variance, no test.
pub fn two_proportions(x1: u64, n1: u64, x0: u64, n0: u64, alpha: f64) -> Option<ProportionTest> {
    if n1 == 0 || n0 == 0 {
        return None;
    }
    let (fx1, fn1, fx0, fn0) = (x1 as f64, n1 as f64, x0 as f64, n0 as f64);
    let (p1, p0) = (fx1 / fn1, fx0 / fn0);
    let pooled = (fx1 + fx0) / (fn1 + fn0);
    let pooled_se = (pooled * (1.0 - pooled) * (1.0 / fn1 + 1.0 / fn0)).sqrt();
    if pooled_se == 0.0 {
        return None;
    }
    let z = (p1 - p0) / pooled_se;
    let z_crit = z_two_sided(alpha);
    let wald_se = (p1 * (1.0 - p1) / fn1 + p0 * (1.0 - p0) / fn0).sqrt();
    let lift_abs = p1 - p0;
    let lift_rel_interval = (x1 > 0 && x0 > 0).then(|| {
        let log_ratio = (p1 / p0).ln();
        let se = ((1.0 - p1) / fx1 + (1.0 - p0) / fx0).sqrt();
        Interval {
            low: (log_ratio - z_crit * se).exp() - 1.0,
            high: (log_ratio + z_crit * se).exp() - 1.0,
        }
    });
    Some(ProportionTest {
        lift_abs,
        lift_abs_interval: Interval {
            low: lift_abs - z_crit * wald_se,
            high: lift_abs + z_crit * wald_se,
        },
        lift_rel: (x0 > 0).then(|| p1 / p0 - 1.0),
        lift_rel_interval,
        z,
        p_value: normal_p_two_sided(z),
    })
}

/// Holm's step-down adjustment of p-values (statsmodels `multipletests(method="holm")`): the
/// family-wise error stays at alpha however many arms are compared with the control, and it
/// rejects at least what Bonferroni would.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Mean, unbiased variance and count of a sample, gathered in one pass (Welford).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    m2: f64,
}

impl Moments {
    pub fn add(&mut self, value: f64) {
        self.n += 1;
        let delta = value - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (value - self.mean);
    }

    pub fn of(values: impl IntoIterator<Item = f64>) -> Moments {
        let mut m = Moments::default();
        values.into_iter().for_each(|v| m.add(v));
        m
    }

    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }

    /// The variance of the mean.
    fn mean_variance(&self) -> f64 {
        self.variance() / self.n as f64
    }
}

/// A difference of means with its Welch test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeansTest {
    pub difference: f64,
    pub interval: Interval,
    pub standard_error: f64,
    pub t: f64,
    pub degrees_of_freedom: f64,
    pub p_value: f64,
}

/// Welch's t-test of two means with unequal variances (scipy `ttest_ind(equal_var=False)`).
/// None when an arm has fewer than two customers or neither varies.
pub fn welch(treatment: &Moments, control: &Moments, alpha: f64) -> Option<MeansTest> {
    if treatment.n < 2 || control.n < 2 {
        return None;
    }
    let (v1, v0) = (treatment.mean_variance(), control.mean_variance());
    let se2 = v1 + v0;
    if se2 <= 0.0 {
        return None;
    }
    let df = se2 * se2
        / (v1 * v1 / (treatment.n - 1) as f64 + v0 * v0 / (control.n - 1) as f64);
    let difference = treatment.mean - control.mean;
    let t = difference / se2.sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p_value = (2.0 * dist.sf(t.abs())).min(1.0);
    let half = dist.inverse_cdf(1.0 - alpha / 2.0) * se2.sqrt();
    Some(MeansTest {
        difference,
        interval: Interval {
            low: difference - half,
            high: difference + half,
        },
        standard_error: se2.sqrt(),
        t,
        degrees_of_freedom: df,
        p_value,
    })
}

/// An always-valid interval and p-value of a difference (the mixture sequential probability
/// ratio test with a normal mixture of variance `tau2`, Johari et al. 2017, as Optimizely's
/// stats engine): they hold at every look, so checking the results daily and stopping at the
/// first significant one does not inflate false wins, as it does with the fixed-horizon test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequential {
    pub interval: Interval,
    pub p_value: f64,
}

/// `difference` with the variance of its estimate `variance`.
pub fn always_valid(difference: f64, variance: f64, tau2: f64, alpha: f64) -> Option<Sequential> {
    if !(variance > 0.0 && tau2 > 0.0) {
        return None;
    }
    let spread = variance + tau2;
    let half = (variance * spread / tau2 * (2.0 * (1.0 / alpha).ln() + (spread / variance).ln())).sqrt();
    let log_likelihood_ratio =
        0.5 * (variance / spread).ln() + tau2 * difference * difference / (2.0 * variance * spread);
    Some(Sequential {
        interval: Interval {
            low: difference - half,
            high: difference + half,
        },
        p_value: (-log_likelihood_ratio).exp().min(1.0),
    })
}

/// CUPED (Deng et al. 2013): each customer's outcome adjusted by what they did before the
/// campaign, `y − θ (x − mean x)` with one θ = cov(y, x) / var(x) over both arms, so the
/// difference of adjusted means estimates the same lift with less noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cuped {
    pub theta: f64,
    pub difference: f64,
    pub interval: Interval,
    /// The standard error of the difference with and without the adjustment.
    pub standard_error: f64,
    pub unadjusted_standard_error: f64,
}

impl Cuped {
    /// How much narrower the interval is than without the adjustment (0.2: 20% narrower).
    pub fn narrowed(&self) -> f64 {
        1.0 - self.standard_error / self.unadjusted_standard_error
    }
}

/// Sums over (outcome, covariate) pairs of one arm, enough for CUPED in one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Paired {
    pub n: f64,
    pub y: f64,
    pub x: f64,
    pub yy: f64,
    pub xx: f64,
    pub xy: f64,
}

impl Paired {
    pub fn add(&mut self, y: f64, x: f64) {
        self.n += 1.0;
        self.y += y;
        self.x += x;
        self.yy += y * y;
        self.xx += x * x;
        self.xy += x * y;
    }

    fn plus(&self, o: &Paired) -> Paired {
        Paired {
            n: self.n + o.n,
            y: self.y + o.y,
            x: self.x + o.x,
            yy: self.yy + o.yy,
            xx: self.xx + o.xx,
            xy: self.xy + o.xy,
        }
    }

    /// The variance of the mean of `y − θ (x − centre)` (the centre shifts no variance).
    fn adjusted_mean_variance(&self, theta: f64) -> f64 {
        let n = self.n;
        let var_y = (self.yy - self.y * self.y / n) / (n - 1.0);
        let var_x = (self.xx - self.x * self.x / n) / (n - 1.0);
        let cov = (self.xy - self.x * self.y / n) / (n - 1.0);
        (var_y - 2.0 * theta * cov + theta * theta * var_x).max(0.0) / n
    }

    fn adjusted_mean(&self, theta: f64, centre: f64) -> f64 {
        (self.y - theta * (self.x - centre * self.n)) / self.n
    }
}

/// CUPED's lift of `treatment` over `control`; none when the covariate does not vary (nothing
/// to adjust by) or an arm has fewer than two customers.
pub fn cuped(treatment: &Paired, control: &Paired, alpha: f64) -> Option<Cuped> {
    if treatment.n < 2.0 || control.n < 2.0 {
        return None;
    }
    let all = treatment.plus(control);
    let var_x = (all.xx - all.x * all.x / all.n) / (all.n - 1.0);
    if var_x <= 0.0 {
        return None;
    }
    let theta = ((all.xy - all.x * all.y / all.n) / (all.n - 1.0)) / var_x;
    let centre = all.x / all.n;
    let difference = treatment.adjusted_mean(theta, centre) - control.adjusted_mean(theta, centre);
    let standard_error =
        (treatment.adjusted_mean_variance(theta) + control.adjusted_mean_variance(theta)).sqrt();
    let unadjusted_standard_error =
        (treatment.adjusted_mean_variance(0.0) + control.adjusted_mean_variance(0.0)).sqrt();
    if unadjusted_standard_error == 0.0 {
        return None;
    }
    let half = z_two_sided(alpha) * standard_error;
    Some(Cuped {
        theta,
        difference,
        interval: Interval {
            low: difference - half,
            high: difference + half,
        },
        standard_error,
        unadjusted_standard_error,
    })
}

#[cfg(test)]
mod tests {
    //! Each expected value is statsmodels' or scipy's answer on the same table, printed by
    //! `python3 tests/support/experiment_references.py` (statsmodels 0.15.0, scipy 1.17.1).
    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-6,
            "{actual} differs from the reference {expected}"
        );
    }

    #[test]
    fn wilson_intervals_match_statsmodels() {
        for (x, n, low, high) in [
            (100, 1000, 0.08290944359309571, 0.1201519631953484),
            (0, 500, 0.0, 0.007624340461552245),
            (200, 200, 0.9811546736227335, 1.0),
            (1, 3, 0.06149194472039626, 0.7923403991979523),
            (130, 1000, 0.11056377462484193, 0.1522680266544689),
            (50, 800, 0.04772708293654468, 0.08145443374342187),
        ] {
            let i = wilson(x, n, 0.05).unwrap();
            close(i.low, low);
            close(i.high, high);
        }
        assert_eq!(wilson(0, 0, 0.05), None, "an empty arm has no rate");
    }

    #[test]
    fn two_proportion_tests_match_statsmodels() {
        #[allow(clippy::type_complexity)]
        let tables: [(u64, u64, u64, u64, f64, f64, f64, f64, Option<(f64, f64)>); 5] = [
            (130, 1000, 100, 1000, 2.102740605622114, 0.03548845046647471, 0.0020679344393763587, 0.057932065560623636, Some((1.0169842709710455, 1.6617759470226023))),
            // zero conversions in the control
            (5, 500, 0, 500, 2.2416791983111017, 0.024982113243368558, 0.0012787108378552372, 0.018721289162144765, None),
            // everyone converted in the control
            (190, 200, 200, 200, -3.2025630761017436, 0.0013621046715841978, -0.08020507357903402, -0.019794926420966075, Some((0.9202700598665396, 0.980690385744901))),
            // unequal arms
            (120, 1200, 400, 5000, 2.244531092823671, 0.024798250694722544, 0.001435095330363883, 0.03856490466963612, Some((1.0295450605740322, 1.5176606249063191))),
            (50, 800, 400, 5000, -1.7179040092039615, 0.08581412543807913, -0.03588214136218699, 0.0008821413621869847, Some((0.5878850943774339, 1.038215747154396))),
        ];
        for (x1, n1, x0, n0, z, p, low, high, ratio) in tables {
            let t = two_proportions(x1, n1, x0, n0, 0.05).unwrap();
            close(t.z, z);
            close(t.p_value, p);
            close(t.lift_abs_interval.low, low);
            close(t.lift_abs_interval.high, high);
            match (t.lift_rel_interval, ratio) {
                (Some(i), Some((rl, rh))) => {
                    close(i.low + 1.0, rl);
                    close(i.high + 1.0, rh);
                }
                (None, None) => {}
                other => panic!("ratio interval {other:?}"),
            }
        }
        assert_eq!(two_proportions(0, 100, 0, 100, 0.05), None, "nobody converted: no test");
        assert_eq!(two_proportions(5, 100, 1, 0, 0.05), None, "an empty control: no test");
    }

    #[test]
    fn holm_matches_statsmodels() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.20]);
        for (a, e) in adjusted.iter().zip([0.04, 0.09, 0.09, 0.2]) {
            close(*a, e);
        }
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn welch_matches_scipy() {
        let a = Moments::of([0.0, 0.0, 12.5, 0.0, 30.0, 0.0, 0.0, 8.99, 0.0, 0.0, 45.0, 0.0]);
        let b = Moments::of([0.0, 19.9, 0.0, 0.0, 0.0, 0.0, 7.5, 0.0, 0.0, 0.0]);
        let t = welch(&a, &b, 0.05).unwrap();
        close(t.t, 1.123313008619901);
        close(t.p_value, 0.27822818653111436);
        assert_eq!(welch(&Moments::of([1.0]), &b, 0.05), None, "one customer has no variance");
        assert_eq!(welch(&Moments::of([0.0, 0.0]), &Moments::of([0.0, 0.0]), 0.05), None);
    }

    #[test]
    fn cuped_matches_its_definition_in_numpy() {
        let (mut t, mut c) = (Paired::default(), Paired::default());
        for (y, x) in [1., 0., 0., 1., 1., 0., 1., 0., 1., 1.].into_iter().zip([2., 0., 1., 3., 2., 0., 1., 0., 2., 4.]) {
            t.add(y, x);
        }
        for (y, x) in [0., 0., 1., 0., 1., 0., 0., 0., 1., 0., 0.].into_iter().zip([0., 1., 2., 0., 3., 0., 1., 0., 2., 0., 1.]) {
            c.add(y, x);
        }
        let r = cuped(&t, &c, 0.05).unwrap();
        close(r.theta, 0.3517915309446253);
        close(r.difference, 0.11939591353272133);
        close(r.standard_error, 0.1226639897173672);
        close(r.unadjusted_standard_error, 0.21564178029887512);
        assert!(r.narrowed() > 0.4, "a covariate that predicts the outcome narrows the interval");
    }

    #[test]
    fn the_always_valid_interval_matches_its_formula_and_is_wider_than_the_fixed_one() {
        let s = always_valid(0.03, 0.0002, 0.0004, 0.05).unwrap();
        close(s.interval.low, -0.016119660132451405);
        close(s.interval.high, 0.0761196601324514);
        close(s.p_value, 0.38647277407806097);
        let fixed_half = z_two_sided(0.05) * 0.0002f64.sqrt();
        assert!(s.interval.high - 0.03 > fixed_half);
        assert_eq!(always_valid(0.0, 0.0, 0.0004, 0.05), None);
    }

    #[test]
    fn chi_square_p_values_match_scipy() {
        // scipy.stats.chisquare([5120, 4880, 1010], f_exp=11010 * [0.45, 0.45, 0.10])
        let observed: [f64; 3] = [5120.0, 4880.0, 1010.0];
        let expected: [f64; 3] = [0.45, 0.45, 0.10].map(|s: f64| s * 11010.0);
        let statistic: f64 = observed.iter().zip(expected).map(|(o, e)| (o - e).powi(2) / e).sum();
        close(statistic, 14.169946513270764);
        close(chi_square_sf(statistic, 2.0), 0.0008375971871534235);
    }
}
