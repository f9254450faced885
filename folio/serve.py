"""`build.py serve`: the HTML edition on localhost, rebuilt and reloaded on every edit.

watchfiles watches the manuscript, templates and styles; each change rebuilds the
HTML edition through the same doit tasks (so only stale steps run) and bumps a
version number. Every served page carries a small script that polls that number and
reloads the page when it changes: no websocket, nothing added to the built files.

The output folder also holds build state (`.folio/<slug>/doit.db`, `book.pickle`), so
the handler is an allow-list, not SimpleHTTPRequestHandler's file browser: only
`html/` and the three download files, no directory listings, no dotfiles or `..`, no
symlinks (every path component is lstat-ed and never followed), only GET and HEAD.
The Host header must name localhost, so a site whose domain is rebound to 127.0.0.1
(DNS rebinding) gets an error and no content. Someone who can already write to the
output folder could race the symlink check; that is out of scope.
"""
from __future__ import annotations

import http.server
import os
import re
import shutil
import stat
import sys
import threading
import urllib.parse
from pathlib import Path

from . import manuscript, tasks
from .diagnostics import BuildError
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
RELOAD_TAG = b'<script src="/__folio/reload.js"></script>\n</body>'

LOCAL_HOST = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?", re.IGNORECASE)

TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".json": "application/json",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon",
    ".pdf": "application/pdf", ".epub": "application/epub+zip",
    ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".otf": "font/otf",
    ".txt": "text/plain; charset=utf-8",
}


class State:
    def __init__(self):
        self.version = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.version += 1


def _parts(target: str) -> list[str] | None:
    """The request path as decoded segments, or None for anything that could escape."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        return None
    try:
        path = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in path or "\0" in path:
        return None
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") for p in parts):   # '.', '..', '.folio', '.git', ...
        return None
    return parts


def _lstat_chain(root: Path, parts: list[str]) -> tuple[Path, os.stat_result] | None:
    """Walk from `root` one component at a time without following symlinks."""
    path, info = root, None
    for part in parts:
        if info is not None and not stat.S_ISDIR(info.st_mode):
            return None
        path = path / part
        try:
            info = os.lstat(path)
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(info.st_mode):
            return None
    return (path, info) if info is not None else None


class Handler(http.server.BaseHTTPRequestHandler):
    state: State
    root: Path                # the output folder
    downloads: frozenset[str]

    def log_message(self, format, *args):  # quiet: the build prints what matters
        pass

    def do_GET(self):
        self._answer(body=True)

    def do_HEAD(self):
        self._answer(body=False)

    def send_error(self, code, message=None, explain=None):
        """Malformed requests and methods other than GET and HEAD: plain text, no echo."""
        self.close_connection = True
        self._fail(code, self.command != "HEAD")

    def _answer(self, body: bool) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or not LOCAL_HOST.fullmatch(hosts[0].strip()):
            return self._fail(400, body)
        parts = _parts(self.path)
        if parts is None:
            return self._fail(404, body)
        if not parts:
            return self._redirect("/html/index.html")
        if parts == ["__folio", "version"]:
            return self._send(str(self.state.version).encode(), "text/plain; charset=utf-8", body)
        if parts == ["__folio", "reload.js"]:
            return self._send(RELOAD_JS, TYPES[".js"], body)
        if not (parts[0] == "html" or (len(parts) == 1 and parts[0] in self.downloads)):
            return self._fail(404, body)
        found = _lstat_chain(self.root, parts)
        if found and stat.S_ISDIR(found[1].st_mode):
            found = _lstat_chain(self.root, parts + ["index.html"])
            if found and stat.S_ISREG(found[1].st_mode) and not self.path.split("?", 1)[0].endswith("/"):
                # so that the page's relative links resolve inside the folder
                return self._redirect("/" + "/".join(urllib.parse.quote(p) for p in parts) + "/")
        if not found or not stat.S_ISREG(found[1].st_mode):
            return self._fail(404, body)
        path = found[0]
        kind = TYPES.get(path.suffix.lower(), "application/octet-stream")
        try:
            file = open(path, "rb")
        except OSError:
            return self._fail(404, body)
        with file:
            if path.suffix.lower() == ".html":
                return self._send(file.read().replace(b"</body>", RELOAD_TAG, 1), kind, body)
            self._head(200, kind, os.fstat(file.fileno()).st_size)
            if body:
                shutil.copyfileobj(file, self.wfile)

    def _head(self, code: int, kind: str, length: int, **extra: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, content: bytes, kind: str, body: bool = True) -> None:
        self._head(200, kind, len(content))
        if body:
            self.wfile.write(content)

    def _fail(self, code: int, body: bool = True) -> None:
        message = f"{code} {http.HTTPStatus(code).phrase}\n".encode()
        self._head(code, "text/plain; charset=utf-8", len(message))
        if body:
            self.wfile.write(message)

    def _redirect(self, location: str) -> None:
        self._head(302, "text/plain; charset=utf-8", 0, Location=location)


def serve(settings: Options, port: int) -> int:
    from watchfiles import watch

    try:
        slug = manuscript.load(settings.manuscript, settings.csl).slug
    except BuildError as exc:
        for diagnostic in exc.diagnostics:
            print(f"error: {diagnostic}", file=sys.stderr)
        return 1
    state = State()
    tasks.run("run", ["html"], settings)
    downloads = frozenset({f"{slug}.pdf", f"{slug}-print.pdf", f"{slug}.epub"})
    handler = type("FolioHandler", (Handler,), {"state": state, "root": settings.out, "downloads": downloads})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
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
