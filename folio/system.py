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
    "ebook-meta": "calibre",           # what calibre and its Kindle conversion find in the EPUB
    "zbarimg": "zbar-tools",           # reads the cover's barcode back, as a scanner would
}
LIBRARIES = {"harfbuzz-subset": "libharfbuzz-subset0", "pango-1.0": "libpango-1.0-0"}
# A data file -> its package: Ghostscript's CMYK profile, the PDF/X output intent of a
# print file made for a service (`print: kdp`; press.py).
FILES = {"/usr/share/color/icc/ghostscript/default_cmyk.icc": "libgs10-common"}
# npm package -> what shows it is installed (a command, or a file under npm's global
# root): DAISY Ace, the EPUB accessibility checker the field trusts (it runs in Debian's
# Chromium through Puppeteer, so no browser is downloaded), and axe-core for the site.
NPM_TOOLS = {"@daisy/ace@1.4.6": "ace-puppeteer", "axe-core@4.11.0": "axe-core/axe.min.js"}
NPM_ENV = {"PUPPETEER_SKIP_DOWNLOAD": "1", "ELECTRON_SKIP_BINARY_DOWNLOAD": "1"}


def missing_packages() -> list[str]:
    missing = [package for tool, package in TOOLS.items() if shutil.which(tool) is None]
    missing += [package for lib, package in LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    missing += [package for path, package in FILES.items() if not os.path.exists(path)]
    return missing


def ensure_tools() -> None:
    ensure_packages()
    ensure_npm_tools()


def npm_file(relative: str) -> str | None:
    """A file installed by `npm install --global`, or None."""
    npm = shutil.which("npm")
    if npm is None:
        return None
    root = subprocess.run([npm, "root", "--global"], capture_output=True, text=True).stdout.strip()
    path = os.path.join(root, relative)
    return path if root and os.path.isfile(path) else None


def _installed(sign: str) -> bool:
    return npm_file(sign) is not None if "/" in sign else shutil.which(sign) is not None


def ensure_npm_tools() -> None:
    missing = [package for package, sign in NPM_TOOLS.items() if not _installed(sign)]
    if not missing:
        return
    npm = shutil.which("npm")
    if npm is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "npm"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        npm = shutil.which("npm")
    if npm is None:
        sys.exit(f"folio: the tests need {' '.join(missing)} from npm, and npm is not installed")
    print(f"folio: installing {' '.join(missing)} with npm", file=sys.stderr)
    subprocess.run([npm, "install", "--global", "--no-fund", "--no-audit", *missing], check=True,
                   env={**os.environ, **NPM_ENV}, stdout=subprocess.DEVNULL)


def ensure_packages() -> None:
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


def quick_library_lookup() -> None:
    """Answer `ctypes.util.find_library` from one reading of the dynamic linker's cache.

    WeasyPrint tries several names for each library it loads (Windows' and macOS'
    too), and cffi asks `find_library` about every name it cannot open directly; on
    Linux each question starts `ldconfig -p`, then gcc and ld: 22 of them, 0.15 s of
    every step process that imports WeasyPrint (0.38 s against 0.23 s). The cache
    names each library by its soname, which is what `find_library` returns; a name it
    does not hold is not found (a library only on LD_LIBRARY_PATH is still loaded,
    by the soname WeasyPrint also tries). Without ldconfig, nothing changes."""
    import re
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    if ldconfig is None or sys.platform != "linux":
        return
    try:
        listed = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=10,
                                env={**os.environ, "LC_ALL": "C", "LANG": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return
    sonames = re.findall(r"^\s+(lib\S+\.so\S*)\s", listed, re.M)
    if not sonames:
        return

    def find_library(name: str) -> str | None:
        prefix = f"lib{name}.so"
        return next((soname for soname in sonames if soname.startswith(prefix)
                     and soname[len(prefix):len(prefix) + 1] in ("", ".")), None)
    ctypes.util.find_library = find_library
