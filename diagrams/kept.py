"""Rendered pictures kept between runs: ``dot`` lays a picture out once, not at every command.

Laying out the procedure costs ``dot`` about as much as everything else ``sistercity diagram``
does, and officers draw the same pictures again and again. ``dot`` is deterministic: the same
DOT source, format, layout engine and renderer, run by the same program with the same fonts,
gives the same bytes. So the first render of a picture is kept in the user's cache folder
(``states.cache_home``: ``~/.cache/sistercity/diagrams``; ``SISTERCITY_CACHE=off`` keeps
nothing), named by the SHA-256 of everything the bytes depend on:

* the DOT source, the format, the layout engine and the renderer;
* the ``dot`` program on ``PATH`` (the one the graphviz package runs): its resolved path, size
  and modification time, so an upgraded Graphviz is another program;
* the fonts it can see: the modification times of fontconfig's configuration, font and cache
  folders, and the variables that point Graphviz or fontconfig elsewhere (installing
  ``fonts-thai-tlwg`` changes how Thai text is drawn).

An entry names its key and the SHA-256 of its bytes: one that cannot be read or does not match
is drawn again and replaced. Entries are written to a temporary file and renamed into place, so
no reader sees half of one; a folder that cannot be written only means drawing every time. At
most ``MAX_ENTRIES`` entries and ``MAX_BYTES`` bytes are kept, the least recently used going
first. Without ``dot`` on ``PATH`` nothing is served: a kept picture does not stand in for the
program, and the refusal is the same as ever.

The entries are the user's own, like Python's bytecode cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from states.cache_home import cache_folder

#: Bounds of the folder: a case's picture changes every day (days spent), so entries accumulate.
MAX_ENTRIES = 100
MAX_BYTES = 32 * 1024 * 1024
#: First word of an entry's header line; a new layout of entries gets a new one.
_MAGIC = b"sistercity-picture-1"
_SUFFIX = ".picture"
_PARTIAL = ".partial"
#: A temporary file this old belongs to a process that died before renaming it.
_ABANDONED_S = 3600
#: Where fontconfig reads its configuration, fonts and caches (Debian's ``fonts.conf``).
_FONT_FOLDERS = (
    "/etc/fonts",
    "/etc/fonts/conf.d",
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/var/cache/fontconfig",
)
#: Variables that change which fonts, plugins or files ``dot`` uses.
_VARIABLES = (
    "DOTFONTPATH",
    "GDFONTPATH",
    "FONTCONFIG_FILE",
    "FONTCONFIG_PATH",
    "FONTCONFIG_SYSROOT",
    "GVBINDIR",
    "GV_FILE_PATH",
)


def rendered(
    source: str, fmt: str, engine: str, renderer: str | None, draw: Callable[[], bytes]
) -> bytes:
    """The picture *draw* gives for this DOT *source*, from the cache when drawn before."""
    folder = cache_folder("diagrams")
    if folder is None:
        return draw()
    key = picture_key(source, fmt, engine, renderer)
    if key is None:
        return draw()  # no dot: let the renderer refuse as it always has
    kept = load(folder, key)
    if kept is not None:
        return kept
    data = draw()
    store(folder, key, data)
    return data


def find_program(name: str) -> Path | None:
    """*name* as ``PATH`` finds it (as ``subprocess`` would), with its links resolved."""
    for folder in os.get_exec_path():
        candidate = os.path.join(folder or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Path(os.path.realpath(candidate))
    return None


def picture_key(source: str, fmt: str, engine: str, renderer: str | None) -> str | None:
    """The SHA-256 naming this picture, or ``None`` when ``dot`` cannot be found."""
    program = find_program("dot")
    if program is None:
        return None
    try:
        facts = program.stat()
    except OSError:
        return None
    parts = [
        source,
        fmt,
        engine,
        renderer,
        str(program),
        facts.st_size,
        facts.st_mtime_ns,
        _fonts(),
        [os.environ.get(name) for name in _VARIABLES],
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _fonts() -> list[int | None]:
    """When each folder fontconfig reads last changed (``None`` where there is none)."""
    home = os.path.expanduser("~")
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    folders = (
        *_FONT_FOLDERS,
        os.path.join(data, "fonts"),
        os.path.join(home, ".fonts"),
        os.path.join(cache, "fontconfig"),
        os.path.join(home, ".fontconfig"),
    )
    changed: list[int | None] = []
    for folder in folders:
        try:
            changed.append(os.stat(folder).st_mtime_ns)
        except OSError:
            changed.append(None)
    return changed


def _entry(folder: Path, key: str) -> Path:
    return folder / f"{key}{_SUFFIX}"


def load(folder: Path, key: str) -> bytes | None:
    """The picture kept under *key* in *folder*, or ``None`` if there is no sound one."""
    entry = _entry(folder, key)
    try:
        blob = entry.read_bytes()
    except OSError:
        return None
    header, newline, data = blob.partition(b"\n")
    fields = header.split(b" ")
    if not newline or len(fields) != 4:
        return None
    magic, named, digest, size = fields
    if (
        magic != _MAGIC
        or named != key.encode("ascii")
        or size != str(len(data)).encode("ascii")
        or digest != hashlib.sha256(data).hexdigest().encode("ascii")
    ):
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: pruned last
    return data


def store(folder: Path, key: str, data: bytes) -> None:
    """Keep *data* under *key* (best effort: a folder that cannot be written keeps nothing),
    then prune the folder to its bounds. A picture larger than the bound is not kept."""
    if len(data) > MAX_BYTES:
        return
    entry = _entry(folder, key)
    header = b" ".join(
        (_MAGIC, key.encode("ascii"), hashlib.sha256(data).hexdigest().encode("ascii"),
         str(len(data)).encode("ascii"))
    )  # fmt: skip
    partial = folder / f"{entry.name}.{os.getpid()}-{os.urandom(4).hex()}{_PARTIAL}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with partial.open("xb") as out:
            out.write(header + b"\n")
            out.write(data)
        os.replace(partial, entry)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return
    prune(folder, keep=entry)


def prune(folder: Path, keep: Path | None = None) -> None:
    """Remove the least recently used entries beyond the bounds, and abandoned temporary
    files; *keep* (the entry just written) stays whatever its size."""
    entries: list[tuple[int, int, str]] = []
    now = time.time()
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                try:
                    facts = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if item.name.endswith(_SUFFIX):
                    entries.append((facts.st_mtime_ns, facts.st_size, item.path))
                elif item.name.endswith(_PARTIAL) and now - facts.st_mtime > _ABANDONED_S:
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
    except OSError:
        return
    entries.sort(reverse=True)  # most recently used first
    count = total = 0
    for _, size, path in entries:
        if path == str(keep) or (count < MAX_ENTRIES and total + size <= MAX_BYTES):
            count += 1
            total += size
            continue
        with contextlib.suppress(OSError):
            os.unlink(path)
