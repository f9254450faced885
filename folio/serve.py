"""`build.py serve`: the HTML edition on localhost, rebuilt and reloaded on every edit.

watchfiles watches the manuscript, templates and styles; each change rebuilds the
HTML edition through the same doit tasks (so only stale steps run) and bumps a
version number. Every served page carries a small script that polls that number and
reloads the page when it changes: no websocket, nothing added to the built files.
"""
from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from . import tasks
from .pipeline import Options
from .paths import STYLES, TEMPLATES

RELOAD_JS = b"""(function () {
  var seen = null;
  function poll() {
    fetch("/__folio/version", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); }
      seen = v;
    }).catch(function () {}).finally(function () { setTimeout(poll, 500); });
  }
  poll();
}());
"""


class State:
    def __init__(self):
        self.version = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.version += 1


class Handler(http.server.SimpleHTTPRequestHandler):
    state: State

    def log_message(self, format, *args):  # quiet: the build prints what matters
        pass

    def do_GET(self):
        if self.path.startswith("/__folio/version"):
            return self._send(str(self.state.version).encode(), "text/plain")
        if self.path.startswith("/__folio/reload.js"):
            return self._send(RELOAD_JS, "text/javascript")
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            page = path.read_bytes().replace(b"</body>", b'<script src="/__folio/reload.js"></script>\n</body>', 1)
            return self._send(page, "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(settings: Options, port: int) -> int:
    from watchfiles import watch

    state = State()
    tasks.run("run", ["html"], settings)
    handler = type("FolioHandler", (Handler,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                             functools.partial(handler, directory=str(settings.out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"serving http://127.0.0.1:{server.server_address[1]}/html/index.html (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    try:
        for _changes in watch(settings.manuscript, TEMPLATES, STYLES, debounce=200):
            if tasks.run("run", ["html"], settings) == 0:
                state.bump()
                print(f"reload  version {state.version}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0
