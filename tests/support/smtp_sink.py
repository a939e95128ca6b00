"""A real SMTP server for the notification tests (aiosmtpd, Debian's python3-aiosmtpd).

    python3 smtp_sink.py --port PORT --folder DIR

Each accepted message is written to DIR/NNNN.json as {"mail_from", "rcpt_tos", "data"}.
While the file DIR/refuse exists, every message is refused with a 451 (try again later);
while DIR/slow exists, each is stored and then never answered (a client killed
meanwhile never hears that it was accepted).
Prints "listening on PORT" to standard error once it accepts connections, and nothing
after: a test that stops reading the pipe must not stop the server (a full pipe would
block it), so a test waits for a message by its file.
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(self.folder, "refuse")):
            return "451 4.3.0 Mailbox busy, try again later"
        with self.lock:
            count = len([f for f in os.listdir(self.folder) if f.endswith(".json")])
            path = os.path.join(self.folder, f"{count + 1:04}.json")
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "data": envelope.content.decode("utf-8", "replace")}, f)
            os.rename(path + ".tmp", path)
        if os.path.exists(os.path.join(self.folder, "slow")):
            await asyncio.Event().wait()  # until the server stops
        return "250 2.0.0 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", required=True)
    args = parser.parse_args()
    controller = Controller(Sink(args.folder), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"listening on {args.port}", file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
