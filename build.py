#!/usr/bin/env python3
"""folio's one entry point: bootstrap a pinned environment, then hand over to the CLI.

Like Gradle's and Maven's wrapper scripts, the first run creates `.venv/` beside this
file with exactly the versions in `requirements.lock` and re-executes itself there, so
a fresh machine with only Python 3.11 needs no manual set-up step.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / "folio-lock.sha256"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def _ensure_environment() -> None:
    """Create or refresh .venv when it is missing or the lock file changed."""
    if STAMP.exists() and STAMP.read_text().strip() == _lock_digest():
        return
    if sys.version_info < (3, 11):
        sys.exit("folio needs Python 3.11 or newer.")
    print("folio: setting up .venv with the pinned dependencies (first run only)...", file=sys.stderr)
    if not _venv_python().exists():
        import venv   # here: every later run starts without it
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(_venv_python()), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "-r", str(LOCK)], check=True)
    STAMP.write_text(_lock_digest() + "\n")


def main() -> None:
    in_venv = Path(sys.prefix).resolve() == VENV.resolve()
    if not in_venv:
        _ensure_environment()
        python = str(_venv_python())
        os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])
    sys.path.insert(0, str(ROOT))
    from folio.cli import main as cli_main

    sys.exit(cli_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
