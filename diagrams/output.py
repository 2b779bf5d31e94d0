"""Write a rendered picture exactly where asked, and nowhere else.

Graphviz's own ``render()`` leaves a DOT file beside the image; we pipe instead and write one
file. Without ``force`` the file is opened with exclusive creation, so a file that appears
between a check and the write is never clobbered either.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

from diagrams.dot import BINARY_FORMATS
from diagrams.errors import DiagramError, OutputExists
from states.i18n import N_

STDOUT = "-"


def check_destination(path: str | Path, force: bool = False, fmt: str | None = None) -> None:
    """Refuse early, before rendering, what :func:`write_output` would refuse later."""
    if str(path) == STDOUT:
        if fmt in BINARY_FORMATS and sys.stdout.isatty():
            raise DiagramError(
                N_("refusing to write {format} to a terminal; give an output file"),
                format=fmt.upper(),
            )
        return
    target = Path(path)
    if target.is_dir():
        raise DiagramError(N_("{path} is a directory; give a file name"), path=str(target))
    if target.exists() and not force:
        raise OutputExists(
            N_("{path} already exists; pass --force to replace it"), path=str(target)
        )
    if not target.parent.is_dir():
        raise DiagramError(
            N_("cannot write {path}: folder {folder} does not exist"),
            path=str(target),
            folder=str(target.parent),
        )


def write_output(
    data: bytes,
    path: str | Path,
    force: bool = False,
    fmt: str | None = None,
    stdout: BinaryIO | None = None,
) -> None:
    """Write *data* to *path* (``-`` is standard output); never replace a file unless *force*."""
    if str(path) == STDOUT:
        if stdout is None:
            check_destination(path, force, fmt)
            stdout = sys.stdout.buffer
        stdout.write(data)
        stdout.flush()
        return
    check_destination(path, force, fmt)
    target = Path(path)
    try:
        with target.open("wb" if force else "xb") as out:
            out.write(data)
    except FileExistsError:
        raise OutputExists(
            N_("{path} already exists; pass --force to replace it"), path=str(target)
        ) from None
    except OSError as exc:
        raise DiagramError(
            N_("cannot write {path}: {reason}"), path=str(target), reason=exc.strerror
        ) from None
