"""The few system tools the tests and the preflight need, installed on first use.

pip cannot install Java, poppler or Chromium. So that `python3 build.py test` is
all a fresh machine needs, missing tools are installed with apt-get when folio runs
as root on Debian; otherwise it names the packages to install and stops.
"""
from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys

# command (or shared library) -> Debian package
TOOLS = {
    "java": "default-jre-headless",    # epubcheck
    "pdffonts": "poppler-utils",       # pdffonts, pdfinfo, pdftotext, pdftoppm
    "qpdf": "qpdf",                    # structural PDF check in preflight
    "chromium": "chromium",            # what a browser shows of the HTML edition
}
LIBRARIES = {"harfbuzz-subset": "libharfbuzz-subset0", "pango-1.0": "libpango-1.0-0"}


def missing_packages() -> list[str]:
    missing = [package for tool, package in TOOLS.items() if shutil.which(tool) is None]
    missing += [package for lib, package in LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    return missing


def ensure_tools() -> None:
    missing = missing_packages()
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        print(f"folio: installing system packages: {' '.join(missing)}", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run([apt, "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        return
    sys.exit(f"folio: the tests need these system packages: {' '.join(missing)}\n"
             f"  install them with: sudo apt-get install {' '.join(missing)}")
