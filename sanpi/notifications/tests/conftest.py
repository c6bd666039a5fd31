"""A group robot for the tests: a real HTTP server on 127.0.0.1 in a thread that records
every POST and answers as told (status, JSON body, a delay before answering)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Answer:
    status: int = 200
    body: dict | str = field(default_factory=lambda: dict(OK))
    delay: float = 0.0


@dataclass
class Post:
    path: str
    content_type: str
    body: dict
    raw: bytes  # the body as sent


class RobotServer:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with robot._lock:
                    robot.posts.append(
                        Post(self.path, self.headers.get("Content-Type", ""), json.loads(raw), raw)
                    )
                    answer = robot.answers.pop(0) if robot.answers else Answer()
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body.encode())))
                    self.end_headers()
                    self.wfile.write(body.encode())
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, key: str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/cgi-bin/webhook/send?key={key}"

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)


@pytest.fixture
def robot():
    server = RobotServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
