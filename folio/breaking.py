"""Two of a typesetter's rules kept inside WeasyPrint's own line and page breaking,
so that the first layout of a chapter is, nearly always, the last.

setting.py finds these faults after a layout and lays the chapter out again; at 50×
the bundled book, 200 of 501 chapters were laid out twice for them. Kept while
WeasyPrint breaks lines and pages, they cost nothing:

- **No third hyphen in a row.** After two lines of a paragraph that end in a
  hyphen, the next line is broken without hyphenating (soft hyphens still count).
- **A note stays on its call's page.** When a paragraph's second line does not fit
  at the foot of a page, WeasyPrint moves the page's last notes to the next page to
  keep that line with the first (orphan control), parting those notes from their
  calls. Here the paragraph goes to the next page instead, as it does on a page
  with no notes: the page is a line short, and every note is with its call.

And two savings. **A line's dot leaders are one run of text.** WeasyPrint sets a
leader (`leader(". ")`, the contents' dots) as a copy of its text for each
repetition, each drawn and written on its own: a 500-chapter contents drew 42,000 of
them, 3.7 s of its 7.4 s. Here the copies become one text box of the repeated text,
starting where the first copy did: each dot within a quarter of a point of where the
copies set it.

**A full page of columns is laid out once.** For each page of a multi-column box
(the index), WeasyPrint first lays the columns out at the page's full height to learn
whether the rest fits, balances them if it does, and then lays them out again where
they stand. On every page but the last the rest does not fit, and the second layout
repeats the first: the bundled book's index (four pages) took 2.0 s of processor time,
and 0.9 s in one column. Here each page is first laid out as that second layout would
be at full height (a copy of WeasyPrint's own function, from its installed source,
with the measuring and balancing loop left out); if content is left over, the page is
full and that layout is the page. Otherwise it is undone and WeasyPrint's own function
balances the last page as before.

And one mend. **A word is broken between letters only at a line's start.** With
`overflow-wrap: break-word` (pdf.css, for a word longer than the measure), WeasyPrint
may break a word anywhere, but only when it begins its line. It takes the first text
inside any inline element (a span, a link, an emphasis) for a line's start, so a word
there that did not fit the line's end was cut between two letters, with no hyphen
("within the Sovi / et Union", a note in the bundled book). Here a text is at the
line's start only if nothing was set before it on that line; and a word wider than the
whole line is broken where it stands, filling the line, wherever it stands (glued to an
opening parenthesis, "(*QWERTY…*)", WeasyPrint let it run past the text block).

The rules change WeasyPrint 70.0 (pinned in pyproject.toml) at a named place: the first
wraps its line iterator and its line splitter; the second recompiles the function
that lays out a paragraph's lines from WeasyPrint's installed source, with that
one decision (the assignment to `report`) made False; the mend wraps its inline
splitters. If a place is not found, `install` says so and leaves WeasyPrint as it is:
setting.py still finds and corrects the faults, at the cost of a second layout. The
tests require all in place.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

from .setting import MAX_HYPHENS_IN_A_ROW, ends_in_hyphen

_FLAG = "folio_no_hyphenation"
_installed: dict[str, bool] = {}


def install() -> dict[str, bool]:
    """Put both rules and the saving into WeasyPrint (once per process); what is in place."""
    if not _installed:
        _installed["hyphens"] = _keep_hyphen_runs_short()
        _installed["notes"] = _keep_notes_with_calls()
        _installed["leaders"] = _leaders_as_one_run()
        _installed["columns"] = _full_columns_laid_out_once()
        _installed["line-start"] = _line_start_is_the_lines()
    return dict(_installed)


def _last_text(line) -> str:
    last = ""
    for box in line.descendants():
        text = getattr(box, "text", None)
        if text:
            last = text
    return last.rstrip()


def _keep_hyphen_runs_short() -> bool:
    from weasyprint.layout import block, inline
    lines_of, split = getattr(inline, "iter_line_boxes", None), getattr(inline, "split_first_line", None)
    if lines_of is None or split is None or getattr(block, "iter_line_boxes", None) is not lines_of:
        return False

    def iter_line_boxes(context, *args, **kwargs):
        """WeasyPrint's lines of one paragraph, each set knowing how many lines before
        it ended in a hyphen."""
        lines = lines_of(context, *args, **kwargs)
        run = 0
        try:
            while True:
                before = getattr(context, _FLAG, False)
                setattr(context, _FLAG, run >= MAX_HYPHENS_IN_A_ROW)
                try:
                    line, resume_at = next(lines)
                except StopIteration:
                    return
                finally:
                    setattr(context, _FLAG, before)
                ends_split = resume_at is not None and ends_in_hyphen(_last_text(line))
                run = run + 1 if ends_split else 0
                yield line, resume_at
        finally:
            lines.close()

    def split_first_line(text, style, context, *args, **kwargs):
        if getattr(context, _FLAG, False) and style["hyphens"] == "auto":
            style["hyphens"] = "manual"   # for this one split; the style is the element's
            try:
                return split(text, style, context, *args, **kwargs)
            finally:
                style["hyphens"] = "auto"
        return split(text, style, context, *args, **kwargs)

    block.iter_line_boxes = iter_line_boxes
    inline.split_first_line = split_first_line
    return True


def _line_start_is_the_lines() -> bool:
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    split_box, split_text = getattr(inline, "split_inline_box", None), getattr(inline, "split_text_box", None)
    if split_box is None or split_text is None or getattr(boxes, "LineBox", None) is None:
        return False
    lines: list[list] = []   # [text set before, the line's width] for each line being set (a note's
    #                          lines are set inside its call's)

    def split_inline_box(context, box, position_x, max_x, *args, **kwargs):
        if not isinstance(box, boxes.LineBox):
            return split_box(context, box, position_x, max_x, *args, **kwargs)
        lines.append([False, max_x - position_x])
        try:
            return split_box(context, box, position_x, max_x, *args, **kwargs)
        finally:
            lines.pop()

    def split_text_box(context, box, available_width, skip, is_line_start=True):
        """WeasyPrint's, told whether the text starts its line. A word that no line
        could hold is broken where it stands, filling the line (as before), rather
        than leaving a short line behind it, spaced out when justified."""
        line = lines[-1] if lines else None
        starts = is_line_start and (line is None or not line[0])
        found = split_text(context, box, available_width, skip, is_line_start=starts)
        first = found[0]
        if not starts and line is not None and first is not None and available_width is not None \
                and first.width > max(available_width, line[1]):   # "(" glued to a long word too
            found = split_text(context, box, available_width, skip, is_line_start=True)
        if line is not None and found[0] is not None and found[0].text.strip():
            line[0] = True
        return found

    inline.split_inline_box = split_inline_box
    inline.split_text_box = split_text_box
    return True


def _source_tree(function):
    """The syntax tree of one of WeasyPrint's installed functions, its lines numbered as
    in WeasyPrint's file (a traceback names WeasyPrint's own lines); None if unreadable."""
    try:
        lines, first = inspect.getsourcelines(function)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return None
    ast.increment_lineno(tree, first - 1)
    return tree


def _keep_notes_with_calls() -> bool:
    from weasyprint.layout import block
    function = getattr(block, "_linebox_layout", None)
    if function is None:
        return False
    tree = _source_tree(function)
    if tree is None:
        return False
    decisions = [node for node in ast.walk(tree) if isinstance(node, ast.Assign) and len(node.targets) == 1
                 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "report"]
    if len(decisions) != 1:
        return False
    decisions[0].value = ast.Constant(False)
    ast.fix_missing_locations(tree)
    # Compiled into WeasyPrint's module, so the new function finds its neighbours
    # (and the line iterator above) as the old one did; it takes the old one's name.
    exec(compile(tree, inspect.getsourcefile(block) or "<weasyprint>", "exec"), vars(block))
    return block._linebox_layout is not function


def _leaders_as_one_run() -> bool:
    from weasyprint.layout import inline, leader
    from weasyprint.text import line_break
    handle, split = getattr(inline, "handle_leader", None), getattr(line_break, "split_first_line", None)
    if handle is None or split is None or getattr(leader, "leader_index", None) is None:
        return False

    def handle_leader(context, line, containing_block):
        """WeasyPrint's leader, its copies then made one text box."""
        handle(context, line, containing_block)
        _, box = leader.leader_index(line)
        if box is None or len(box.children) < 2:
            return
        first = min(box.children, key=lambda child: child.position_x)
        text = first.text * len(box.children)
        layout, _, _, width, _, _ = split(text, first.style, context, None, 0)
        run = first.copy_with_text(text)
        run.pango_layout, run.width = layout, width
        box.children = (run,)

    inline.handle_leader = handle_leader
    return True


def _full_columns_laid_out_once() -> bool:
    from weasyprint.layout import block, column
    function = getattr(column, "columns_layout", None)
    if function is None or getattr(block, "columns_layout", None) is not function:
        return False
    tree = _source_tree(function)
    if tree is None:
        return False
    measuring = [(parent, node) for parent in ast.walk(tree)
                 for node in (parent.body if isinstance(getattr(parent, "body", None), list) else ())
                 if isinstance(node, ast.While) and any(isinstance(inner, ast.Name) and inner.id == "balancing"
                                                        and isinstance(inner.ctx, ast.Store)
                                                        for inner in ast.walk(node))]
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if len(measuring) != 1 or not {"max_height", "height", "stop_rendering"} <= names \
            or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    parent, loop = measuring[0]
    # The loop's outcome for a page the rest overflows: the full height, and no balancing.
    parent.body[parent.body.index(loop):parent.body.index(loop) + 1] = ast.parse(
        "height = max_height\nstop_rendering = True").body
    tree.body[0].name = "_columns_at_full_height"
    ast.fix_missing_locations(tree)
    namespace = dict(vars(column))
    exec(compile(tree, inspect.getsourcefile(column) or "<weasyprint>", "exec"), namespace)
    at_full_height = namespace["_columns_at_full_height"]

    def columns_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty, absolute_boxes,
                       fixed_boxes, *rest):
        """A page the columns fill, laid out once; any other, by WeasyPrint."""
        if _plain_columns(context, box):
            shapes, notes = list(context.excluded_shapes), list(context.current_page_footnotes)
            laid = at_full_height(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                                  absolute_boxes, fixed_boxes, *rest)
            new_box, resume_at = laid[0], laid[1]
            if (new_box is not None and resume_at is not None and new_box.children
                    and all(child.is_column for child in new_box.children)
                    and context.current_page_footnotes == notes and context.current_footnote_area.height == "auto"):
                return laid
            if new_box is not None:   # the rest fits on this page: undone, for WeasyPrint to balance
                block.remove_placeholders(context, [new_box], absolute_boxes, fixed_boxes)
            context.excluded_shapes[:] = shapes
            context.in_column = False
        return function(context, box, bottom_space, skip_stack, containing_block, page_is_empty, absolute_boxes,
                        fixed_boxes, *rest)

    block.columns_layout = columns_layout
    return True


def _plain_columns(context, box) -> bool:
    """Columns with nothing across them, no set height, no notes on the page: where
    the full-height layout is WeasyPrint's own final one."""
    style = box.style
    return (style["height"] == "auto" and style["position"] == "static"
            and context.current_footnote_area.height == "auto" and not context.current_page_footnotes
            and all(child.style["column_span"] != "all" for child in box.children))
