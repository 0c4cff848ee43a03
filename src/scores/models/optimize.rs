//! Nelder–Mead minimization: derivative-free and robust for the few-parameter likelihoods of
//! the customer-value models (fitted on log-parameters, so every step stays positive).

/// Minimizes `f` from `start`; restarts from the best point until it stops improving.
pub fn minimize(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    tolerance: f64,
    max_evaluations: usize,
) -> (Vec<f64>, f64) {
    let mut best = start.to_vec();
    let mut best_value = f(&best);
    let mut evaluations = 0;
    while evaluations < max_evaluations {
        let (point, value, used) = nelder_mead(f, &best, tolerance, max_evaluations - evaluations);
        evaluations += used;
        let improved = best_value - value > tolerance * (1.0 + value.abs());
        if value < best_value {
            best = point;
            best_value = value;
        }
        if !improved {
            break;
        }
    }
    (best, best_value)
}

fn nelder_mead(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    tolerance: f64,
    max_evaluations: usize,
) -> (Vec<f64>, f64, usize) {
    let n = start.len();
    let mut simplex: Vec<Vec<f64>> = vec![start.to_vec()];
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += if p[i].abs() > 1e-3 {
            0.1 * p[i].abs().max(0.5)
        } else {
            0.1
        };
        simplex.push(p);
    }
    let mut values: Vec<f64> = simplex.iter().map(|p| f(p)).collect();
    let mut evaluations = n + 1;
    let eval = |p: &[f64], count: &mut usize| {
        *count += 1;
        let v = f(p);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    while evaluations < max_evaluations {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        values = order.iter().map(|&i| values[i]).collect();
        // Converged when the values agree and the simplex has shrunk: on the long flat ridges of
        // these likelihoods the values agree long before the parameters stop moving.
        let spread = simplex[1..]
            .iter()
            .flat_map(|p| p.iter().zip(&simplex[0]).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if (values[n] - values[0]).abs() <= tolerance * (values[0].abs() + tolerance)
            && spread < 1e-9
        {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|p| p[j]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n][j] - centroid[j]))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = eval(&reflected, &mut evaluations);
        if fr < values[0] {
            let expanded = towards(-2.0);
            let fe = eval(&expanded, &mut evaluations);
            if fe < fr {
                simplex[n] = expanded;
                values[n] = fe;
            } else {
                simplex[n] = reflected;
                values[n] = fr;
            }
        } else if fr < values[n - 1] {
            simplex[n] = reflected;
            values[n] = fr;
        } else {
            let contracted = if fr < values[n] {
                towards(-0.5)
            } else {
                towards(0.5)
            };
            let fc = eval(&contracted, &mut evaluations);
            if fc < values[n].min(fr) {
                simplex[n] = contracted;
                values[n] = fc;
            } else {
                // Shrink towards the best point.
                for i in 1..=n {
                    simplex[i] = (0..n)
                        .map(|j| simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]))
                        .collect();
                    values[i] = eval(&simplex[i], &mut evaluations);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    (simplex[best].clone(), values[best], evaluations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let f = |p: &[f64]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let (p, v) = minimize(&f, &[-1.2, 1.0], 1e-14, 20_000);
        assert!(
            v < 1e-10 && (p[0] - 1.0).abs() < 1e-4 && (p[1] - 1.0).abs() < 1e-4,
            "{p:?} {v}"
        );
    }
}
