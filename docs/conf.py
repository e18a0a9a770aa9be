"""Sphinx configuration of skfa's documentation."""

import os
import re
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "sphinxext"))

import skfa  # noqa: E402

project = "skfa"
author = "the skfa developers"
copyright = "the skfa developers"  # noqa: A001
release = skfa.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "sphinxext"]
templates_path = ["_templates"]
html_static_path = ["_static"]

# Autodoc, autosummary, numpydoc: one page per public class or function, its
# docstring rendered by numpydoc; the class template lists the methods.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# The gallery: examples/plot_*.py, run at build time (pass
# ``-D plot_gallery=0`` to skip running them), in the order of the lecture.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.LectureOrder",
    "doc_module": ("skfa",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skfa": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# Examples print progress from matplotlib's Agg backend only.
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)

html_theme = "pydata_sphinx_theme"
html_title = f"skfa {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "quickstart": [], "changelog": []}
html_show_sourcelink = False

myst_heading_anchors = 2


# --------------------------------------------------------------------- hooks
# In a numpydoc type such as ``ndarray of shape (n_features_in_,)``, reST reads
# a trailing underscore as a hyperlink reference; render such names literally.
_TYPE_LINE = re.compile(r"^(\s*[\w*][\w, *]* : )(.+)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z_]\w*_)(?![`\w])")


def _literal_underscored_names(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match and "`" not in match.group(2):
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(
                r"``\1``", match.group(2)
            )


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,score,...}_request on every estimator;
    # they are documented in scikit-learn, not here.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-process-docstring", _literal_underscored_names, priority=400)
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
