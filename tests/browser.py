"""Headless Chromium driven over the DevTools protocol on a pipe: no extra packages.

Debian's chromium is started with --remote-debugging-pipe, which reads commands on
file descriptor 3 and writes replies on 4, each a JSON message ended by a NUL byte.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--remote-debugging-pipe"]


class Browser:
    def __init__(self):
        binary = shutil.which("chromium")
        if binary is None:
            raise RuntimeError("chromium is not installed (Debian package 'chromium'); "
                               "'python3 build.py test' installs it when run as root")
        self.profile = tempfile.TemporaryDirectory(prefix="folio-chromium-", ignore_cleanup_errors=True)
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire():
            # Copy to fresh numbers first: the pipe ends may already be 3 or 4, and
            # dup2 onto the same number would keep close-on-exec set.
            commands, replies = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(commands, 3, inheritable=True)
            os.dup2(replies, 4, inheritable=True)

        self.process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
                                        # not close_fds: it would run after `wire` and close 3 and 4
                                        close_fds=False, preexec_fn=wire, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_chrome, 65536)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def open(self, url: str) -> str:
        """A new tab showing `url`, once loaded (a new tab is about:blank, and 'complete', at first)."""
        target = self.send("Target.createTarget", {"url": url})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.wait_for(session, f"location.href === {json.dumps(url)} && document.readyState === 'complete'")
        return session

    def evaluate(self, session: str, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        return result.get("result", {}).get("value")

    def evaluate_promise(self, session: str, expression: str):
        """The value a promise-returning expression settles to (axe.run, for one)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session)
        return result.get("result", {}).get("value")

    def wait_for(self, session: str, expression: str, seconds: float = 30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(session, expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")

    def emulate(self, session: str, width: int, scheme: str) -> None:
        """A window `width` px wide (a phone below 500), in the light or dark scheme."""
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500}, session)
        self.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
                  session)

    def axe_violations(self, session: str) -> list:
        """axe-core's violations on the page: [rule, impact, the first node's markup]."""
        from pathlib import Path
        from folio.system import npm_file
        script = npm_file("axe-core/axe.min.js")
        assert script, "axe-core is not installed (python3 build.py test installs it with npm)"
        self.evaluate(session, Path(script).read_text(encoding="utf-8"))
        violations = self.evaluate_promise(session, "axe.run(document, {resultTypes: ['violations']})"
                                                    ".then(r => r.violations.map(v => [v.id, v.impact,"
                                                    " v.nodes[0].html.slice(0, 100)]))")
        assert violations is not None, "axe did not run"
        return violations

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)   # chromium and its helper processes
        self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        self.profile.cleanup()
