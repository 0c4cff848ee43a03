"""Reference values for the experiment statistics (tests/engine/experiments.rs and the unit
tests of src/experiments/stats.rs): each table computed by statsmodels and scipy, the
implementations a data scientist would check Tessera against. Run it to see where the
numbers in the tests come from:  python3 tests/support/experiment_references.py
"""
import json

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

out = {}

# Wilson 95% intervals: (conversions, n)
out["wilson"] = [
    [x, n, *proportion_confint(x, n, alpha=0.05, method="wilson")]
    for x, n in [(100, 1000), (0, 500), (200, 200), (1, 3), (130, 1000), (50, 800)]
]

# Two-sided pooled two-proportion z-test, treatment vs control: (x1, n1, x0, n0)
tables = [(130, 1000, 100, 1000), (5, 500, 0, 500), (190, 200, 200, 200), (120, 1200, 400, 5000), (50, 800, 400, 5000)]
out["ztest"] = []
for x1, n1, x0, n0 in tables:
    z, p = proportions_ztest([x1, x0], [n1, n0], alternative="two-sided")
    lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff")
    rlo, rhi = (confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
                if x0 > 0 and x1 > 0 else (None, None))
    out["ztest"].append([x1, n1, x0, n0, z, p, lo, hi, rlo, rhi])

# Holm across arms compared with one control
pvals = [0.01, 0.04, 0.03, 0.20]
out["holm"] = [pvals, list(multipletests(pvals, method="holm")[1])]

# Welch's t-test on revenue per recipient
a = [0, 0, 12.5, 0, 30, 0, 0, 8.99, 0, 0, 45, 0]
b = [0, 19.9, 0, 0, 0, 0, 7.5, 0, 0, 0]
t, p = stats.ttest_ind(a, b, equal_var=False)
out["welch"] = [a, b, t, p]

# Sample ratio: observed counts against planned shares (chi-square goodness of fit)
obs = [5120, 4880, 1010]
shares = [0.45, 0.45, 0.10]
exp = [sum(obs) * s for s in shares]
out["srm"] = [obs, shares, *stats.chisquare(obs, exp)]

# Sample size per arm: two-sided test of two proportions, baseline 0.10, lift 0.02, alpha 0.05, power 0.8
es = proportion_effectsize(0.12, 0.10)
out["plan_statsmodels_arcsine"] = NormalIndPower().solve_power(es, alpha=0.05, power=0.8, ratio=1.0)
p1, p2 = 0.10, 0.12
za, zb = stats.norm.ppf(1 - 0.05 / 2), stats.norm.ppf(0.8)
pbar = (p1 + p2) / 2
out["plan_fleiss"] = (za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2

# CUPED (Deng et al. 2013): Y adjusted by the pre-period covariate X with one theta over both arms,
# theta = cov(Y, X) / var(X); the difference of adjusted means and its Welch standard error.
y1 = np.array([1, 0, 0, 1, 1, 0, 1, 0, 1, 1], float); x1 = np.array([2, 0, 1, 3, 2, 0, 1, 0, 2, 4], float)
y0 = np.array([0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0], float); x0 = np.array([0, 1, 2, 0, 3, 0, 1, 0, 2, 0, 1], float)
y, x = np.concatenate([y1, y0]), np.concatenate([x1, x0])
theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
a1, a0 = y1 - theta * (x1 - x.mean()), y0 - theta * (x0 - x.mean())
se = np.sqrt(a1.var(ddof=1) / len(a1) + a0.var(ddof=1) / len(a0))
se_raw = np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0))
out["cuped"] = [list(y1), list(x1), list(y0), list(x0), theta, a1.mean() - a0.mean(), se, se_raw]

# Always-valid interval of a difference (mixture sequential probability ratio test, normal
# mixture with variance tau2; Johari et al. 2017): diff +- sqrt(V (V + tau2) / tau2 * (2 ln(1/alpha) + ln((V + tau2) / V)))
d, V, tau2, alpha = 0.03, 0.0002, 0.0004, 0.05
half = np.sqrt(V * (V + tau2) / tau2 * (2 * np.log(1 / alpha) + np.log((V + tau2) / V)))
lam = np.sqrt(V / (V + tau2)) * np.exp(tau2 * d * d / (2 * V * (V + tau2)))
out["sequential"] = [d, V, tau2, alpha, d - half, d + half, min(1.0, 1 / lam)]

print(json.dumps(out, indent=1))
