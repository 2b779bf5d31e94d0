"""Signed audit heads ("checkpoints"): their canonical form, Ed25519 keys, signing and checking.

A head export is canonical JSON (``workflow.integrity.canonical_json``) naming the log, its size
and the hash of its newest record; the signature is *detached*, in ``FILE.sig`` next to
``FILE``, over exactly the JSON bytes. A checkpoint held outside the database is what makes
deleting the newest records, restoring an older backup or re-chaining the log detectable: the
chain alone only proves the records agree with one another.

The document names the signing key by fingerprint, never embeds it: a signature checked with a
key taken from the file itself proves nothing (anyone can make a key pair and sign a forged
head). The verifier takes the *trusted* public key from the auditor (``--key``), and a checkpoint
signed by any other key is rejected.

Files are checked byte for byte (exact canonical JSON plus one newline, exact base64 plus one
newline), so no change to a checkpoint file, however small, is accepted.

``cryptography`` is imported only by the functions that make, load or use a key: verifying the
chain without a checkpoint, or exporting an unsigned head, does not load it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from states.i18n import N_, Message
from workflow.errors import WorkflowError
from workflow.integrity import canonical_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

HEAD_TYPE = "sistercity-audit-head"
HEAD_VERSION = 1
SIGNATURE_SUFFIX = ".sig"
HEAD_KEYS = frozenset({"type", "v", "log", "size", "head", "at", "by", "os_user", "key"})


class KeyFileError(WorkflowError):
    """A key file is missing, unreadable, of the wrong kind, or would be overwritten."""


@dataclass(frozen=True)
class HeadDocument:
    """What a head export states: the log *log* had *size* records, the newest hashing to *head*.

    *size* and *head* describe the log just before the export's own ``head_export`` event.
    """

    log: str
    size: int
    head: str
    at: str
    by: str
    os_user: str | None
    key: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": HEAD_TYPE,
            "v": HEAD_VERSION,
            "log": self.log,
            "size": self.size,
            "head": self.head,
            "at": self.at,
            "by": self.by,
            "os_user": self.os_user,
            "key": self.key,
        }

    def canonical(self) -> bytes:
        """The exact bytes that are signed and written (without the trailing newline)."""
        return canonical_json(self.as_dict())

    def memo_line(self) -> str:
        """One printable line to copy into the official memo."""
        signed = f" key {self.key[:16]}" if self.key else " unsigned"
        return (
            f"sistercity audit head: log {self.log} size {self.size} head {self.head} "
            f"at {self.at} by {self.by}{signed}"
        )


# ---------------------------------------------------------------------- keys
def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: how documents name their signer."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _exclusive_write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def generate_keypair(prefix: str) -> tuple[Path, Path, str]:
    """Write ``PREFIX.key`` (mode 0600) and ``PREFIX.pub``; never overwrite either."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    if not private_path.parent.is_dir():
        raise KeyFileError(
            N_("{folder}: no such folder; create it first or choose another -o"),
            folder=str(private_path.parent),
        )
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(N_("{path} exists; refusing to overwrite a key"), path=str(path))
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        _exclusive_write(private_path, private_pem, 0o600)
        os.chmod(private_path, 0o600)  # the umask may have narrowed, never widened, it
        _exclusive_write(public_path, public_pem, 0o644)
    except FileExistsError as exc:
        raise KeyFileError(
            N_("{path} exists; refusing to overwrite a key"), path=str(exc.filename)
        ) from None
    return private_path, public_path, fingerprint(key.public_key())


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file made by ``audit keygen``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(
            N_("cannot read private key {path}: {reason}"), path=str(path), reason=str(exc)
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(N_("{path} is not an Ed25519 private key"), path=str(path))
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """The trusted Ed25519 public key, from a PEM file made by ``audit keygen``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(
            N_("cannot read public key {path}: {reason}"), path=str(path), reason=str(exc)
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(N_("{path} is not an Ed25519 public key"), path=str(path))
    return key


# ---------------------------------------------------------------------- sign and check
def sign(document: HeadDocument, key: Ed25519PrivateKey) -> bytes:
    """The detached signature over the document's canonical bytes."""
    return key.sign(document.canonical())


def signature_text(signature: bytes) -> bytes:
    """The ``.sig`` file's bytes: base64 and one newline."""
    return base64.b64encode(signature) + b"\n"


def export_targets(path: str | Path) -> list[Path]:
    """``FILE`` and ``FILE.sig``: the files a head export may write."""
    target = Path(path)
    return [target, Path(f"{target}{SIGNATURE_SUFFIX}")]


def check_export_target(path: str | Path, force: bool) -> None:
    """Refuse, before anything is recorded, an export that could not be written: a missing
    folder, or a file that exists without ``force``."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise KeyFileError(
            N_("{folder}: no such folder; create it first or choose another -o"),
            folder=str(folder),
        )
    if target.is_dir():
        raise KeyFileError(N_("{path} is a folder; give a file name with -o"), path=str(target))
    if not force:
        for candidate in export_targets(target):
            if candidate.exists():
                raise KeyFileError(
                    N_("{path} exists; pass --force to replace it"), path=str(candidate)
                )


def write_export(
    path: str | Path, document: HeadDocument, signature: bytes | None, force: bool = False
) -> list[Path]:
    """Write ``FILE`` (canonical JSON + newline) and, when signed, ``FILE.sig``; an existing file
    is replaced only with *force*."""
    mode = "wb" if force else "xb"
    target, sig_path = export_targets(path)
    try:
        with target.open(mode) as fh:
            fh.write(document.canonical() + b"\n")
        written = [target]
        if signature is not None:
            with sig_path.open(mode) as fh:
                fh.write(signature_text(signature))
            written.append(sig_path)
    except FileExistsError as exc:
        raise KeyFileError(
            N_("{path} exists; pass --force to replace it"), path=str(exc.filename)
        ) from None
    return written


class CheckpointInvalid(Exception):
    """A checkpoint file that cannot be trusted; the message says why, in one line."""


def parse_checkpoint(body: bytes, sig: bytes | None, trusted: Ed25519PublicKey) -> HeadDocument:
    """The document in a checkpoint, after checking its exact form and its signature.

    Raises ``CheckpointInvalid`` for any defect; never anything else, whatever the bytes.
    """
    from cryptography.exceptions import InvalidSignature

    if not body.endswith(b"\n"):
        raise CheckpointInvalid(Message(N_("not a head export (no final newline)")))
    text = body[:-1]
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CheckpointInvalid(Message(N_("not a head export (not JSON)"))) from None
    if not isinstance(data, dict) or set(data) != HEAD_KEYS:
        raise CheckpointInvalid(Message(N_("not a head export (unexpected keys)")))
    try:
        if canonical_json(data) != text:
            raise CheckpointInvalid(Message(N_("not in canonical form (the file was edited)")))
    except TypeError:
        raise CheckpointInvalid(
            Message(N_("not in canonical form (the file was edited)"))
        ) from None
    if data["type"] != HEAD_TYPE or data["v"] != HEAD_VERSION:
        raise CheckpointInvalid(Message(N_("not a version-1 head export")))
    size, head = data["size"], data["head"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise CheckpointInvalid(Message(N_("size is not a non-negative integer")))
    if not isinstance(head, str) or len(head) != 64 or head.strip("0123456789abcdef"):
        raise CheckpointInvalid(Message(N_("head is not a SHA-256 hex digest")))
    for key in ("log", "at", "by"):
        if not isinstance(data[key], str):
            raise CheckpointInvalid(Message(N_("{key} is not text"), key=key))
    if data["os_user"] is not None and not isinstance(data["os_user"], str):
        raise CheckpointInvalid(Message(N_("os_user is not text")))
    if sig is None:
        raise CheckpointInvalid(Message(N_("unsigned: no .sig file next to it")))
    if data["key"] != fingerprint(trusted):
        raise CheckpointInvalid(
            Message(N_("signed by another key than the trusted one"))
            if isinstance(data["key"], str)
            else Message(N_("names no signing key"))
        )
    try:
        raw = base64.b64decode(sig.removesuffix(b"\n"), validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointInvalid(Message(N_("signature file is not base64"))) from None
    if len(raw) != 64 or signature_text(raw) != sig:
        raise CheckpointInvalid(Message(N_("signature file is malformed")))
    try:
        trusted.verify(raw, text)
    except InvalidSignature:
        raise CheckpointInvalid(
            Message(N_("signature does not match (file or signature altered)"))
        ) from None
    return HeadDocument(
        log=data["log"],
        size=size,
        head=head,
        at=data["at"],
        by=data["by"],
        os_user=data["os_user"],
        key=data["key"],
    )


def read_checkpoint(path: str | Path, trusted: Ed25519PublicKey) -> HeadDocument:
    """Read ``FILE`` and ``FILE.sig`` and check them; ``CheckpointInvalid`` if unusable."""
    target = Path(path)
    try:
        body = target.read_bytes()
    except OSError as exc:
        raise CheckpointInvalid(
            Message(N_("cannot read: {reason}"), reason=exc.strerror)
        ) from None
    sig_path = Path(f"{target}{SIGNATURE_SUFFIX}")
    try:
        sig: bytes | None = sig_path.read_bytes()
    except FileNotFoundError:
        sig = None
    except OSError as exc:
        raise CheckpointInvalid(
            Message(N_("cannot read {path}: {reason}"), path=sig_path.name, reason=exc.strerror)
        ) from None
    return parse_checkpoint(body, sig, trusted)
