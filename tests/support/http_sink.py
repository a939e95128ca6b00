"""A real HTTP receiver for the webhook tests (Python's http.server).

    python3 http_sink.py --port PORT --folder DIR

Each POST is written to DIR/NNNN.json as {"path", "headers", "body"} and answered
with the status in DIR/status (204 when there is no such file).
Prints "listening on PORT" to standard error once it accepts connections.
"""
import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def handler_for(folder):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            status = 204
            path = os.path.join(folder, "status")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    status = int(f.read().strip())
            if 200 <= status < 300:
                with lock:
                    count = len([n for n in os.listdir(folder) if n.endswith(".json")])
                    target = os.path.join(folder, f"{count + 1:04}.json")
                    with open(target + ".tmp", "w", encoding="utf-8") as f:
                        json.dump({"path": self.path, "headers": dict(self.headers), "body": body}, f)
                    os.rename(target + ".tmp", target)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(args.folder))
    print(f"listening on {args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
