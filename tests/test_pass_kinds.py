"""A pass with nothing to work on is skipped (ast.Kinds, told from the read JSON): on
every case book, the AST after the passes is the same as when every pass runs."""
import copy
import json
import subprocess
from pathlib import Path

import pytest

from folio import ast, latex, manuscript as manuscript_module, pandoc
from folio.diagnostics import BuildError
from folio.sandbox import Limits

BOOKS = Path(__file__).parent / "books"


def _readable(folder: Path) -> bool:
    """A case pandoc reads: not one refused before it (bad YAML, a hostile metadata file,
    a bomb the checks before pandoc refuse)."""
    from folio.bounds import check_markdown
    try:
        manuscript = manuscript_module.load(folder)
        check_markdown(manuscript.text, manuscript.source)
    except BuildError:
        return False
    return True


CASES = sorted(p.name for p in BOOKS.iterdir() if p.is_dir() and _readable(p))


def _passed(document: dict, kinds: ast.Kinds, manuscript) -> tuple[dict, list]:
    said = []

    def warn(code, message, needle, fix, line=None):
        said.append((code, message, line))
    if kinds.raw:
        document = latex.read_raw_latex(document, manuscript, warn, Limits())
    for step in kinds.passes():
        document = step(document, manuscript, warn)
    return document, said


def test_most_cases_are_read():
    assert len(CASES) > 60


@pytest.mark.parametrize("case", CASES)
def test_skipped_passes_change_nothing(case):
    manuscript = manuscript_module.load(BOOKS / case)
    read = subprocess.run(pandoc.read_command(manuscript), capture_output=True, cwd=manuscript.root)
    assert read.returncode == 0, read.stderr
    everything = json.loads(read.stdout)
    try:
        expected = _passed(copy.deepcopy(everything), ast.Kinds(), manuscript)
    except BuildError as failure:   # a case whose passes stop the build must stop it either way
        with pytest.raises(BuildError) as again:
            _passed(everything, ast.Kinds.of(read.stdout), manuscript)
        assert str(again.value) == str(failure)
        return
    assert _passed(everything, ast.Kinds.of(read.stdout), manuscript) == expected


def test_kinds_are_told_from_the_json():
    assert ast.Kinds.of(b"") == ast.Kinds()   # nothing to tell by: every pass runs
    plain = ast.Kinds.of(b'{"blocks":[{"t":"Para","c":[{"t":"Str","c":"\\"t\\":\\"RawBlock\\""}]}]}')
    assert plain == ast.Kinds(raw=False, ordered_lists=False, lists_of=False, quoted=False, tasks=False,
                              definitions=False)
    assert ast.Kinds.of(b'[{"t":"DefinitionList","c":[]}]').definitions
    assert ast.Kinds.of(b'[{"t":"RawInline","c":["html","<b>"]}]').raw
    assert ast.Kinds.of(b'[{"t":"OrderedList","c":[]}]').ordered_lists
    assert ast.Kinds.of(b'[{"t":"Quoted","c":[]}]').quoted
    assert ast.Kinds.of(b'[{"t":"Div","c":[["",["folio-list-of-figures"],[]],[]]}]').lists_of
