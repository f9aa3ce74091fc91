"""Sphinx configuration of the sgdlearn documentation.

Build the site (gallery executed) from the repository root with::

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Skip running the gallery (a quick check of the pages and the API
reference; the examples are rendered without their output) with::

    python -m sphinx -W --keep-going -b html -D plot_gallery=0 docs docs/_build/html
"""

import os
import re
import sys
from pathlib import Path

# The gallery's problems are small: one BLAS thread is as fast as several, and
# avoids oversubscribed, many times slower builds on busy (shared CI)
# machines. The variables cover BLAS libraries loaded later (SciPy's own);
# threadpoolctl those already loaded.
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import matplotlib  # noqa: E402
import scipy.optimize  # noqa: E402, F401  (load SciPy's BLAS before limiting it)
from threadpoolctl import threadpool_limits  # noqa: E402

matplotlib.use("Agg")
threadpool_limits(limits=1, user_api="blas")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import sgdlearn  # noqa: E402

# -- project -----------------------------------------------------------------

project = "sgdlearn"
author = "the sgdlearn developers"
copyright = "the sgdlearn developers"
release = sgdlearn.__version__
version = release

# -- extensions --------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary / numpydoc ------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# autosummary lists the methods; numpydoc's own member tables would repeat them
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# numpydoc validates the docstrings of the public API as the pages are built
# (a failure is a warning, so an error under -W). Left out: the extended
# summary (ES01), See Also and Examples of each method (SA01, EX01; every
# class has both), and "the return type alone on its line" (RT02), which the
# numpydoc convention does not require of named returns such as
# ``self : object``.
numpydoc_validation_checks = {"all", "ES01", "SA01", "EX01", "RT02"}
# Methods inherited from scikit-learn keep scikit-learn's docstrings, which
# are not ours to change.
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.score$",
    r"\.set_\w+_request$",
    r"\.get_metadata_routing$",
    r"\.set_callbacks$",
    r"\.__init__$",
}

# Methods inherited from scikit-learn (score, get_params, set_fit_request…)
# keep scikit-learn's docstrings, whose :ref: and :term: roles point into
# scikit-learn's own documentation; without intersphinx (the build stays
# offline) they render as plain text.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^>]*>)?`")

# A bare word ending in "_" (loss_curve_) is a hyperlink reference in
# reStructuredText; in running text of a docstring it is an attribute name.
_TRAILING_UNDERSCORE = re.compile(r"(?<=[\s(])([A-Za-z]\w*_)(?=[\s,.;:)]|$)")


def _plain_docstring(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn"):
        lines[:] = [_SKLEARN_ROLE.sub(r"\1", line) for line in lines]
        return
    for i, line in enumerate(lines):
        if line.strip() == "Examples":
            break  # leave the doctests alone
        stripped = line.lstrip()
        if stripped.startswith((">>>", "...")) or "``" in line:
            continue
        indent = len(line) - len(stripped)
        head, _, tail = stripped.partition(" ")
        if tail:
            tail = _TRAILING_UNDERSCORE.sub(r"``\1``", " " + tail)[1:]
        lines[i] = " " * indent + head + (" " + tail if tail else "")


def setup(app):
    app.connect("autodoc-process-docstring", _plain_docstring, priority=400)


# -- sphinx-gallery ----------------------------------------------------------


def _gallery_order():
    """Subsections in teaching order; any other folder of examples/ (e.g. one
    added later with its README.rst) follows in alphabetical order."""
    first = ["gradient_descent", "regularisation", "models", "monitoring"]
    return [f"../examples/{name}" for name in first] + ["*"]


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "subsection_order": _gallery_order(),
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sgdlearn",),
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    # a failing example fails the build
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- the benchmark tables ------------------------------------------------------
# performance.rst shows the latest table of each benchmark found in
# benchmarks/results/ (the runs' own output, never committed) on the machine
# that builds the docs, one after the other, or says there is none.

_BENCH_RESULTS = ROOT / "benchmarks" / "results"
_BENCH_TABLES = [
    "latest.md",  # run.py
    "gridsearch-latest.md",
    "quantile-latest.md",
    "cluster-latest.md",
]
_BENCH_COPY = DOCS / "generated" / "benchmark_results.md.txt"
_BENCH_COPY.parent.mkdir(exist_ok=True)
_found = [_BENCH_RESULTS / name for name in _BENCH_TABLES]
_found = [path for path in _found if path.exists()]
if _found:
    _BENCH_COPY.write_text(
        "\n\n".join(
            f"<!-- benchmarks/results/{path.name} -->\n"
            + path.read_text(encoding="utf-8").strip()
            for path in _found
        )
        + "\n",
        encoding="utf-8",
    )
    tags.add("benchmarks")  # noqa: F821 (provided by Sphinx)
else:
    _BENCH_COPY.write_text(
        "No benchmark results in benchmarks/results/ where this was built.\n",
        encoding="utf-8",
    )

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sgdlearn {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = False

# nitpicky cross-references to scikit-learn would need intersphinx (network);
# keep the build offline and self-contained
nitpicky = False
