"""Passes over pandoc's AST (its JSON), between reading the Markdown and writing HTML.

Here structure is explicit: an ordered list knows its delimiter, which pandoc's HTML
writer drops. A pass records such facts as classes that survive into the HTML.
"""
from __future__ import annotations

DELIMITERS = {"OneParen": "oneparen", "TwoParens": "twoparens"}   # Period and default: browsers' own
STYLES = {"LowerAlpha": "lower-alpha", "UpperAlpha": "upper-alpha", "LowerRoman": "lower-roman",
          "UpperRoman": "upper-roman"}   # as CSS names them


def _walk(node, visit):
    """Apply `visit` to every node (dict with a 't'), children first; `visit` may
    return a replacement node."""
    if isinstance(node, list):
        return [_walk(item, visit) for item in node]
    if isinstance(node, dict):
        if "c" in node:
            node["c"] = _walk(node["c"], visit)
        if "t" in node:
            return visit(node) or node
    return node


def keep_list_delimiters(document: dict) -> dict:
    """`(2)` and `a)` lists: wrap the list in a Div whose class names its delimiter,
    which book.py moves onto the <ol> as `data-delim`."""
    def visit(node):
        if node["t"] != "OrderedList":
            return None
        delimiter = DELIMITERS.get(node["c"][0][2]["t"])
        if delimiter is None:
            return None
        style = STYLES.get(node["c"][0][1]["t"], "decimal")
        return {"t": "Div", "c": [["", ["folio-list", f"delim-{delimiter}", f"style-{style}"], []], [node]]}
    document["blocks"] = _walk(document["blocks"], visit)
    return document


PASSES = (keep_list_delimiters,)
