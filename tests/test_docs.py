"""The documentation's code and structure, checked without building it.

The Sphinx build itself (with the gallery executed) runs in CI after the
tests (.ci/run); these tests catch the common breakages early: a doctest in a
page that no longer matches the code, a public object missing from the API
reference, a gallery script that Sphinx-Gallery would reject.
"""

import ast
import doctest
import re
import warnings
from pathlib import Path

import pytest

import sgdlearn

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

PAGES = sorted(
    path
    for path in DOCS.rglob("*.rst")
    if "_build" not in path.parts
    and "auto_examples" not in path.parts
    and "generated" not in path.parts
    and ">>> " in path.read_text(encoding="utf-8")
)


@pytest.mark.skipif(not DOCS.exists(), reason="no docs/ in this checkout")
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_doctests_of_the_pages(page):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a page's example must not warn
        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            verbose=False,
        )
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {page.name}"


@pytest.mark.skipif(not DOCS.exists(), reason="no docs/ in this checkout")
def test_api_reference_lists_every_public_object():
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", api, flags=re.MULTILINE))
    public = set(sgdlearn.__all__) - {"__version__"}
    assert public <= listed, f"missing from docs/api.rst: {sorted(public - listed)}"


@pytest.mark.skipif(not DOCS.exists(), reason="no docs/ in this checkout")
def test_user_guide_toctree_lists_every_page():
    index = (DOCS / "user_guide" / "index.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", index, flags=re.MULTILINE))
    pages = {p.stem for p in (DOCS / "user_guide").glob("*.rst")} - {"index"}
    assert "out_of_core" in listed
    assert pages <= listed, f"not in the toctree: {sorted(pages - listed)}"


EXAMPLE_FILES = sorted(EXAMPLES.rglob("plot_*.py")) if EXAMPLES.exists() else []


@pytest.mark.skipif(not EXAMPLES.exists(), reason="no examples/ in this checkout")
def test_gallery_has_at_least_ten_examples_in_folders_with_a_readme():
    assert len(EXAMPLE_FILES) >= 10
    assert (EXAMPLES / "README.rst").exists() or (EXAMPLES / "README.txt").exists()
    for folder in {path.parent for path in EXAMPLE_FILES}:
        readmes = [folder / "README.rst", folder / "README.txt"]
        assert any(r.exists() for r in readmes), f"{folder} has no README"


@pytest.mark.parametrize(
    "path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_example_starts_with_a_valid_title(path):
    """Sphinx-Gallery needs a docstring opening with a title; reST rejects an
    over- or underline shorter than the title."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no module docstring"
    lines = docstring.strip().splitlines()
    if set(lines[0]) <= set("=-~#*") and len(lines) >= 3:
        overline, title, underline = lines[0], lines[1], lines[2]
        assert len(overline) >= len(title.rstrip()), f"{path.name}: short overline"
    else:
        title, underline = lines[0], lines[1]
    assert set(underline) <= set("=-~#*") and len(underline) >= len(title.rstrip())
