"""Backups of an SQLite database that verify, and restores that replace nothing until they do.

``backup`` copies the live file with SQLite's online backup API: one ``sqlite3_backup_step(-1)``
copies every page inside a single read transaction, so the copy is the database as of one
commit, while officers keep writing (WAL mode: the reader blocks no writer). It does not go
through ``store.database.make_engine``: that engine's connections switch the file to WAL and
install the audit authorizer, which a page copy does not need, and the copy must stay a single
self-contained file (rollback-journal mode, no ``-wal`` beside it). The copy is written to a
temporary file next to the output, verified read-only with ``store.verify.verify_database``, and
only then renamed into place, so a failure leaves nothing behind.

``restore`` verifies the backup first (read-only), copies it to a temporary file next to the
database, verifies that copy (the restored database, before it replaces anything) and renames
it over the database in one step. An existing database is replaced only when asked, and only
when no other connection has it open: it is switched out of WAL mode and locked exclusively
while the rename happens, so no writer's ``-wal`` file is left to be replayed into the restored
file. Afterwards the database at the path is checked to be the very file that verified (same
device and inode), so what officers open is exactly what was verified.

PostgreSQL is backed up with ``pg_dump -Fc`` and restored with ``pg_restore`` (README,
"Backups"); both functions refuse a PostgreSQL URL with one line saying so.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, exc, make_url

from states.i18n import N_, Text, english
from store.database import database_url, driver_reason
from store.verify import VerifyResult, verify_database
from workflow.errors import WorkflowError

SQLITE_MAGIC = b"SQLite format 3\x00"
#: How long restore waits for other connections to let go of the database it replaces.
LOCK_TIMEOUT_S = 5.0


class BackupRefused(WorkflowError):
    """The backup or restore was refused or failed; nothing was written."""

    def __init__(self, msgid: str = "", /, **params: Any) -> None:
        super().__init__(msgid, **params)
        self.args = (english(msgid, **params),)  # a file named by a message of its own


@dataclass(frozen=True)
class BackupResult:
    """What was written and what it holds: the log's size and head as verified."""

    path: str
    log_id: str | None
    records: int
    cases: int
    head: str


# ---------------------------------------------------------------------- helpers
def sqlite_file(db: str, command: str) -> Path:
    """The file behind an SQLite ``--db``; a PostgreSQL URL is refused with the tool to use."""
    try:
        url = make_url(database_url(db))
    except exc.ArgumentError as error:
        raise BackupRefused(
            N_("cannot use database '{db}': {reason}"), db=db, reason=str(error)
        ) from None
    if url.get_backend_name() != "sqlite":
        tool = "pg_dump -Fc" if command == "backup" else "pg_restore"
        raise BackupRefused(
            N_(
                "{command} works on SQLite files; for PostgreSQL use {tool} "
                "(see 'Backups' in the README)"
            ),
            command=command,
            tool=tool,
        )
    if not url.database or url.database == ":memory:":
        raise BackupRefused(
            N_("{command} needs a database file, not an in-memory database"), command=command
        )
    return Path(url.database)


def readonly_engine(path: Path) -> Engine:
    """An engine that can only read *path* (never creates it, never switches its journal)."""
    uri = path.resolve().as_uri() + "?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=30)

    return create_engine("sqlite://", creator=connect)


def verify_file(path: Path, what: str, named: Path, origin: Path) -> VerifyResult:
    """Verify the sistercity database in *path*, read-only; any failure is one refusal.

    *what* (a message id with a ``{path}`` placeholder) and *named* name it in the message, and
    *origin* is the file to run ``audit verify`` on.
    """
    engine = readonly_engine(path)
    try:
        result = verify_database(engine)
    except exc.DBAPIError as error:
        reason = driver_reason(error)
        if "no such table" in reason:
            reason = Text(N_("no sistercity tables in it"))
        raise BackupRefused(
            N_("{what} is not a usable sistercity database: {reason}"),
            what=Text(what),
            path=str(named),
            reason=reason,
        ) from None
    finally:
        engine.dispose()
    if result.exit_code != 0:
        problems = result.problems or ()
        first = problems[0].line() if problems else Text(N_("integrity failure"))
        raise BackupRefused(
            N_(
                "{what} does not verify ({count} problem(s), first: {first}); "
                "'sistercity --db {origin} audit verify' gives the full report"
            ),
            what=Text(what),
            path=str(named),
            count=len(problems),
            first=first,
            origin=str(origin),
        )
    return result


def _identity(path: Path) -> tuple[int, int]:
    """The file itself (device and inode): a rename keeps it, a replacement does not."""
    info = path.stat()
    return info.st_dev, info.st_ino


def _temporary(target: Path, mode: int) -> Path:
    """A new, empty file next to *target* (same file system, so the rename is atomic)."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
        except FileExistsError:
            continue
        except OSError as error:
            raise BackupRefused(
                N_("cannot write {path}: {reason}"), path=str(target), reason=error.strerror
            ) from None
        os.close(fd)
        return tmp
    raise BackupRefused(  # pragma: no cover
        N_("cannot write {path}: no free temporary name"), path=str(target)
    )


def _copy(source_uri: str, source: Path, tmp: Path) -> None:
    """Copy every page of *source* into *tmp* in one step, leaving *tmp* one plain file."""
    try:
        src = sqlite3.connect(source_uri, uri=True, timeout=30)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # pages=-1: one step, one read transaction, one consistent copy
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        _fsync(tmp)
    except sqlite3.Error as error:
        raise BackupRefused(
            N_("cannot copy {path}: {reason}"), path=str(source), reason=str(error)
        ) from None
    except OSError as error:
        raise BackupRefused(
            N_("cannot copy {path}: {reason}"), path=str(source), reason=error.strerror
        ) from None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system can sync a directory
        _fsync(path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def _check_target(target: Path, force: bool) -> None:
    if target.is_dir():
        raise BackupRefused(N_("{path} is a directory; give a file name"), path=str(target))
    if target.exists() and not force:
        raise BackupRefused(N_("{path} exists; pass --force to replace it"), path=str(target))
    if not target.parent.is_dir():
        raise BackupRefused(
            N_("cannot write {path}: no directory {folder}"),
            path=str(target),
            folder=str(target.parent),
        )


def _publish(tmp: Path, target: Path, force: bool) -> None:
    """Rename *tmp* to *target* in one step; without *force* never replace a file."""
    try:
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if target appeared meanwhile: no clobbering
            except FileExistsError:
                raise BackupRefused(
                    N_("{path} exists; pass --force to replace it"), path=str(target)
                ) from None
            except OSError:  # a file system without hard links
                if target.exists():
                    raise BackupRefused(
                        N_("{path} exists; pass --force to replace it"), path=str(target)
                    ) from None
                os.replace(tmp, target)
    except OSError as error:
        raise BackupRefused(
            N_("cannot write {path}: {reason}"), path=str(target), reason=error.strerror
        ) from None
    _fsync_dir(target.parent)


@contextlib.contextmanager
def _os_errors(command: str) -> Iterator[None]:
    """Whatever the file system refuses that was not foreseen is still one line."""
    try:
        yield
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        raise BackupRefused(
            N_("{command} failed:{where} {reason}"),
            command=command,
            where=where,
            reason=error.strerror or str(error),
        ) from None


@contextlib.contextmanager
def _removed_on_exit(path: Path) -> Iterator[None]:
    try:
        yield
    finally:
        for leftover in (path, Path(f"{path}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


# ---------------------------------------------------------------------- backup
def backup(db: str, output: str | Path, force: bool = False) -> BackupResult:
    """Copy the live SQLite database *db* to *output*, consistent while officers write.

    The copy is verified before it is renamed into place; it is never in WAL mode, and it is
    readable by its owner only (it holds every officer, case, record and document).
    """
    with _os_errors("backup"):
        return _backup(sqlite_file(db, "backup"), Path(output), force)


def _backup(live: Path, target: Path, force: bool) -> BackupResult:
    if not live.is_file():
        raise BackupRefused(N_("no database at {path}: nothing to back up"), path=str(live))
    _check_target(target, force)
    if target.exists() and _same_file(live, target):
        raise BackupRefused(
            N_("{path} is the database itself; give another file"), path=str(target)
        )
    tmp = _temporary(target, 0o600)
    with _removed_on_exit(tmp):
        _copy(live.resolve().as_uri() + "?mode=rw", live, tmp)
        result = verify_file(tmp, N_("the copy of {path}"), live, live)
        _publish(tmp, target, force)
    return BackupResult(str(target), result.log_id, result.records, result.cases, result.head)


# ---------------------------------------------------------------------- restore
def restore(source: str | Path, db: str, force: bool = False) -> BackupResult:
    """Replace (or create) the SQLite database *db* with the backup *source*, verified."""
    with _os_errors("restore"):
        return _restore(Path(source), sqlite_file(db, "restore"), force)


def _restore(backup_file: Path, target: Path, force: bool) -> BackupResult:
    _check_backup_file(backup_file)
    _check_target(target, force)
    if target.exists() and _same_file(backup_file, target):
        raise BackupRefused(
            N_("{path} is the database itself; nothing to restore"), path=str(backup_file)
        )
    before = verify_file(backup_file, N_("backup {path}"), backup_file, backup_file)
    mode = 0o666  # as SQLite creates a database (the umask applies); a replaced file's mode wins
    owner: os.stat_result | None = None
    if target.exists():
        owner = target.stat()
        mode = owner.st_mode & 0o7777
    tmp = _temporary(target, mode)
    with _removed_on_exit(tmp):
        if owner is not None:
            os.chmod(tmp, mode)
            with contextlib.suppress(OSError):  # keep the officers' group where we may
                os.chown(tmp, -1, owner.st_gid)
        _copy(backup_file.resolve().as_uri() + "?mode=ro", backup_file, tmp)
        restored = verify_file(tmp, N_("the restored copy of {path}"), backup_file, backup_file)
        if (restored.log_id, restored.records, restored.head) != (
            before.log_id,
            before.records,
            before.head,
        ):
            raise BackupRefused(
                N_("the restored copy of {path} differs from the backup"), path=str(backup_file)
            )
        verified = _identity(tmp)
        with _exclusive(target):
            _publish(tmp, target, force)
    if _identity(target) != verified:
        raise BackupRefused(
            N_(
                "{path} was replaced by another file during the restore; "
                "run 'sistercity --db {path} audit verify'"
            ),
            path=str(target),
        )
    return BackupResult(
        str(target), restored.log_id, restored.records, restored.cases, restored.head
    )


def _check_backup_file(path: Path) -> None:
    if not path.exists():
        raise BackupRefused(N_("no backup at {path}"), path=str(path))
    if not path.is_file():
        raise BackupRefused(N_("{path} is not a file"), path=str(path))
    try:
        with path.open("rb") as fh:
            magic = fh.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupRefused(
            N_("cannot read {path}: {reason}"), path=str(path), reason=error.strerror
        ) from None
    if magic != SQLITE_MAGIC:
        raise BackupRefused(
            N_("{path} is not an SQLite database (not a sistercity backup)"), path=str(path)
        )


@contextlib.contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    """Sole use of an existing database while it is replaced: out of WAL mode, locked.

    Leaving WAL mode needs every other connection closed and removes the ``-wal`` file, so
    nothing written to the old file can be replayed into the new one; the exclusive lock keeps
    new connections waiting until the rename is done.
    """
    if not target.exists():
        yield
        return
    try:
        conn = sqlite3.connect(
            target.resolve().as_uri() + "?mode=rw", uri=True, timeout=LOCK_TIMEOUT_S
        )
    except sqlite3.Error as error:
        raise BackupRefused(
            N_("cannot open {path}: {reason}"), path=str(target), reason=str(error)
        ) from None
    try:
        conn.isolation_level = None
        try:
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()
            if mode is None or str(mode[0]).lower() != "delete":
                raise sqlite3.OperationalError("it stays in WAL mode")
            conn.execute("BEGIN EXCLUSIVE")
            locked = True
        except sqlite3.DatabaseError as error:
            if "not a database" not in str(error):
                raise BackupRefused(
                    N_(
                        "{path} is in use ({reason}); stop officers' commands and the sweep, "
                        "then restore again"
                    ),
                    path=str(target),
                    reason=str(error),
                ) from None
            locked = False  # a damaged file: no writer to keep out
        yield
        if locked:
            conn.rollback()
    finally:
        conn.close()
