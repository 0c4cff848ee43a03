"""A real SMTP server on loopback for the sending tests and `tessera bench` (aiosmtpd).

Each message it accepts is appended to RECEIVED (one JSON line: envelope sender, recipients,
Message-ID), flushed before the reply, so a test reads exactly what the server took. Options
make it misbehave as real servers do:
  --defer-first N   answer "451" to the first N RCPT commands of each recipient
  --drop-after-data ADDRESS
                    for ADDRESS's first message, take it (it is recorded) and drop the
                    connection before replying to the final "." (the reply is lost)
  --refuse ADDRESS  answer "550" to RCPT ADDRESS
  --delay SECONDS   wait before replying to each final "."
  --dkim-txt RECORD verify each message's DKIM signature (dkimpy) against this DNS TXT record
                    of its key and record whether it verifies ("dkim")
The port it listens on is written to PORT_FILE once it accepts connections.
"""

import argparse
import asyncio
import email.header
import email.parser
import json
import os
import signal
import time
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, args):
        self.args = args
        self.out = open(args.received, "a", buffering=1) if args.received else None
        self.deferred = {}
        self.dropped = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        address = address.lower()
        if address in self.args.refuse:
            return "550 5.1.1 no such user here"
        n = self.deferred.get(address, 0)
        if n < self.args.defer_first:
            self.deferred[address] = n + 1
            return "451 4.7.1 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def verify(self, message):
        if not self.args.dkim_txt:
            return None
        import dkim
        record = self.args.dkim_txt.encode()
        return bool(dkim.verify(message, dnsfunc=lambda name, timeout=5: record))

    async def handle_DATA(self, server, session, envelope):
        if self.out is not None:
            headers = email.parser.BytesHeaderParser().parsebytes(envelope.original_content or b"")
            self.out.write(json.dumps({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "message_id": headers.get("Message-ID"),
                "list_unsubscribe": headers.get("List-Unsubscribe"),
                "list_unsubscribe_post": headers.get("List-Unsubscribe-Post"),
                "subject": str(email.header.make_header(email.header.decode_header(headers.get("Subject") or ""))),
                "at": time.time(),
                "dkim": self.verify(envelope.original_content or b""),
            }) + "\n")
            self.out.flush()
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        if rcpt in self.args.drop_after_data and rcpt not in self.dropped:
            self.dropped.add(rcpt)
            server.transport.abort()
            return "250 never seen"
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        return "250 2.0.0 queued as %d" % os.getpid()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--received")
    parser.add_argument("--defer-first", type=int, default=0)
    parser.add_argument("--drop-after-data", action="append", default=[])
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--dkim-txt")
    args = parser.parse_args()
    args.drop_after_data = [a.lower() for a in args.drop_after_data]
    args.refuse = [a.lower() for a in args.refuse]

    class Factory(Controller):
        def factory(self):
            return SMTP(self.handler, enable_SMTPUTF8=True, decode_data=False)

    import socket
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Factory(Sink(args), hostname="127.0.0.1", port=port)
    controller.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, args.port_file)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
