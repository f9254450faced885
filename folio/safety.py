"""What a build may read: the manuscript folder and folio's own files, nothing else.

A manuscript is untrusted input. Paths it names are resolved (symlinks included) and
refused when they leave the folder; remote URLs are refused outright.
"""
from __future__ import annotations

import mimetypes
import os
import re
import stat
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
NAME_MAX = 255        # bytes in one path component (Linux, macOS, Windows alike)
PATH_MAX = 4096       # bytes in a whole path; longer ones make the OS raise ENAMETOOLONG
ASSET_SCHEME = "folio-asset:"
ASSET_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".svg": "image/svg+xml"}


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path`, symlinks resolved, lies in `folder`; False (never an exception)
    for a path the OS cannot even look up."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def is_regular_file(path) -> bool:
    """Whether `path` (symlinks followed) is a regular file; False for a directory, a
    device, a FIFO, a missing file or a name the OS refuses. Never raises."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError, TypeError):
        return False


def _plain_relative(reference: str) -> str | None:
    """The decoded relative path a reference names, or None if it is anything else."""
    if not isinstance(reference, str) or not reference or "\\" in reference or "\x00" in reference:
        return None
    if REMOTE.match(reference) or SCHEME.match(reference) or reference.startswith(("/", "//")):
        return None
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc:
        return None
    relative = unquote(parts.path, errors="strict") if "%" in parts.path else parts.path
    if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in relative):
        return None
    try:
        encoded = relative.encode("utf-8")
    except UnicodeError:          # lone surrogates
        return None
    if len(encoded) > PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        return None
    return relative


def local_path(reference: str, folder: Path) -> Path | None:
    """The file a manuscript-relative reference names, or None if it leaves `folder`.

    Only a plain relative path is accepted: any URL scheme (`file:`, `data:`, `http:`,
    ...), `//host/...`, an absolute path, a backslash, a NUL or control character, a
    name longer than the file system allows, a `..` or a symlink that ends outside the
    folder all give None. Never raises.
    """
    try:
        relative = _plain_relative(reference)
        if relative is None:
            return None
        candidate = Path(folder) / relative
        if not candidate.exists():   # the manuscript is read composed (NFC); its file may be named decomposed
            decomposed = Path(folder) / unicodedata.normalize("NFD", relative)
            if decomposed != candidate and decomposed.exists():
                candidate = decomposed
        if not is_inside(candidate, Path(folder)):
            return None
        if candidate.resolve() == Path(folder).resolve():
            return None           # the folder itself is not a file it holds
        return candidate
    except (OSError, ValueError, RuntimeError, UnicodeError, TypeError):
        return None


def _local_file_url_path(url: str) -> Path | None:
    """The absolute path a `file:` URL names when it is a purely local one: `file:///p`,
    `file:/p` or `file://localhost/p`. A URL naming another host gives None before any
    name is looked up."""
    from urllib.request import url2pathname

    try:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc.lower() not in ("", "localhost"):
            return None
        path = url2pathname(parts.path)
        if "\x00" in path or not path.startswith("/") or path.startswith("//"):
            return None
        return Path(path)
    except (ValueError, UnicodeError, TypeError):
        return None


def make_fetcher(allowed: tuple[Path, ...], assets: dict[str, bytes] | None = None, base: Path | None = None):
    """A WeasyPrint URL fetcher that serves `data:` URLs, files under `allowed` and
    `folio-asset:NAME` from `assets` (images folio already read and checked), nothing else.
    Given the document's `base`, a relative `src="NAME"` of an asset (an image in a
    title or the dedication, which no pass rewrote as `folio-asset:`) is served too.

    WeasyPrint's default fetcher reads any local file and reaches the network: a
    manuscript's `<link rel="attachment" href="file:///etc/passwd">` would embed that
    file in the PDF. A `file:` URL naming a host (`file://evil.example/x`) is refused
    without a name look-up; local files are read here, not through urllib. Refused URLs
    are kept in `refused` so the build can report them.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    folders = tuple(Path(folder) for folder in allowed)
    served = dict(assets or {})

    class FolderFetcher(URLFetcher):
        refused: list[str]

        def __init__(self):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)
            self.refused = []

        def _refuse(self, url: str, why: str):
            self.refused.append(url)
            raise ValueError(f"folio refuses to read {url[:200]}: {why}")

        def fetch(self, url, headers=None):
            scheme = SCHEME.match(url or "")
            scheme = scheme.group(1).lower() if scheme else ""
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "folio-asset":
                return self._asset(url)
            if scheme == "file":
                return self._file(url)
            self._refuse(url, "only files in the manuscript folder are read")

        def _asset(self, url: str):
            name = url[len(ASSET_SCHEME):]
            # WeasyPrint %-encodes what is not ASCII before it asks: try the name both ways.
            key = name if name in served else unquote(name)
            body = served.get(key)
            kind = ASSET_TYPES.get(os.path.splitext(key)[1].lower())
            if not isinstance(body, (bytes, bytearray)) or kind is None:
                self._refuse(url, "not an image folio prepared")
            return URLFetcherResponse(url, body=bytes(body), headers={"Content-Type": kind})

        def _file(self, url: str):
            path = _local_file_url_path(url)
            if path is None:
                self._refuse(url, "a file: URL must name a local file, not a host")
            if base is not None and path.is_relative_to(base) and path.relative_to(base).as_posix() in served:
                return self._asset(ASSET_SCHEME + path.relative_to(base).as_posix())
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError, ValueError):
                self._refuse(url, "not a readable file")
            if not any(is_inside(resolved, folder) for folder in folders):
                self._refuse(url, "outside the manuscript folder")
            try:
                handle = open(resolved, "rb")
            except OSError:
                self._refuse(url, "not a readable file")
            try:
                regular = stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
            except OSError:
                regular = False
            if not regular:
                handle.close()
                self._refuse(url, "not a regular file")
            kind = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
            return URLFetcherResponse(resolved.as_uri(), body=handle, headers={"Content-Type": kind})

    return FolderFetcher()
