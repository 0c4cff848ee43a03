"""Baseline for `tessera bench --only segments` (the experiment report): the same report as
`tessera campaign report`, computed the way a data scientist would — pandas reads the run's
assignments and the purchases of its window from the workspace, statsmodels and scipy compute
the statistics. Timed from the start of the process to the last number. Prints one JSON object.

Usage: python3 experiment_report.py WORKSPACE.sqlite RUN WINDOW_FROM WINDOW_TO"""
import time

started = time.perf_counter()
import json, sqlite3, sys

import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

db, run, window_from, window_to = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
conn = sqlite3.connect(db)
arms = pd.read_sql_query("SELECT customer_id, arm FROM run_assignments WHERE run_id = ? AND arm IS NOT NULL", conn, params=(run,))
events = pd.read_sql_query(
    "SELECT customer_id, value FROM events WHERE type = 'purchase' AND occurred_at >= ? AND occurred_at < ?",
    conn, params=(window_from, window_to))
per_customer = events.groupby("customer_id").agg(converted=("value", "size"), revenue=("value", "sum"))
data = arms.join(per_customer, on="customer_id")
data["converted"] = data["converted"].notna()
data["revenue"] = data["revenue"].fillna(0.0)

control = data[data.arm == "holdout"]
out = {"arms": {}}
treated = [a for a in sorted(data.arm.unique()) if a != "holdout"]
p_values = []
for arm in ["holdout"] + treated:
    rows = data[data.arm == arm]
    n, x = len(rows), int(rows.converted.sum())
    low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
    entry = {"n": n, "conversions": x, "ci_low": low, "ci_high": high}
    if arm != "holdout":
        entry["p_value"] = float(proportions_ztest([x, int(control.converted.sum())], [n, len(control)])[1])
        entry["revenue_p_value"] = float(stats.ttest_ind(rows.revenue, control.revenue, equal_var=False).pvalue)
        p_values.append(entry["p_value"])
    out["arms"][arm] = entry
for arm, adjusted in zip(treated, multipletests(p_values, method="holm")[1]):
    out["arms"][arm]["p_adjusted"] = float(adjusted)
out["ms"] = (time.perf_counter() - started) * 1000
print(json.dumps(out))
