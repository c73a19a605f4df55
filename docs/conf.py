"""Sphinx configuration: MyST Markdown pages, the furo theme, autodoc of the public API."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from complaintflow import __version__  # noqa: E402

project = "complaintflow"
author = "complaintflow developers"
copyright = "complaintflow developers"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "lifecycle_diagram",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store", "**/.*"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# attrs and the standard library have no inventory here (the build runs offline), so
# type names in signatures stay plain text rather than links.

html_theme = "furo"
html_title = f"complaintflow {release}"
pygments_style = "friendly"
