"""What a build may read: the manuscript folder and folio's own files, nothing else.

A manuscript is untrusted input. Paths it names are resolved (symlinks included) and
refused when they leave the folder; remote URLs are refused outright.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def local_path(reference: str, folder: Path) -> Path | None:
    """The file a manuscript-relative reference names, or None if it leaves `folder`.

    `file:` URLs, absolute paths, `../` escapes, symlinks out of the folder and
    any URL with a scheme all give None.
    """
    if REMOTE.match(reference) or reference.startswith(("file:", "//", "data:")):
        return None
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc:
        return None
    relative = unquote(parts.path)
    if not relative or Path(relative).is_absolute():
        return None
    candidate = folder / relative
    return candidate if is_inside(candidate, folder) else None


def make_fetcher(allowed: tuple[Path, ...]):
    """A WeasyPrint URL fetcher that serves `data:` URLs and files under `allowed` only.

    WeasyPrint's default fetcher reads any local file and reaches the network: a
    manuscript's `<link rel="attachment" href="file:///etc/passwd">` would embed that
    file in the PDF. Refused URLs are kept in `refused` so the build can report them.
    """
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher

    class FolderFetcher(URLFetcher):
        refused: list[str]

        def __init__(self):
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
            self.refused = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = Path(url2pathname(urlsplit(url).path))
                if any(is_inside(path, folder) for folder in allowed):
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"folio refuses to read {url}: outside the manuscript folder")

    return FolderFetcher()
