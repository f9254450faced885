"""`serve` rebuilds the HTML edition after an edit and tells open pages to reload, and
answers only the book's own files, only to requests addressed to localhost."""
from __future__ import annotations

import contextlib
import http.client
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

from browser import Browser
from conftest import BOOKS, ROOT, build_into

SLUG = "field-notes-on-lighthouses"
RELOAD_TAG = '<script src="/__folio/reload.js"></script>'


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def _wait(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError("timed out")


@contextlib.contextmanager
def _serving(book, out):
    """`build.py serve` on a port the system picks (`--port 0`), until the block ends;
    yields the port the server says it bound (a port found free beforehand could be
    taken by another test worker before the server binds it)."""
    server = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--manuscript", str(book),
                               "--out", str(out), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said: queue.Queue = queue.Queue()

    def read() -> None:   # all of it, so the server never waits on a full pipe
        for line in server.stdout:
            said.put(line)
    threading.Thread(target=read, daemon=True).start()
    try:
        deadline, port = time.monotonic() + 120, None
        while port is None and time.monotonic() < deadline:
            try:
                found = re.search(r"serving http://127\.0\.0\.1:(\d+)/", said.get(timeout=1))
            except queue.Empty:
                continue
            port = int(found.group(1)) if found else None
        assert port is not None, "serve never said which port it bound"
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _request(port: int, path: str, host: str | None = "localhost", method: str = "GET"):
    """Send `path` exactly as written (no normalising) and return (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_serve_reloads_after_an_edit(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    with _serving(book, tmp_path / "out") as port:
        base = f"http://127.0.0.1:{port}"
        page = _wait(lambda: _get(f"{base}/html/why.html"))
        assert '<script src="/__folio/reload.js"></script>' in page
        assert "location.reload()" in _get(f"{base}/__folio/reload.js")
        before = _get(f"{base}/__folio/version")
        text = (book / "book.md").read_text(encoding="utf-8")
        (book / "book.md").write_text(text.replace("Lighthouses marked", "Tall lighthouses marked"), encoding="utf-8")
        _wait(lambda: _get(f"{base}/__folio/version") != before)
        assert "Tall lighthouses marked" in _get(f"{base}/html/why.html")
        assert "Tall lighthouses" not in (BOOKS / "tiny" / "book.md").read_text(encoding="utf-8")

        # A page open in a real browser reloads by itself after the next edit.
        browser = Browser()
        try:
            tab = browser.open(f"{base}/html/why.html")
            browser.wait_for(tab, "document.readyState === 'complete' && document.body.innerText.includes('Tall lighthouses')")
            browser.evaluate(tab, "window.folioMarker = 'before the edit'")
            time.sleep(1.2)   # let the page's script read the current version
            text = (book / "book.md").read_text(encoding="utf-8")
            (book / "book.md").write_text(text.replace("Tall lighthouses", "Lonely lighthouses"), encoding="utf-8")
            browser.wait_for(tab, "document.body && document.body.innerText.includes('Lonely lighthouses')")
            assert browser.evaluate(tab, "window.folioMarker === undefined") is True
        finally:
            browser.close()


def test_serve_answers_only_the_book_and_only_to_localhost(tmp_path):
    book, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(BOOKS / "tiny", book)
    build_into(out, book, "epub")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-OUTSIDE-THE-SITE", encoding="utf-8")
    (tmp_path / "secret-folder").mkdir()
    (tmp_path / "secret-folder" / "inside.txt").write_text("SECRET-OUTSIDE-THE-SITE", encoding="utf-8")
    with _serving(book, out) as port:
        _wait(lambda: _request(port, "/html/index.html")[0] == 200)
        state = out / ".folio" / SLUG
        assert (state / "doit.db").is_file() and (state / "book.pickle").is_file()

        def status(path, **kw):
            code, headers, body = _request(port, path, **kw)
            assert b"SECRET" not in body and b"SQLite" not in body and b"Directory listing" not in body, path
            return code

        # Build state, dotfiles and anything outside html/ and the downloads: 404.
        for path in (f"/.folio/{SLUG}/doit.db", f"/.folio/{SLUG}/book.pickle", "/.folio/", "/.folio",
                     f"/html/../.folio/{SLUG}/doit.db", "/html/.hidden", "/secret.txt", f"/{SLUG}.mobi",
                     "/book.pickle", "/html/nothing-here.html"):
            assert status(path) == 404, path
        (out / "html" / ".hidden").write_text("SECRET dotfile", encoding="utf-8")
        assert status("/html/.hidden") == 404

        # Escapes, however spelled, never leave the site.
        for path in ("/html/../../secret.txt", "/html/%2e%2e/%2e%2e/secret.txt", "/html/%2E%2E%2F%2E%2E%2Fsecret.txt",
                     "/%2e%2e/secret.txt", "/html/..%5c..%5csecret.txt", "/html\\..\\..\\secret.txt",
                     "/html/index.html%00", "/html/%00/../../secret.txt", "/html/%252e%252e/%252e%252e/secret.txt",
                     "/html/%ff", "//secret.txt", "/html//..//..//secret.txt"):
            assert status(path) == 404, path

        # No directory listings: a folder serves its index.html or nothing.
        assert (out / "html" / "images").is_dir() and not (out / "html" / "images" / "index.html").exists()
        code, _, body = _request(port, "/html/images/")
        assert code == 404 and b"Directory listing" not in body and b".png" not in body
        code, headers, body = _request(port, "/html/")
        index = (out / "html" / "index.html").read_text(encoding="utf-8")
        assert code == 200 and headers["Content-Type"].startswith("text/html")
        assert body.decode("utf-8").replace(RELOAD_TAG + "\n", "") == index
        code, headers, _ = _request(port, "/html")
        assert code in (301, 302) and headers["Location"] == "/html/"
        code, headers, _ = _request(port, "/")
        assert code == 302 and headers["Location"] == "/html/index.html"

        # Symlinks inside the site are not followed, to a file or to a folder.
        os.symlink(secret, out / "html" / "leak.txt")
        os.symlink(tmp_path / "secret-folder", out / "html" / "leak")
        os.symlink(out / "html" / "index.html", out / "html" / "alias.html")
        for path in ("/html/leak.txt", "/html/leak/inside.txt", "/html/leak/", "/html/alias.html"):
            assert status(path) == 404, path

        # Only a localhost Host header is answered (DNS rebinding).
        for host in ("evil.example", f"evil.example:{port}", "localhost.evil.example", "127.0.0.1.evil.example",
                     f"localhost:{port}@evil.example", None):
            code, _, body = _request(port, "/html/index.html", host=host)
            assert code in (400, 403) and b"<html" not in body.lower(), host
        for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
            assert _request(port, "/html/index.html", host=host)[0] == 200, host

        # Only GET and HEAD; correct types and nosniff.
        for method in ("POST", "PUT", "DELETE", "OPTIONS"):
            code, _, body = _request(port, "/html/index.html", method=method)
            assert code in (405, 501) and b"lighthouse" not in body.lower(), method
        code, headers, body = _request(port, "/html/index.html", method="HEAD")
        assert code == 200 and body == b"" and int(headers["Content-Length"]) > len(index)
        epub = (out / f"{SLUG}.epub").read_bytes()
        code, headers, body = _request(port, f"/{SLUG}.epub")
        assert code == 200 and body == epub and headers["Content-Type"] == "application/epub+zip"
        assert headers["X-Content-Type-Options"] == "nosniff"
        font = next((out / "html" / "fonts").glob("*.woff2")).name
        image = next((out / "html" / "images").glob("*.png")).name
        for path, kind in (("/html/folio.css", "text/css"), ("/html/search.js", "text/javascript"),
                           (f"/html/fonts/{font}", "font/woff2"), (f"/html/images/{image}", "image/png"),
                           ("/__folio/reload.js", "text/javascript")):
            code, headers, _ = _request(port, path)
            assert code == 200 and headers["Content-Type"].split(";")[0] == kind, path
            assert headers["X-Content-Type-Options"] == "nosniff", path
