"""Why the procedure refused a command; every message is one line an officer can act on.

Hierarchy::

    WorkflowError
     ├── CaseNotFound
     ├── UnknownTrigger
     ├── TransitionNotAllowed      lists the triggers that are allowed
     ├── PermissionDenied          role or province scope   (recorded as a ``denied`` event)
     ├── SegregationOfDuties       same officer on both sides (recorded as a ``denied`` event)
     ├── MissingFields             each missing or invalid field named
     ├── DatesOutOfOrder           a date before the case's earlier steps' dates, or in the future
     ├── GuardRejected             each failing guard named
     ├── ConcurrentUpdate          the case changed under you
     │    └── CaseMoved             its version moved since it was read (a step retries)
     ├── DocumentNotFound / DocumentCorrupted
     ├── UnknownOfficer / IdentityError
     ├── InvalidInput              a malformed value outside a transition (e.g. a country code)
     │    ├── InvalidValue          a typed value that cannot be read (also a ValueError)
     │    └── UsageProblem          a value the command line must give is missing (exit 2)
     ├── BatchRefused              one decision over several cases: each refused case named
     └── DefinitionMismatch        the released definition file changed since the case opened
"""

from __future__ import annotations

from typing import Any

from states.i18n import N_, Joined, Message


class WorkflowError(Exception):
    """Base: the command was refused and nothing was written (unless the subclass says so).

    Raised with a message id, the English text with ``{name}`` placeholders, and the values as
    named parameters: ``CaseNotFound(N_("no case {reference}"), reference=ref)``. An error made
    of several problems carries each as a ``states.i18n.Message`` (joined by ``Joined``).
    ``str()`` is the English; the CLI and the web view render it in the chosen language
    (``states.i18n.render``), so the library never translates.
    """

    def __init__(self, msgid: str = "", /, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)


class CaseNotFound(WorkflowError):
    """No case with that reference."""


class UnknownTrigger(WorkflowError):
    """The procedure has no such step at all."""


class TransitionNotAllowed(WorkflowError):
    """The step exists but not from the case's current state."""


class PermissionDenied(WorkflowError):
    """The officer lacks the role, or acts outside their province."""

    #: The step or action refused (set by ``workflow.authorization.authorize``).
    action: str | None = None


class SegregationOfDuties(PermissionDenied):
    """The officer already acted on the other side of this decision."""


class MissingFields(WorkflowError):
    """Required information or documents are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(N_("missing or invalid: {problems}"), problems=Joined(problems))


class DatesOutOfOrder(WorkflowError):
    """A step's date is earlier than one an earlier step of the case recorded, or in the future:
    invalid input, like a missing field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            N_("dates out of order: {problems}; a step's dates follow the case's history"),
            problems=Joined(problems),
        )


class GuardRejected(WorkflowError):
    """A named rule of the procedure does not hold."""

    def __init__(self, trigger: str, failed: list[str]) -> None:
        self.failed = failed
        super().__init__(
            N_("'{trigger}' refused: {reasons}"), trigger=trigger, reasons=Joined(failed)
        )


class DocumentNotFound(WorkflowError):
    """No stored document has that hash."""


class DocumentCorrupted(WorkflowError):
    """A stored document's bytes no longer match the hash it is filed under."""


class ConcurrentUpdate(WorkflowError):
    """Another officer changed the case between reading and writing it."""


class CaseMoved(ConcurrentUpdate):
    """The case's version counter moved between reading and updating it.

    A step that read its case before taking the writers' lock retries on it (with the case as it
    is now), which gives the same outcome as if the two steps had run one after the other.
    """


class UnknownOfficer(WorkflowError):
    """No registered officer matches."""


class IdentityError(WorkflowError):
    """Who is acting cannot be established, or impersonation is not allowed here."""


class InvalidInput(WorkflowError):
    """A value outside any transition is malformed."""


class InvalidValue(InvalidInput, ValueError):
    """A typed value (a date, an amount) that cannot be read; a ``ValueError`` too, so that the
    field checks that catch those name it."""


class UsageProblem(InvalidInput):
    """The command line lacks a value it must give, or gives two that exclude each other: a
    usage error (exit 2), not a refusal of the procedure."""


class DefinitionMismatch(WorkflowError):
    """A released definition no longer matches the hash a case was opened under."""


class BatchRefused(WorkflowError):
    """One decision over several cases was refused for some of them: nothing changed.

    *failures* pairs each refused case with its own refusal (a ``PermissionDenied`` among them
    has left its ``denied`` record).
    """

    def __init__(self, failures: list[tuple[str, WorkflowError]], total: int) -> None:
        self.failures = failures
        super().__init__(
            N_("nothing changed: {refused} of {total} cases refused: {reasons}"),
            refused=len(failures),
            total=total,
            reasons=Joined(
                Message("{reference}: {refusal}", reference=reference, refusal=as_message(refusal))
                for reference, refusal in failures
            ),
        )


def as_message(error: BaseException) -> str:
    """*error* as a message rendered in the language of the one it fills: its message id and
    parameters when it has them, else its text."""
    msgid = getattr(error, "msgid", None)
    params = getattr(error, "params", None)
    if isinstance(msgid, str) and msgid:
        return Message(msgid, **(params if isinstance(params, dict) else {}))
    return str(error)
