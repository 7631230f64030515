"""The examples in docstrings are run: a wrong example is a failing test."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import separ

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(separ.__path__, "separ.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_examples_exist() -> None:
    """Guards the collection above: the text and grouping modules do carry examples."""
    finder = doctest.DocTestFinder()
    found = {
        name: sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
        for name in ("separ.wording", "separ.neardup", "separ.text.normalize")
    }
    assert all(found.values()), found
