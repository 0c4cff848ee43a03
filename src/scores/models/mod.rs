//! Customer-value models fitted by maximum likelihood: BG/NBD (how many more purchases, and the
//! probability a customer is still active) and Gamma-Gamma (how much each purchase is worth).
//! Fader, Hardie & Lee (2005), "Counting your customers the easy way" and "RFM and CLV".

pub mod bgnbd;
pub mod gamma_gamma;
pub mod optimize;

/// One customer's purchase history in model terms (time in weeks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    /// Repeat purchases (purchase days after the first).
    pub x: f64,
    /// Time of the last purchase, from the first.
    pub t_x: f64,
    /// Time from the first purchase to the end of the observation.
    pub t: f64,
    /// Average value of the repeat purchases (0 when there are none).
    pub mean_value: f64,
}

pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Equal items once each, with how many there were: a million customers have far fewer distinct
/// histories, and each distinct one's likelihood is computed once per step of the optimizer.
pub(crate) fn tally<T: Copy, K: Ord>(
    items: impl Iterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<(T, f64)> {
    let mut sorted: Vec<T> = items.collect();
    sorted.sort_unstable_by_key(&key);
    let mut tallied: Vec<(T, f64)> = Vec::new();
    for item in sorted {
        match tallied.last_mut() {
            Some((last, n)) if key(last) == key(&item) => *n += 1.0,
            _ => tallied.push((item, 1.0)),
        }
    }
    tallied
}

/// Σ count·f(item) on all cores, in fixed chunks added in order: the same data gives the same sum
/// on every run, so the optimizer takes the same path.
pub(crate) fn weighted_sum<T: Sync>(items: &[(T, f64)], f: impl Fn(&T) -> f64 + Sync) -> f64 {
    use rayon::prelude::*;
    items
        .par_chunks(4096)
        .map(|chunk| chunk.iter().map(|(item, n)| n * f(item)).sum::<f64>())
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// The distinct values of `x` among `items` and, for each item, the position of its value: terms
/// that depend on `x` alone are computed once per distinct value.
pub(crate) fn distinct_x<T>(items: &[(T, f64)], x: impl Fn(&T) -> f64) -> (Vec<f64>, Vec<usize>) {
    let mut values: Vec<f64> = items.iter().map(|(t, _)| x(t)).collect();
    values.sort_unstable_by(f64::total_cmp);
    values.dedup();
    let positions = items
        .iter()
        .map(|(t, _)| values.partition_point(|v| *v < x(t)))
        .collect();
    (values, positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallied_sums_equal_the_plain_sum() {
        let items: Vec<(f64, f64)> = (0..10_000)
            .map(|i| ((i % 7) as f64, ((i * 31) % 13) as f64 / 4.0))
            .collect();
        let f = |&(x, y): &(f64, f64)| (x + 1.0).ln() * y - x;
        let plain: f64 = items.iter().map(f).sum();
        let tallied = tally(items.iter().copied(), |&(x, y)| (x.to_bits(), y.to_bits()));
        assert_eq!(tallied.len(), 7 * 13);
        assert_eq!(tallied.iter().map(|(_, n)| n).sum::<f64>(), 10_000.0);
        assert!((weighted_sum(&tallied, f) - plain).abs() < 1e-9 * plain.abs());
        let (values, positions) = distinct_x(&tallied, |&(x, _)| x);
        assert_eq!(values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(tallied
            .iter()
            .zip(&positions)
            .all(|((item, _), &i)| values[i] == item.0));
    }
}
