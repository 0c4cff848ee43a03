"""Baseline for `tessera bench`: Python's sqlite3 executemany inserting the same customer rows
into a table of the same shape, in one transaction, durable (WAL, synchronous=FULL).
Usage: python3 sqlite_import.py CUSTOMERS.csv DB"""
import csv, json, sqlite3, sys, time

src, db = sys.argv[1], sys.argv[2]
start = time.perf_counter()
conn = sqlite3.connect(db)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, phone TEXT, first_name TEXT, last_name TEXT, locale TEXT, attributes TEXT, created_at TEXT, updated_at TEXT)")
with open(src, newline="", encoding="utf-8") as f:
    reader = csv.DictReader(f)
    rows = [(r["email"].lower(), r["phone"], r["first_name"], r["last_name"], r["locale"], json.dumps({"city": r["city"], "points": int(r["points"])}), "now", "now") for r in reader]
with conn:
    conn.executemany("INSERT INTO customers (email, phone, first_name, last_name, locale, attributes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)", rows)
elapsed = time.perf_counter() - start
print(json.dumps({"rows": len(rows), "rows_per_second": len(rows) / elapsed}))
