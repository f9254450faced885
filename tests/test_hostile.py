"""Untrusted manuscripts: nothing outside the folder is read, nothing remote is fetched."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import BOOKS, build_into, run_build
from folio import check

SECRET = "folio-secret-3b1f9e"   # what the outside file holds; it must reach no edition


def _book(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "book.md").write_text(f"---\ntitle: Hostile\n---\n\n# One\n\nSafe text.\n\n{body}\n", encoding="utf-8")
    return folder


@pytest.fixture
def outside(tmp_path) -> Path:
    secret = tmp_path / "outside" / "secret.png"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    return secret


def _everything_built(out: Path) -> bytes:
    data = b""
    for path in out.rglob("*"):
        if path.is_file() and ".folio" not in path.parts:
            data += path.read_bytes()
            if path.suffix == ".epub":
                with zipfile.ZipFile(path) as package:
                    data += b"".join(package.read(n) for n in package.namelist())
            if path.suffix == ".pdf":
                # streams are compressed: read them uncompressed, so an embedded file would show
                plain = path.with_suffix(".plain")
                subprocess.run(["qpdf", "--stream-data=uncompress", "--object-streams=disable", str(path), str(plain)],
                               check=True)
                data += plain.read_bytes() + "\n".join(check.pdf_text(path)).encode()
                plain.unlink()
    return data


HOSTILE = {
    "absolute path": "![](/etc/passwd)",
    "file url image": '<img src="file:///etc/hostname">',
    "attachment link": '<link rel="attachment" href="file:///etc/passwd">',
    "remote stylesheet": '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">',
    "remote image": "![](http://127.0.0.1:9/pixel.png)",
    "style import": '<style>@import url("file:///etc/passwd");</style>',
    "script": "<script>alert(1)</script>",
    "style attribute url": '<p style="background: url(file:///etc/passwd)">styled</p>',
    "srcset": '<img src="lamp.png" srcset="file:///etc/passwd 2x" alt="A lamp">',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_markup_is_refused_with_a_warning(tmp_path, name):
    book = _book(tmp_path / "book", HOSTILE[name])
    shutil.copy(BOOKS / "tiny" / "lamp.png", book / "lamp.png")   # a real image, so only the hostile part can go
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and ("FOLIO030" in result.stderr or "FOLIO031" in result.stderr)
    if name == "srcset":
        assert "FOLIO030" in result.stderr and "srcset" in result.stderr
    built = _everything_built(tmp_path / "out")
    assert b"root:x:0:0" not in built            # /etc/passwd
    assert b"file:///etc" not in built
    folio_scripts = re.compile(rb'<script src="(search-index|search|site)\.js"></script>')   # the site's own
    assert b"<script" not in folio_scripts.sub(b"", built)
    assert b"127.0.0.1:9" not in built


def test_file_url_to_an_outside_file(tmp_path, outside):
    book = _book(tmp_path / "book", f'<img src="{outside.as_uri()}" alt="x">\n\n![]({outside})')
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.stderr.count("FOLIO031") >= 2
    assert SECRET.encode() not in _everything_built(tmp_path / "out")


def test_dot_dot_path_out_of_the_folder(tmp_path, outside):
    book = _book(tmp_path / "book", "![](../outside/secret.png)")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert "FOLIO031" in result.stderr and "not in the manuscript folder" in result.stderr
    assert SECRET.encode() not in _everything_built(tmp_path / "out")


def test_symlink_out_of_the_folder(tmp_path, outside):
    book = _book(tmp_path / "book", "![](leak.png)")
    (book / "leak.png").symlink_to(outside)
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert "FOLIO031" in result.stderr
    assert SECRET.encode() not in _everything_built(tmp_path / "out")


def test_bibliography_outside_the_folder_is_refused(tmp_path, outside):
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Hostile\nbibliography: ../outside/secret.png\n---\n\n# One\n\nText.\n")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "FOLIO005" in result.stderr and "book.md:3:" in result.stderr


def test_fifty_megabyte_manuscript_is_refused_clearly(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    with open(book / "book.md", "w", encoding="utf-8") as handle:
        handle.write("---\ntitle: Huge\n---\n\n# One\n\n")
        line = "All work and no play makes a very long manuscript indeed. " * 16 + "\n\n"
        while handle.tell() < 50 * 2**20:
            handle.write(line)
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "FOLIO007" in result.stderr and "MB" in result.stderr


def test_weasyprint_fetcher_refuses_outside_files(tmp_path, outside):
    from folio.safety import make_fetcher
    fetcher = make_fetcher((tmp_path / "book",))
    with pytest.raises(ValueError):
        fetcher.fetch(outside.as_uri())
    with pytest.raises(ValueError):
        fetcher.fetch("http://127.0.0.1:9/x.css")
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    assert len(fetcher.refused) == 2


def test_a_safe_image_inside_the_folder_still_works(tmp_path):
    import shutil
    from conftest import BOOKS
    book = _book(tmp_path / "book", "![A lamp.](lamp.png)")
    shutil.copy(BOOKS / "tiny" / "lamp.png", book / "lamp.png")
    out = build_into(tmp_path / "out", book)
    assert list((out / "html" / "images").glob("*.png"))


def test_symlinked_manuscript_or_dictionary_is_refused(tmp_path, outside):
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").symlink_to(outside)
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "FOLIO005" in result.stderr
    other = _book(tmp_path / "other", "Text.")
    (other / "dictionary.yaml").symlink_to(outside)
    result = run_build("--manuscript", str(other), "--out", str(tmp_path / "out2"))
    assert result.returncode != 0 and "FOLIO005" in result.stderr
    assert not (tmp_path / "out2").exists() or SECRET.encode() not in _everything_built(tmp_path / "out2")


def test_markup_in_metadata_and_definitions_is_cleaned(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\ntitle: Clean\ncredit: 'From <script>alert(1)</script> somewhere'\n---\n\n"
                                  "# One\n\nA soviet met.\n", encoding="utf-8")
    (book / "dictionary.yaml").write_text(
        "- headword: Soviet\n  kind: term\n  definitions:\n"
        "    - text: 'A council. <script>alert(2)</script><img src=\"http://127.0.0.1:9/x.png\">'\n", encoding="utf-8")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    built = _everything_built(tmp_path / "out")
    assert b"alert(" not in built and b"127.0.0.1:9" not in built


def test_yaml_aliases_are_refused(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "book.md").write_text("---\na: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\ntitle: Laughs\n---\n\n# One\n\nT.\n")
    result = run_build("--manuscript", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode != 0 and "book.md:3: FOLIO004" in result.stderr and "alias" in result.stderr
