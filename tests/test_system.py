"""How a step's process finds the system's libraries."""
from __future__ import annotations

import ctypes.util

from folio import system


def test_the_quick_library_lookup_answers_as_ctypes_does():
    """The names WeasyPrint and its libraries ask about, answered from one reading of
    the linker's cache, as `ctypes.util.find_library` answers them; a library the
    system lacks is not found."""
    names = ["c", "m", "gobject-2.0", "pango-1.0", "pangoft2-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig",
             "folio-no-such-library"]
    original = ctypes.util.find_library
    expected = {name: original(name) for name in names}
    assert expected["c"] and expected["pango-1.0"] and expected["folio-no-such-library"] is None
    try:
        system.quick_library_lookup()
        assert ctypes.util.find_library is not original
        assert {name: ctypes.util.find_library(name) for name in names} == expected
    finally:
        ctypes.util.find_library = original
