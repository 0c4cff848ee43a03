"""Baselines for `tessera bench`: Python's sqlite3 executemany inserting the same customer rows,
in one transaction, durable (WAL, synchronous=FULL).

  simple:  one table of the customers' columns (no identity keys, no indexes)
  same:    Tessera's own schema (every migration in MIGRATIONS_DIR, in order): customers plus
           their email and phone keys

Usage: python3 sqlite_import.py CUSTOMERS.csv DB MIGRATIONS_DIR"""
import csv, json, os, sqlite3, sys, time

src, db, migrations = sys.argv[1], sys.argv[2], sys.argv[3]
results = {}
for mode in ["simple", "same"]:
    path = f"{db}.{mode}"
    start = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    with open(src, newline="", encoding="utf-8") as f:
        rows = [(i + 1, r["email"].lower(), r["phone"], r["first_name"], r["last_name"], r["locale"],
                 json.dumps({"city": r["city"], "points": int(r["points"])}), "now", "now")
                for i, r in enumerate(csv.DictReader(f))]
    if mode == "simple":
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, phone TEXT, first_name TEXT, last_name TEXT, locale TEXT, attributes TEXT, created_at TEXT, updated_at TEXT)")
    else:
        for name in sorted(os.listdir(migrations)):
            conn.executescript(open(os.path.join(migrations, name), encoding="utf-8").read())
    with conn:
        conn.executemany("INSERT INTO customers (id, email, phone, first_name, last_name, locale, attributes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", rows)
        if mode == "same":
            keys = sorted([("email", r[1], r[0]) for r in rows] + [("phone", r[2], r[0]) for r in rows])
            conn.executemany("INSERT INTO customer_keys (kind, value, customer_id) VALUES (?,?,?)", keys)
    results[mode] = len(rows) / (time.perf_counter() - start)
print(json.dumps({"rows_per_second": results}))
