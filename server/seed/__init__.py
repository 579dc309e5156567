"""Reference and demo data. The catalogue is real (from the 2015 notice); the demo is not.

The demo's tables (places, people, how activities are drawn) are TOML files in ``data/``,
shipped with the package, so that they can be read and corrected without reading code.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any


def load_data(name: str) -> dict[str, Any]:
    """One of the demo's data files, ``data/<name>.toml``."""
    return tomllib.loads((files(__name__) / "data" / f"{name}.toml").read_text(encoding="utf-8"))
