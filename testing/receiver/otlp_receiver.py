"""An OTLP/HTTP receiver for tests: keeps every export it is sent and hands them back.

    python otlp_receiver.py    (in a container on the network of the service under test)

POST /v1/traces, /v1/metrics, /v1/logs: the protobuf body is kept and an empty export
response (a valid empty message) is returned. GET /received: every body kept so far,
base64-encoded, by path, as JSON; the tests decode them with opentelemetry-proto.
Standard library only, so that it runs in any image with Python.
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = 4318
_received: dict[str, list[str]] = {}
_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with _lock:
            _received.setdefault(self.path, []).append(base64.b64encode(body).decode())
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        with _lock:
            payload = json.dumps(_received).encode()
        self.send_response(200 if self.path == "/received" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per export would only hide the test's own output."""


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", PORT), _Handler).serve_forever()  # noqa: S104
