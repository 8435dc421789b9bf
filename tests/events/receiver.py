"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread, checking each request's
signature as docs/events.md tells integrators to, and dropping duplicates by event id."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(secret: str, headers: Any, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """The verification example of docs/events.md, as written there."""
    timestamp = headers["X-Bearing-Timestamp"]
    signature = headers["X-Bearing-Signature"]
    if abs(now - int(timestamp)) > tolerance:
        return False  # too old (or from the future): a replay
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature, f"sha256={expected}")


class Receiver:
    def __init__(self, secret: str = "", *, now: int = 0) -> None:
        self.secret = secret
        self.now = now
        self.requests: list[dict[str, Any]] = []  # every request, as received
        self.processed: list[int] = []  # the event ids acted on, duplicates dropped
        self.answers: list[int] = []  # status codes to answer with, in turn (then 200)
        self.check_time = True  # False: the sender's clock is not the test's (a worker): signature only
        self.hold_first: threading.Event | None = None  # the first request waits for it before answering
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?source=bearing"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                first = not receiver.requests
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    now = receiver.now if receiver.check_time else int(self.headers["X-Bearing-Timestamp"])
                    valid = verify(receiver.secret, self.headers, body, now=now)
                    event = json.loads(body)
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "valid": valid,
                            "event": event,
                        }
                    )
                    if first and receiver.hold_first is not None:
                        status = 0  # held: its sender is killed before the answer, so it is not acted on
                    elif valid and status == 200 and event["id"] not in receiver.processed:
                        receiver.processed.append(event["id"])
                if status == 0:
                    assert receiver.hold_first is not None
                    receiver.hold_first.wait(60)
                    return
                self.send_response(status if valid else 401)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
