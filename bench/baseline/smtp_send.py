"""Baseline for `tessera bench --only send`: Python's smtplib sending the same rendered .eml files
to the same SMTP sink over the same number of connections (one thread each), with no record of
what was sent. Prints {"messages", "seconds", "per_second"}.

Usage: python3 smtp_send.py RENDER_FOLDER PORT CONNECTIONS"""
import email.parser, email.utils, json, os, smtplib, sys, threading, time

folder, port, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
manifest = json.load(open(os.path.join(folder, "manifest.json"), encoding="utf-8"))
files = [os.path.join(folder, f["file"]) for r in manifest["rendered"] for f in r["files"] if f["file"].endswith(".eml")]
parser = email.parser.BytesHeaderParser()
failed = []


def send(mine):
    smtp = smtplib.SMTP("127.0.0.1", port)
    for path in mine:
        data = open(path, "rb").read()
        headers = parser.parsebytes(data)
        sender = email.utils.parseaddr(headers["From"])[1]
        to = email.utils.parseaddr(headers["To"])[1]
        try:
            smtp.sendmail(sender, [to], data)
        except smtplib.SMTPException as e:
            failed.append(str(e))
    smtp.quit()


start = time.perf_counter()
threads = [threading.Thread(target=send, args=(files[i::connections],)) for i in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
seconds = time.perf_counter() - start
if failed:
    sys.exit(f"{len(failed)} messages failed: {failed[0]}")
print(json.dumps({"messages": len(files), "seconds": seconds, "per_second": len(files) / seconds}))
