"""`serve` rebuilds the HTML edition after an edit and tells open pages to reload."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from browser import Browser
from conftest import BOOKS, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def test_serve_reloads_after_an_edit(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(BOOKS / "tiny", book)
    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--manuscript", str(book),
                               "--out", str(tmp_path / "out"), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
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
    finally:
        server.terminate()
        server.wait(timeout=10)
