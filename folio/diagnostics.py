"""Errors and warnings that name the file, the line and the fix.

Every problem a user can cause is reported as a `Diagnostic` with a stable code, so a
test can expect it and a user can search for it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    file: Path | None = None
    line: int | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        text = f"{where}{self.code}: {self.message}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class BuildError(Exception):
    """A problem that stops the build; carries one or more diagnostics."""

    def __init__(self, *diagnostics: Diagnostic):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


def error(code: str, message: str, file: Path | None = None, line: int | None = None,
          fix: str | None = None) -> BuildError:
    return BuildError(Diagnostic(code, message, file, line, fix))


class Reporter:
    """Collects warnings; with `strict` every warning becomes an error."""

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.warnings: list[Diagnostic] = []

    def warn(self, diagnostic: Diagnostic) -> None:
        if diagnostic in self.warnings:
            return
        self.warnings.append(diagnostic)
        print(f"warning: {diagnostic}", file=sys.stderr)

    def finish(self) -> None:
        if self.strict and self.warnings:
            raise BuildError(*self.warnings)


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1
