"""Build state between steps: the pickled `Book`, signed so only folio's own is loaded.

The `Book` travels from the book step to the edition steps as a pickle, and loading a
pickle runs code. The state folder sits in the output folder, which an author may
put inside the manuscript folder, and so could plant a pickle there. Each pickle
carries an HMAC made with a key kept in the user's cache folder, outside every
manuscript; a pickle without the right one is refused before it is loaded.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
from pathlib import Path

from .diagnostics import error
from .render import atomic_path

MAC_BYTES = 32


def key_file() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "folio" / "state.key"


def _key() -> bytes:
    """This machine's key, made once. A new key is written whole to a file of its own
    and linked into place, so steps starting at the same moment on a new machine never
    read one half-written (an empty key would sign everything alike)."""
    path = key_file()
    for _attempt in range(3):
        try:
            key = bytes.fromhex(path.read_text().strip())
            if len(key) == MAC_BYTES:
                return key
            raise ValueError("short key")
        except FileNotFoundError:
            pass
        except (OSError, ValueError):   # damaged: make a new one
            path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = secrets.token_hex(MAC_BYTES)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(fresh + "\n")
            os.link(draft, path)   # fails if another step linked its key first
        except FileExistsError:
            continue   # read theirs
        except OSError:
            break
        finally:
            draft.unlink(missing_ok=True)
        return bytes.fromhex(fresh)
    raise error("FOLIO070", "cannot read or create folio's state key", path,
                fix="make the folder writable, or set XDG_CACHE_HOME to a writable folder")


def mac(data: bytes) -> bytes:
    """The HMAC that marks `data` as written by folio on this machine."""
    return hmac.new(_key(), data, hashlib.sha256).digest()


def sealed(value) -> bytes:
    """`value` pickled, with the HMAC `load` checks in front."""
    data = pickle.dumps(value, protocol=5)
    return mac(data) + data


def write(blob: bytes, path: Path) -> None:
    with atomic_path(path) as temporary:   # the same bytes again keep the file's time
        temporary.write_bytes(blob)


def save(value, path: Path) -> None:
    write(sealed(value), path)


def load(path: Path):
    try:
        blob = path.read_bytes()
    except OSError:
        blob = b""
    signed, data = blob[:MAC_BYTES], blob[MAC_BYTES:]
    if len(signed) != MAC_BYTES or not hmac.compare_digest(signed, mac(data)):
        raise error("FOLIO070", "the build state was not written by folio on this machine; it is not loaded", path,
                    fix="run 'python3 build.py clean' with the same --out, then build again")
    return pickle.loads(data)
