"""A build with nothing to do, answered before doit and folio's steps are imported.

doit's own check that nothing changed costs a few tenths of a second: Python's start,
doit's and folio's imports, the manuscript read. After a build that succeeded, this
module records what that build read and wrote: every file's time, size and inode, and
every folder it read files from (a file added changes its folder's time). The next
build with the same settings stats them all; if each is as the build left it, the
build prints what doit would (each step up to date) and stops. Anything that differs,
or a record that is missing or damaged, falls back to doit, which decides as before.

A source's stat is taken before the steps run and again after; a file saved while the
build ran is not recorded, so the next build looks at it. Every build that goes to doit
deletes the record first: only a build that ends well writes one.

Kept to the standard library, so the check costs milliseconds.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

RECORD = Path(".folio") / "fresh.json"


def _stat(path: str) -> list[int] | None:
    try:
        seen = os.stat(path)
    except (OSError, ValueError):
        return None
    return [seen.st_mtime_ns, seen.st_size, seen.st_ino]


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
        record = json.loads((out / RECORD).read_text(encoding="utf-8"))
        if record["key"] != key or any(os.path.islink(folder) for folder in record["real_folders"]):
            return None
        if any(_stat(path) != seen for path, seen in record["seen"].items()):
            return None
        steps = record["steps"]
        return steps if isinstance(steps, list) and all(isinstance(s, str) for s in steps) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def forget(out: Path) -> None:
    try:
        (out / RECORD).unlink()
    except OSError:
        pass


class Watch:
    """What one doit run read and wrote, told by its reporter (tasks.StepReporter)."""

    def __init__(self):
        self.sources_before: dict[str, list[int] | None] = {}
        self.steps: list[str] = []
        self.tasks: list = []

    def begin(self, tasks) -> None:
        """Before any step runs: the stat of every file no step makes."""
        made = {target for task in tasks.values() for target in task.targets}
        self.sources_before = {path: _stat(path) for task in tasks.values() for path in task.file_dep
                               if path not in made}

    def done(self, task) -> None:
        self.steps.append(task.name)
        self.tasks.append(task)

    def remember(self, out: Path, key: dict, folders_read: list[Path], real_folders: list[Path]) -> None:
        """Write the record, unless a source changed while the build ran or a step's
        file is missing."""
        made = {target for task in self.tasks for target in task.targets}
        seen = {}
        for task in self.tasks:
            for path in task.file_dep:
                if path not in made:
                    if path not in self.sources_before:
                        return
                    seen[path] = self.sources_before[path]
        for path in made:
            seen[path] = _stat(path)
        sources = [path for path in seen if path not in made]
        for folder in {str(Path(path).parent) for path in sources} | {str(f) for f in _folders(folders_read)}:
            seen[folder] = _stat(folder)
        if any(_stat(path) != stat or stat is None for path, stat in seen.items()):
            return
        record = {"key": key, "steps": self.steps, "real_folders": [str(f) for f in real_folders], "seen": seen}
        (out / RECORD).parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".fresh.", dir=out / RECORD.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.replace(temporary, out / RECORD)


def _folders(roots: list[Path]) -> list[Path]:
    """Every folder under `roots` but hidden ones: a file added anywhere in them changes
    one of these folders' times."""
    found = []
    for root in roots:
        for directory, subfolders, _names in os.walk(root):
            subfolders[:] = [d for d in subfolders if not d.startswith(".")]
            found.append(Path(directory))
    return found
