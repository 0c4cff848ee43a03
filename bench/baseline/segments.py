"""Baselines for `tessera bench --only segments`: the benchmark's two rules as hand-written SQL,
  sqlite: over the raw tables of the workspace Tessera imported (Python's sqlite3),
  duckdb:  over the same generated CSV files loaded into DuckDB tables (`pip install duckdb`),
each timed as the median of several runs after loading. Prints one JSON object.

Usage: python3 segments.py WORKSPACE.sqlite DATA_DIR NOW_UNIX_SECONDS"""
import csv, json, os, sqlite3, statistics, sys, time
from datetime import datetime, timezone

db, data, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
window_from = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
window_to = int(datetime(2026, 11, 22, tzinfo=timezone.utc).timestamp())  # end of 2026-11-21


def timed(run, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return {"ms": statistics.median(times), "count": result}


SQLITE = {
    "profile": """SELECT COUNT(*) FROM customers c
        WHERE lower(json_extract(c.attributes, '$.city')) IN ('london', 'paris', '上海')
          AND json_extract(c.attributes, '$.points') >= 200
          AND EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag IN ('vip', 'skincare-fan'))
          AND EXISTS (SELECT 1 FROM customer_consent x WHERE x.customer_id = c.id AND x.channel = 'email' AND x.granted = 1)
          AND EXISTS (SELECT 1 FROM customer_scores s WHERE s.customer_id = c.id AND s.r >= 3)""",
    "events": f"""SELECT COUNT(*) FROM (
          SELECT customer_id FROM events
          WHERE type = 'purchase' AND occurred_at >= {window_from} AND occurred_at < {window_to}
            AND lower(json_extract(properties, '$.category')) = 'skincare'
          GROUP BY customer_id HAVING COUNT(*) >= 2) e
        JOIN customer_consent x ON x.customer_id = e.customer_id AND x.channel = 'email' AND x.granted = 1""",
}

DUCKDB = {
    "profile": """SELECT COUNT(*) FROM customers
        WHERE lower(city) IN ('london', 'paris', '上海') AND points >= 200
          AND list_has_any(tags, ['vip', 'skincare-fan']) AND email_opt_in = 'yes' AND r >= 3""",
    "events": f"""SELECT COUNT(*) FROM (
          SELECT email FROM events
          WHERE type = 'purchase' AND occurred_at >= {window_from} AND occurred_at < {window_to}
            AND lower(category) = 'skincare'
          GROUP BY email HAVING COUNT(*) >= 2) e
        JOIN customers c USING (email) WHERE c.email_opt_in = 'yes'""",
}

result = {}
conn = sqlite3.connect(db)
result["sqlite"] = {k: timed(lambda: conn.execute(q).fetchone()[0], 3) for k, q in SQLITE.items()}

try:
    import duckdb
except ImportError:
    print(json.dumps(result))
    sys.exit(0)

# The scores are Tessera's own (computed at import); DuckDB gets them by email.
scores = os.path.join(data, "scores.csv")
with open(scores, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["email", "r"])
    w.writerows(conn.execute("SELECT c.email, s.r FROM customers c JOIN customer_scores s ON s.customer_id = c.id"))
start = time.perf_counter()
duck = duckdb.connect()
duck.execute(f"""CREATE TABLE customers AS
    SELECT c.email, c.city, c.points, c.vip, c.birthday, string_split(coalesce(c.tags, ''), ';') AS tags,
           c.email_opt_in, s.r
    FROM read_csv('{os.path.join(data, 'customers.csv')}', header = true, all_varchar = false) c
    LEFT JOIN read_csv('{scores}', header = true) s USING (email)""")
duck.execute(f"""CREATE TABLE events AS
    SELECT email, epoch(CAST("timestamp" AS TIMESTAMPTZ))::BIGINT AS occurred_at, type, value, category
    FROM read_csv('{os.path.join(data, 'events.csv')}', header = true)""")
result["duckdb_load_s"] = time.perf_counter() - start
result["duckdb"] = {k: timed(lambda: duck.execute(q).fetchone()[0], 15) for k, q in DUCKDB.items()}
print(json.dumps(result))
