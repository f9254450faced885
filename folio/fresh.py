"""A build with nothing to do, answered before doit and folio's steps are imported.

doit's own check that nothing changed costs a few tenths of a second: Python's start,
doit's and folio's imports, the manuscript read. After a build that succeeded, this
module records what that build read and wrote: the stat (times, size, inode) of every
file its steps read that no step makes, of every file they made, and of doit's
database; and of each folder the build reads whole (the manuscript's, the templates')
and each entry in it, followed through links (a file added changes its folder's time;
a link that comes to resolve changes what its entry shows). The next build with the
same settings stats them all; if each is as the build left it, the build prints what
doit would (each step up to date) and stops. Anything that differs, or a record that
is missing or damaged, falls back to doit, which decides as before.

What is read is looked at before the steps run (the folders before the tasks even list
their files) and must be the same after them: a file saved or added while the build
ran leaves no record, so the next build asks doit. Every build that goes to doit
deletes the record first: only a build that ends well writes one.

Kept to the standard library, so the check costs milliseconds.
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

RECORD = Path(".folio") / "fresh.json"
MAX_RECORD = 64 * 2**20


def _stat(path: str) -> list[int] | None:
    """What changes when a file is written, replaced or has its time put back."""
    try:
        seen = os.stat(path)
    except (OSError, ValueError):
        return None
    return [seen.st_mtime_ns, seen.st_ctime_ns, seen.st_size, seen.st_ino]


def _read(path: Path) -> bytes | None:
    """The record, if it is a regular file of a sane size (not a link, a pipe or a device)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECORD:
            return None
        return file.read(MAX_RECORD + 1)


def settings_key(manuscript: Path, out: Path, steps: list[str], csl: str | None, strict: bool,
                 crop_marks: bool | None) -> dict:
    """What besides the files decides a build's result (the settings doit's tasks
    record with config_changed), and which editions were asked for."""
    from . import __version__
    return {"manuscript": str(manuscript), "out": str(out), "steps": steps, "csl": csl, "strict": strict,
            "crop_marks": crop_marks, "folio": __version__,
            "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")}


def answer(out: Path, key: dict) -> list[str] | None:
    """The steps the last build ran or found fresh, in order, if it was built with
    these settings and every file and folder it recorded is as it left them; else None."""
    try:
        data = _read(out / RECORD)
        record = json.loads(data) if data else None
        if record["key"] != key or any(os.path.islink(folder) for folder in record["real_folders"]):
            return None
        if any(_stat(path) != seen for path, seen in record["seen"].items()):
            return None
        steps = record["steps"]
        return steps if isinstance(steps, list) and all(isinstance(s, str) for s in steps) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def forget(out: Path) -> None:
    try:
        (out / RECORD).unlink()
    except OSError:
        pass


class Watch:
    """What one doit run read and wrote, told by its reporter (tasks.StepReporter).

    Made before doit lists the tasks' files: the folders read whole (the manuscript's,
    the templates') are looked at then, each folder and each entry in it (followed
    through links, so a link that comes to resolve, or a file that grows past what a
    build reads, shows), and a file added while the build runs changes what is seen."""

    def __init__(self, folders_read: list[Path]):
        self.before: dict[str, list[int] | None] = {}
        for root in folders_read:
            for directory, subfolders, names in os.walk(root):
                subfolders[:] = [d for d in subfolders if not d.startswith(".")]
                self.before[directory] = _stat(directory)
                for name in names + subfolders:
                    if not name.startswith("."):
                        self.before[os.path.join(directory, name)] = _stat(os.path.join(directory, name))
        self.sources: set[str] = set()
        self.tasks: list = []   # as doit reported them, run or found fresh

    def begin(self, tasks) -> None:
        """Before any step runs: every file no step makes, and its folder."""
        made = {target for task in tasks.values() for target in task.targets}
        self.sources = {path for task in tasks.values() for path in task.file_dep if path not in made}
        for path in self.sources:
            self.before[path] = _stat(path)
            self.before.setdefault(os.path.dirname(path), _stat(os.path.dirname(path)))

    def done(self, task) -> None:
        self.tasks.append(task)

    def remember(self, out: Path, key: dict, real_folders: list[Path], kept: list[Path]) -> None:
        """Write the record, unless something seen before the steps ran differs now or
        a step's file (or one of `kept`, doit's own) is missing."""
        made = {target for task in self.tasks for target in task.targets}
        if not self.sources or any(path not in self.sources for task in self.tasks for path in task.file_dep
                                   if path not in made):
            return
        seen = dict(self.before)
        if any(_stat(path) != was for path, was in seen.items()) or any(seen[path] is None for path in self.sources):
            return
        for path in [*made, *map(str, kept)]:
            seen[path] = _stat(path)
            if seen[path] is None:
                return
        record = {"key": key, "steps": [task.name for task in self.tasks],
                  "real_folders": [str(f) for f in real_folders], "seen": seen}
        (out / RECORD).parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".fresh.", dir=out / RECORD.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.replace(temporary, out / RECORD)
