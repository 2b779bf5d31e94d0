"""Where the product keeps what it can work out again: the user's cache folder.

Two things are kept there, each in a folder of its own: validated definitions
(``states.definition_cache``) and rendered diagrams (``diagrams.kept``). The default is
``$XDG_CACHE_HOME/sistercity/<kind>`` (``~/.cache/sistercity/<kind>``). ``SISTERCITY_CACHE=DIR``
moves it: the definitions are kept in DIR itself (as they were before anything else was kept),
everything else in ``DIR/<kind>``. ``SISTERCITY_CACHE=off`` keeps nothing.

Standard library only: every command that reads a definition imports it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

CACHE_ENV = "SISTERCITY_CACHE"
#: What ``SISTERCITY_CACHE`` may say to keep nothing.
OFF = frozenset({"", "0", "off", "no"})

Kind = Literal["definitions", "diagrams"]


def cache_folder(kind: Kind) -> Path | None:
    """The folder keeping *kind*, or ``None`` when the user asked to keep nothing."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        if chosen.strip().lower() in OFF:
            return None
        return Path(chosen) if kind == "definitions" else Path(chosen) / kind
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sistercity" / kind
