"""Every code sample runs: the README's snippets and the package's docstring examples."""

from __future__ import annotations

import doctest
from pathlib import Path

import veritydb
import veritydb.dbapi

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_snippets() -> None:
    globs = {"veritydb": veritydb}
    result = doctest.testfile(str(README), module_relative=False, globs=globs, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


def test_docstring_examples() -> None:
    for module in (veritydb, veritydb.dbapi):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0, module.__name__
