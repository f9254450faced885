"""Untrusted manuscripts: each `tests/books/hostile-*` folder is an attack seen in a red-team
pass, with `expect.yaml` saying what the build must do. Every case runs with a canary file
outside the manuscript folder and a listener on 127.0.0.1: nothing of the canary may reach
an edition or a message, the listener must see no request, and no traceback is printed.

`expect.yaml`: `exit` (0 or 1), `diagnostics` (codes that must be reported), `unsaid` (codes
that must not be), `where`
(a `file:line` that must be named), `absent`/`present` (strings in the editions),
`links` (symbolic links to make: name -> target), `stage: ast` (refused once pandoc has read
it, not by the checks before pandoc: test_bounds). In the manuscript, `@CANARY@`,
`@CANARY_DIR@` and `@PORT@` stand for the canary's path, its folder and the listener's port.
"""
from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import pytest
import yaml

from conftest import BOOKS, run_build
from test_hostile import _everything_built

SECRET = "folio-canary-7c1d"
CANARY_TEXT = f"@book{{{SECRET}, title = {{{SECRET}}}, author = {{Canary, C.}}, year = {{2020}}}}\n"
CASES = sorted(p.name for p in BOOKS.glob("hostile-*"))


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection (and would answer with
    the secret, so that a request that got through would also leak into an edition)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.requests: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.requests.append(connection.recv(4096) or b"(connected)")
                    body = CANARY_TEXT.encode()
                    connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                except OSError:
                    self.requests.append(b"(connected)")

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def prepare(case: str, tmp: Path, port: int) -> tuple[Path, dict]:
    """Copy a case into `tmp/book` with its placeholders filled; the canary beside it."""
    canary = tmp / "outside" / "canary.bib"
    canary.parent.mkdir(parents=True)
    canary.write_text(CANARY_TEXT, encoding="utf-8")
    values = {"@CANARY_DIR@": str(canary.parent), "@CANARY@": str(canary), "@PORT@": str(port)}
    book = tmp / "book"
    shutil.copytree(BOOKS / case, book, ignore=shutil.ignore_patterns("expect.yaml"))
    for path in book.iterdir():
        if path.suffix in (".md", ".yaml", ".csl", ".svg", ".json", ".bib"):
            path.write_text(_fill(path.read_text(encoding="utf-8"), values), encoding="utf-8")
    rules = BOOKS / case / "expect.yaml"
    expect = yaml.safe_load(rules.read_text(encoding="utf-8")) if rules.exists() else {}
    for name, target in (expect.get("links") or {}).items():
        (book / name).symlink_to(_fill(target, values))
    return book, expect


def assert_nothing_leaked(result, out: Path, listener: Listener) -> bytes:
    assert "Traceback" not in result.stderr, result.stderr
    assert SECRET not in result.stderr + result.stdout, result.stderr
    assert listener.requests == [], listener.requests
    built = _everything_built(out) if out.exists() else b""
    assert SECRET.encode() not in built
    return built


@pytest.mark.parametrize("case", CASES)
def test_hostile_manuscript(case, tmp_path, listener):
    book, expect = prepare(case, tmp_path, listener.port)
    out = tmp_path / "out"
    result = run_build("--manuscript", str(book), "--out", str(out), "--time-limit", "120")
    assert (result.returncode != 0) == bool(expect["exit"]), result.stderr
    for code in expect.get("diagnostics", []):
        assert code in result.stderr, f"{code} not reported:\n{result.stderr}"
    for code in expect.get("unsaid", []):
        assert code not in result.stderr, f"{code} reported:\n{result.stderr}"
    if expect.get("where"):
        assert f"{book}/{expect['where']}:" in result.stderr, result.stderr
    built = assert_nothing_leaked(result, out, listener)
    assert not (tmp_path / "outside" / "pwned").exists()
    for text in expect.get("absent", []):
        assert text.encode() not in built, f"{text!r} reached an edition"
    for text in expect.get("present", []):
        assert text.encode() in built, f"{text!r} is missing from the editions"


# Bombs: small inputs that made a tool run for minutes or take gigabytes. Each must fail
# within 60 s and 1 GB, with a diagnostic, and leave the last good editions as they were.
BOMBS = {
    "nested quotes": ("> " * 100_000 + "deep\n", "FOLIO062"),
    "nested list markers": ("- " * 100_000 + "deep\n", "FOLIO062"),
    "quotes nested line by line": ("".join(">" * n + " q\n" for n in range(1, 3001)), "FOLIO062"),
    "nested divs": ("<div>" * 100_000 + "deep" + "</div>" * 100_000 + "\n", "FOLIO062"),
    "col span": ('<table><colgroup><col span="100000000"></colgroup><tr><td>x</td></tr></table>\n', "FOLIO063"),
    "colspan": ('<table><tr><td colspan="1000000000">x</td></tr></table>\n', "FOLIO063"),
    "billion laughs in a later block": ("---\n" + "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)) + "---\n",
        "FOLIO004"),
    "huge paragraph": ("word " * 3_900_000 + "\n", "FOLIO065"),
    "huge image": ("![Big](big.png)\n", "FOLIO064"),
    "link destinations left open": ("[a](x " * 40 + "word " * 6000 + "\n", "FOLIO062"),
}


def _big_png(path: Path, side: int) -> None:
    """A valid PNG header claiming side x side pixels: what a decompression bomb shows first."""
    import struct
    import zlib
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    data = zlib.compress(row * 64)   # a few rows: the header alone must be refused
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def _measured_build(*args: str) -> tuple[object, float, int]:
    """Run a build in a child that reports the wall time and the peak RSS of its descendants."""
    import json
    import subprocess
    import sys
    from conftest import ROOT
    probe = ("import json, resource, subprocess, sys, time\n"
             "t = time.monotonic()\n"
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "print(json.dumps({'code': r.returncode, 'stderr': r.stderr, 'seconds': time.monotonic() - t,\n"
             "  'kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n")
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, str(ROOT / "build.py"), *args],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    return report, report["seconds"], report["kb"] // 1024


def test_bombs_fail_within_their_bounds_and_keep_the_last_editions(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    good = "---\ntitle: Bombs\n---\n\n# One\n\nA good first build.\n"
    (book / "book.md").write_text(good, encoding="utf-8")
    out = tmp_path / "out"
    report, _, _ = _measured_build("--manuscript", str(book), "--out", str(out))
    assert report["code"] == 0, report["stderr"]
    editions = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".folio" not in p.parts}
    _big_png(book / "big.png", 60_000)
    failures = []
    for name, (body, code) in BOMBS.items():
        (book / "book.md").write_text(good + "\n" + body, encoding="utf-8")
        report, seconds, megabytes = _measured_build("--manuscript", str(book), "--out", str(out),
                                                     "--time-limit", "60", "--memory-limit", "1024")
        ok = (report["code"] != 0 and code in report["stderr"] and "Traceback" not in report["stderr"]
              and seconds < 60 and megabytes < 1024)
        if not ok:
            failures.append(f"{name}: exit {report['code']}, {seconds:.0f} s, {megabytes} MB\n{report['stderr'][-600:]}")
        assert {p: p.read_bytes() for p in editions} == editions, f"{name} changed the last editions"
    assert not failures, "\n".join(failures)


def test_a_data_url_image_is_checked_as_a_file_is(tmp_path):
    """An image written as a `data:` URL is decoded and held to the same bounds as a
    file: a PNG header claiming 60,000 × 60,000 pixels is refused (FOLIO064) at its
    line, named by its URL's start, before any edition is made."""
    import base64
    _big_png(tmp_path / "big.png", 60_000)
    book = tmp_path / "book"
    book.mkdir()
    url = "data:image/png;base64," + base64.b64encode((tmp_path / "big.png").read_bytes()).decode()
    (book / "book.md").write_text(f"---\ntitle: Bomb\n---\n\n# One\n\nText.\n\n![Big]({url})\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    assert f"{book}/book.md:9: FOLIO064: image 'data:image/png;base64," in result.stderr, result.stderr


def test_time_and_memory_limits_stop_a_step(tmp_path):
    """The limits themselves, on input that passes every cheap check: a long book with a
    one-second limit, and a memory limit too small for pandoc."""
    book = tmp_path / "book"
    book.mkdir()
    chapters = "".join(f"# Chapter {i}\n\n" + "Some text to read and lay out. " * 400 + "\n\n" for i in range(200))
    (book / "book.md").write_text("---\ntitle: Long\n---\n\n" + chapters, encoding="utf-8")
    report, seconds, _ = _measured_build("--manuscript", str(book), "--out", str(tmp_path / "out"),
                                         "--time-limit", "1", "html")
    assert report["code"] != 0 and "FOLIO060" in report["stderr"] and seconds < 30, report["stderr"]
    report, _, _ = _measured_build("--manuscript", str(book), "--out", str(tmp_path / "out2"),
                                   "--memory-limit", "256", "html")
    assert report["code"] != 0 and "FOLIO061" in report["stderr"], report["stderr"]
    assert "Traceback" not in report["stderr"]


def test_a_planted_pickle_is_never_loaded(tmp_path):
    """Build state is signed: a pickle folio did not write is refused before it is loaded.
    And an output folder inside the manuscript folder, where the author could plant one
    (or editions that would pass for fresh), is refused outright."""
    import pickle
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Planted\n---\n\n# One\n\nText.\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(book / "output"), "epub")
    assert result.returncode != 0 and "FOLIO072" in result.stderr, result.stderr
    out = tmp_path / "out"
    result = run_build("--manuscript", str(book), "--out", str(out), "epub")
    assert result.returncode == 0, result.stderr
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.write_text, (marker, "ran"))
    (out / ".folio" / "planted" / "book.pickle").write_bytes(pickle.dumps(Payload()))
    result = run_build("--manuscript", str(book), "--out", str(out), "epub")
    assert result.returncode != 0 and "FOLIO070" in result.stderr, result.stderr
    assert not marker.exists()


def test_an_image_swapped_for_a_link_after_the_book_step(tmp_path, listener):
    book, _ = prepare("tiny", tmp_path, listener.port)
    out = tmp_path / "out"
    result = run_build("--manuscript", str(book), "--out", str(out), "epub", "html")
    assert result.returncode == 0, result.stderr
    (book / "lamp.png").unlink()
    (book / "lamp.png").symlink_to(tmp_path / "outside" / "canary.bib")
    result = run_build("--manuscript", str(book), "--out", str(out), "epub", "html")
    assert "FOLIO031" in result.stderr
    assert_nothing_leaked(result, out, listener)


@pytest.mark.parametrize("slugs", [("shared", "shared"), ("victim", "victim-print")])
def test_two_books_do_not_overwrite_each_other(tmp_path, slugs):
    """Not by sharing a slug, nor by one's screen PDF taking the other's print PDF name."""
    out = tmp_path / "out"
    for name, slug in zip(("first", "second"), slugs):
        (tmp_path / name).mkdir()
        (tmp_path / name / "book.md").write_text(f"---\ntitle: {name}\nslug: {slug}\n---\n\n# One\n\n{name} text.\n",
                                                encoding="utf-8")
    assert run_build("--manuscript", str(tmp_path / "first"), "--out", str(out), "epub", "html").returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".folio" not in p.parts}
    result = run_build("--manuscript", str(tmp_path / "second"), "--out", str(out))
    assert result.returncode != 0 and "FOLIO071" in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".folio" not in p.parts} == before


def test_a_link_to_a_huge_file_is_not_hashed(tmp_path):
    """A symlink to a 100 GB sparse file outside the folder: not read, not hashed."""
    import time
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Sparse\n---\n\n# One\n\nText.\n", encoding="utf-8")
    huge = tmp_path / "huge.bin"
    with open(huge, "wb") as handle:
        handle.truncate(100 * 2**30)
    (book / "huge.png").symlink_to(huge)
    started = time.monotonic()
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"), "html")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
