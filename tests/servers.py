"""What the tests that start a server of their own share: a free local port, and waiting for it to answer."""
from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc, log_path: Path, seconds: float = 90) -> None:
    """Until `url` answers; the test fails with the end of the server's log if it does not, or if it stops."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    pytest.fail(f"{url} did not answer: " + log_path.read_text(errors="replace")[-3000:])
