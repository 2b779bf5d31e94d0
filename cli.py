"""The officers' command line: parse, make one library call, print. No business rules here.

Each command imports what it uses, inside its function: ``--help`` loads click alone, the procedure
commands never load SQLAlchemy, and only the commands that create a database load Alembic
(``tests/test_imports.py`` holds each command to it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import cached_property, wraps
from importlib import import_module
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TextIO, TypeVar, overload

import click

from states.i18n import (
    DOMAIN,
    LANG_ENV,
    LOCALE_DIR,
    N_,
    Text,
    chosen_lang,
    render,
    set_lang,
    tr,
)
from store import DEFAULT_DB
from store.collector import pace_for_a_command

pace_for_a_command()  # a short process: its allocations are mostly imports that live to its end

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.unit_of_work import SqlAlchemyUnitOfWork
    from workflow.model import Actor, AuditRecord, Case
    from workflow.nextsteps import NextStep
    from workflow.receipts import Receipt

F = TypeVar("F", bound=Callable[..., Any])
#: ``states.loader.PROCEDURES_ENV``, spelt here so that help needs no import of the definitions
#: (a test checks the two agree).
PROCEDURES_ENV = "SISTERCITY_PROCEDURES"
LANGS = click.Choice(["th", "en", "both"])
LANG_HELP = N_("Language of messages, help and output: th, en or both (env SISTERCITY_LANG).")
#: click's own words (usage errors, help headings), so that the catalogue holds them too.
CLICK_WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Option {name!r} requires an argument."),
    N_("Option {name!r} does not take a value."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."),
    N_("file"),
    N_("path"),
    N_("directory"),
    N_("required"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("Aborted!"),
)


def use_language(lang: str | None) -> str:
    """Make *lang* (or ``SISTERCITY_LANG``) the language of this process's messages: our own
    through ``states.i18n``, click's through the same catalogue (click asks stdlib gettext)."""
    import gettext

    set_lang(lang)
    chosen = chosen_lang()
    if chosen in ("th", "both"):
        gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
        gettext.textdomain(DOMAIN)
        os.environ["LANGUAGE"] = "th"
    else:
        gettext.textdomain("messages")
        if _LANGUAGE is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = _LANGUAGE
    return chosen


#: The LANGUAGE the process started with, given back when a command is not in Thai.
_LANGUAGE = os.environ.get("LANGUAGE")


def _lang_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--lang`` given (on the command line or in ``SISTERCITY_LANG``), not a command's
    default, sets the language of messages."""
    given = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    if value and param.name and ctx.get_parameter_source(param.name) in given:
        use_language(value)
    return value


def _t(text: str | None) -> str | None:
    """A help text in the chosen language (``both``: Thai, then English)."""
    return tr(text) if text else text


class TranslatedHelp:
    """Help in the chosen language: the command's text and its options', from the catalogue."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        command: Any = self
        saved: list[tuple[Any, str | None]] = [(command, command.help)]
        saved += [
            (p, p.help) for p in command.get_params(ctx) if isinstance(p, click.Option) and p.help
        ]
        for owner, text in saved:
            owner.help = _t(text)
        try:
            super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            for owner, text in saved:
                owner.help = text

    def get_short_help_str(self, limit: int = 45) -> str:
        command: Any = self
        saved = (command.short_help, command.help)
        command.short_help, command.help = (_t(text) for text in saved)
        try:
            short: str = super().get_short_help_str(limit)  # type: ignore[misc]
        finally:
            command.short_help, command.help = saved
        return short


class Command(TranslatedHelp, click.Command):
    """A command whose help is in the chosen language."""


class Group(TranslatedHelp, click.Group):
    """A group whose help, and whose commands' help, is in the chosen language."""

    command_class = Command
    group_class = type


def os_login() -> str:
    """The login of the process's real uid: ``$USER`` can be set to anything."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid:{os.getuid()}"


class App:
    """What every command shares: the database, the acting officer, the clock."""

    def __init__(self, db: str, as_officer: str | None) -> None:
        self.db = db
        self.as_officer = as_officer
        self.creating = False

    @cached_property
    def engine(self) -> Engine:
        from store import make_engine
        from workflow.errors import WorkflowError

        if not self.creating and "://" not in self.db and not os.path.exists(self.db):
            raise WorkflowError(N_("no database at {db}: run 'sistercity init' first"), db=self.db)
        if "://" not in self.db and os.path.isfile(self.db) and os.path.getsize(self.db) == 0:
            raise WorkflowError(
                N_("{db} is an empty file, not a database: remove it and run 'sistercity init'"),
                db=self.db,
            )
        return make_engine(self.db)

    def close(self) -> None:
        """Return pooled connections when the command ends (only if one was opened)."""
        if "engine" in vars(self):
            self.engine.dispose()

    def uow(self) -> SqlAlchemyUnitOfWork:
        from store import SqlAlchemyUnitOfWork

        return SqlAlchemyUnitOfWork(self.engine)

    def actor(self) -> Actor:
        from workflow import services

        return services.resolve_actor(self.uow(), os_login(), self.as_officer)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


pass_app = click.make_pass_decorator(App)

#: ``SISTERCITY_DEBUG=1`` lets an unexpected error through with its traceback, for a bug report.
DEBUG_ENV = "SISTERCITY_DEBUG"


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unexpected_error_line(exc: BaseException) -> str:
    """One line for an error no command translated: a file the system refused, text that is not
    UTF-8, or a fault of the program (named, so that it can be reported)."""
    if isinstance(exc, OSError):
        where = exc.filename if isinstance(exc.filename, str) else None
        reason = exc.strerror or type(exc).__name__
        if where:
            return tr(
                "{path}: {reason}; check the path and its permissions, or free some space",
                path=where,
                reason=reason,
            )
        return tr("input/output error: {reason}; check the output's disk or device", reason=reason)
    if isinstance(exc, UnicodeError):
        return tr("text that is not valid UTF-8 was given; retype it or rename the file")
    first = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {first[0]}" if first else type(exc).__name__
    return tr(
        "unexpected error ({detail}); nothing more was done. Run again with {env}=1 for details "
        "and report it",
        detail=detail,
        env=DEBUG_ENV,
    )


def error_line(message: str, exit_code: int = 1, as_json: bool = False) -> None:
    """One line on stderr: ``Error: …`` in the chosen language (a message in both languages
    already says it twice: the word "Error" is said once, in Thai); with ``--json``, one JSON
    object ``{"error": …, "exit_code": …}``."""
    text = " ".join(message.split("\n"))
    if as_json:
        click.echo(
            json.dumps({"error": text, "exit_code": exit_code}, ensure_ascii=False), err=True
        )
        return
    lang = chosen_lang()
    click.echo(tr("Error: {message}", "th" if lang == "both" else lang, message=text), err=True)


class SistercityGroup(Group):
    """The root group: arguments that are not UTF-8 are usage errors, and whatever a command did
    not translate still ends as one line on stderr, never a traceback."""

    group_class = Group  # type: ignore[assignment]  # click types it as "type" only

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:
            if _not_utf8(arg):
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                raise click.UsageError(
                    tr(
                        "'{text}' is not valid UTF-8 text; retype it, or rename the file",
                        text=shown,
                    ),
                    ctx,
                )
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Click's main, except that a usage error is one line too, naming the help to read."""
        use_language(None)
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        argv = kwargs.get("args") or (args[0] if args else None) or sys.argv[1:]
        as_json = "--json" in argv
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            message = exc.format_message().strip()
            if exc.ctx is not None:
                stop = "" if message.endswith((".", "!", "?")) or chosen_lang() != "en" else "."
                where = exc.ctx.command_path + " --help"
                message += stop + " " + tr("See '{help}'.", help=where)
            error_line(message, exc.exit_code, as_json)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            error_line(exc.format_message(), exc.exit_code, as_json)
            sys.exit(exc.exit_code)
        except (click.exceptions.Abort, EOFError, KeyboardInterrupt):
            click.echo(tr("Aborted!"), err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # The reader (``| head``) has gone: stop quietly, as other tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(141) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV) == "1":
                raise
            raise click.ClickException(unexpected_error_line(exc)) from None


def refusals(fn: F) -> F:
    """Turn the library's refusals into one line on stderr and exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with database_errors():
                return fn(*args, **kwargs)
        except refusal_types() as exc:
            from workflow.errors import UsageProblem

            line = render(exc)
            if isinstance(exc, UsageProblem):
                raise click.UsageError(line) from None
            raise click.ClickException(line) from None

    return wrapper  # type: ignore[return-value]


def refusal_types() -> tuple[type[Exception], ...]:
    """The library's refusals; looked up only once something is raised (``states`` loads
    pydantic)."""
    from states import DefinitionError
    from workflow.errors import WorkflowError

    return WorkflowError, DefinitionError


@contextmanager
def database_errors() -> Iterator[None]:
    """``store.database_errors`` for the commands that opened a database; the others (help,
    procedures, keys) never load SQLAlchemy, so they cannot raise its errors."""
    try:
        yield
    except Exception:
        if "store.database" not in sys.modules:
            raise
        from store.database import database_errors as translated

        with translated():
            raise


class ProvinceType(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """A Thai province by ISO code (TH-50), Thai name (เชียงใหม่) or English name (Chiang Mai);
    the value passed on is the code (``states/reference.py``)."""

    name = "province"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "TH-xx|NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from states.aliases import resolve_province

        code = resolve_province(str(value))
        if code is None:
            self.fail(
                tr("unknown province '{value}' (TH-xx, or its Thai or English name)", value=value),
                param,
                ctx,
            )
        return code


PROVINCE = ProvinceType()


class DateType(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.2
    """A day: ISO (2024-03-31, or 2567-03-31 in the Buddhist Era: a year of 2400 or more is
    B.E.) or D/M/YYYY (31/3/2567), through the one parser of typed dates
    (``workflow.partial_dates.parse_day``)."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        from workflow.partial_dates import parse_day

        try:
            return parse_day(str(value))
        except ValueError as exc:
            self.fail(render(exc), param, ctx)


DATE = DateType()


class LibraryChoice(click.Choice):  # type: ignore[type-arg]  # generic only from click 8.2
    """A ``click.Choice`` of values the library defines, imported only when a command parses them
    or shows its help, not when the command line is built."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(())
        self._source = (module, name)
        self._loaded: tuple[str, ...] | None = None

    @property
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            module, name = self._source
            self._loaded = tuple(getattr(import_module(module), name))
        return self._loaded

    @choices.setter
    def choices(self, _value: Iterable[str]) -> None:
        """``click.Choice.__init__`` sets it; the library's values replace it."""


@overload
def open_output(path: str, force: bool) -> TextIO: ...
@overload
def open_output(path: str, force: bool, binary: Literal[True]) -> BinaryIO: ...
def open_output(path: str, force: bool, binary: bool = False) -> TextIO | BinaryIO:
    """Write only where asked, and replace an existing file only with --force."""
    try:
        if binary:
            return open(path, "wb" if force else "xb")
        return open(path, "w" if force else "x", encoding="utf-8", newline="")
    except FileExistsError:
        raise click.ClickException(
            tr("{path} exists; pass --force to replace it", path=path)
        ) from None
    except OSError as exc:
        raise click.ClickException(
            tr("cannot write {path}: {reason}", path=path, reason=exc.strerror)
        ) from None


#: What each kind of audit event is called, and each type of field.
EVENT_WORDS = {
    "open": N_("opened"),
    "transition": N_("step"),
    "denied": N_("refused"),
    "import": N_("imported"),
    "head_export": N_("head export"),
    "officer": N_("officer"),
    "plan": N_("plan"),
    "mechanism": N_("mechanism"),
    "migrate": N_("migration"),
    "settings": N_("settings"),
}
FIELD_TYPE_WORDS = {
    "text": N_("text"),
    "date": N_("date"),
    "reference": N_("reference number"),
    "file": N_("file"),
    "integer": N_("number"),
    "amount": N_("amount"),
    "choice": N_("choice"),
}
_CONTROL = dict.fromkeys([*range(0x20), 0x7F, *range(0x80, 0xA0)])


def safe(text: object) -> str:
    """Stored text as it may reach a terminal: control characters and escape sequences (ESC,
    carriage returns, …) are shown escaped (``\\x1b``), never sent raw."""
    value = str(text)
    if value.isprintable() or not any(ord(c) in _CONTROL for c in value):
        return value  # (printable: no control character, checked at C speed)
    return "".join(
        c.encode("unicode_escape").decode("ascii") if ord(c) in _CONTROL else c for c in value
    )


def both(th: str, en: str, lang: str) -> str:
    """A label in *lang*: Thai, English, or Thai then English."""
    if lang == "th":
        return th
    if lang == "en" or th == en:
        return en
    return f"{th} / {en}"


def display_width(text: str) -> int:
    """Columns *text* takes on a terminal: Thai vowel and tone marks take none."""
    if text.isascii() and text.isprintable():  # one column a character: no tables to load
        return len(text)
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else len(text)


def pad(text: str, width: int) -> str:
    """*text* padded to *width* display columns."""
    return text + " " * max(0, width - display_width(text))


def print_table(rows: Sequence[Sequence[object]], headers: Sequence[str] | None = None) -> None:
    """The one table printer: columns aligned by display width (``เชียงใหม่`` is 7 columns
    wide, not 9 characters), control characters escaped, the last column left ragged."""
    table = [[safe(cell) for cell in row] for row in ([headers] if headers else []) + list(rows)]
    if not table:
        return
    sizes = [[display_width(cell) for cell in row] for row in table]
    widths = [
        max(size[i] for size in sizes if i < len(size))
        for i in range(max(len(row) for row in table))
    ]
    lines = []
    for row, size in zip(table, sizes, strict=True):
        last = len(row) - 1
        cells = [
            cell if i == last else cell + " " * (widths[i] - size[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    click.echo("\n".join(lines))  # one write: a list of thousands prints at once


@contextmanager
def progress_bar(label: str, quiet: bool = False) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on stderr when it is a terminal; ``None`` (no bar) when
    output goes to a file or a pipe, or with ``--json``."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bars: list[Any] = []
    shown = [0]

    def report(done: int, total: int) -> None:
        if not bars:
            bar: Any = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            bars.append(bar.__enter__())
        bars[0].update(done - shown[0])
        shown[0] = done

    try:
        yield report
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)


def nothing_found(message: str) -> None:
    """An empty result said in words, on stderr (stdout stays empty for scripts); exit 0."""
    click.echo(tr(message), err=True)


def province_label(code: str, lang: str) -> str:
    """A province by name in *lang* (the code where unknown)."""
    from states.reference import PROVINCES

    names = PROVINCES.get(code)
    if names is None:
        return code
    return both(names[0], names[1], lang)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def record_dict(r: AuditRecord) -> dict[str, Any]:
    d = asdict(r)
    d["occurred_at"] = r.occurred_at.isoformat()
    d["fields"] = dict(r.fields)
    return d


def receipt_of(r: AuditRecord) -> Receipt:
    from workflow.receipts import Receipt

    return Receipt.of(r)


def receipted(r: AuditRecord) -> dict[str, Any]:
    """A record as JSON, with its receipt."""
    return {**record_dict(r), "receipt": receipt_of(r).as_dict()}


def case_dict(c: Case) -> dict[str, Any]:
    from workflow.model import actors_of

    d = asdict(c)
    d["opened_at"] = c.opened_at.isoformat()
    d["state_since"] = c.state_since.isoformat()
    d["trigger_actors"] = {k: list(actors_of(v)) for k, v in c.trigger_actors.items()}
    return d


def _field_text(value: Any, lang: str = "en") -> str:
    """A field's value as shown: a document by name and hash; a day in the Buddhist Era in
    Thai."""
    if isinstance(value, dict) and "sha256" in value:
        return f"{value.get('name', '')} (sha256 {str(value['sha256'])[:12]}…)"
    if lang == "th" and isinstance(value, str) and len(value) == 10 and value[4] == "-":
        from workflow.thaidate import format_date

        try:
            return format_date(dt.date.fromisoformat(value), "th")
        except ValueError:
            return value
    return str(value)


# ---------------------------------------------------------------------- root
@click.group(cls=SistercityGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="SISTERCITY_DB",
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite file or SQLAlchemy URL (env SISTERCITY_DB).",
)
@click.option(
    "--as",
    "as_officer",
    envvar="SISTERCITY_OFFICER",
    default=None,
    help="Act as this officer; training databases only (env SISTERCITY_OFFICER).",
)
@click.option(
    "--procedures",
    envvar=PROCEDURES_ENV,
    default=None,
    type=click.Path(file_okay=False),
    help=f"Procedure files (NAME/vN.toml) beside the shipped ones (env {PROCEDURES_ENV}).",
)
@click.version_option(package_name="sistercity")
@click.option(
    "--lang",
    type=LANGS,
    default=None,
    is_eager=True,
    expose_value=False,
    callback=_lang_option,
    help=LANG_HELP,
)
@click.pass_context
def cli(ctx: click.Context, db: str, as_officer: str | None, procedures: str | None) -> None:
    """sistercity: sister-city (เมืองพี่เมืองน้อง) proposals as audited workflows."""
    if procedures:
        os.environ[PROCEDURES_ENV] = procedures
    app = ctx.obj = App(db, as_officer)
    ctx.call_on_close(app.close)


@cli.command()
@click.option("--training", is_flag=True, help="Create a training database (allows --as).")
@pass_app
@refusals
def init(app: App, training: bool) -> None:
    """Create or upgrade the database; safe to run again."""
    from store import init_database

    app.creating = True
    result = init_database(app.engine, training=training)
    what = (
        N_("created")
        if result.created
        else N_("upgraded")
        if result.upgraded_from
        else N_("up to date")
    )
    kind = N_("training") if result.training else N_("production")
    click.echo(
        tr(
            "{db}: {what} at revision {revision} ({kind}, log {log})",
            db=app.db,
            what=Text(what),
            revision=result.revision,
            kind=Text(kind),
            log=result.log_id,
        )
    )


@cli.command()
@click.option(
    "--db",
    "demo_db",
    default="sistercity-demo.db",
    show_default=True,
    help="Training database to (re)build.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@click.option("--lang", type=LANGS, default="both", show_default=True)
@refusals
def demo(demo_db: str, as_json: bool, lang: str) -> None:
    """Build a training database and walk a real proposal from draft to active."""
    from store.demo import build_demo

    case, history = build_demo(demo_db)
    if as_json:
        emit_json({"case": case_dict(case), "history": [record_dict(r) for r in history]})
        return
    click.echo(
        tr(
            "Training database {db}: case {reference}, {province} – {partner} ({country}), "
            "now '{state}'.",
            db=demo_db,
            reference=case.reference,
            province=case.province,
            partner=case.partner_name,
            country=case.partner_country,
            state=case.state,
        )
        + "\n"
    )
    print_history(history, lang)
    click.echo(
        "\n"
        + tr(
            "Try: {command}",
            command=f"sistercity --db {demo_db} --as somchai case actions {case.reference}",
        )
    )


# ---------------------------------------------------------------------- officers
@cli.group()
def officer() -> None:
    """Register and list officers."""


class RolesOption(click.Option):
    """``--role``: its help lists the roles the definitions declare, read only for the help."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        from workflow.officers import officer_roles

        try:
            roles = ", ".join(sorted(officer_roles()))
        except Exception:  # a broken procedures folder must not break the help
            return record
        return record[0], f"{record[1]} Roles: {roles}."


@officer.command("add")
@click.argument("officer_id")
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    cls=RolesOption,
    help="Repeat for several roles.",
)
@click.option("--province", type=PROVINCE, default=None, help="The province of provincial roles.")
@click.option("--os-user", default=None, help="The OS login this officer works under.")
@click.option("--pg-login", default=None, help="The PostgreSQL login this officer connects with.")
@click.option("--deputy", is_flag=True, help="A deputy governor (signs with a delegation order).")
@pass_app
@refusals
def officer_add(
    app: App,
    officer_id: str,
    name: str,
    roles: tuple[str, ...],
    province: str | None,
    os_user: str | None,
    pg_login: str | None,
    deputy: bool,
) -> None:
    """Register an officer (after the first admin exists, only an admin may)."""
    from workflow import services
    from workflow.model import Actor

    by = _optional_actor(app)
    new = Actor(officer_id, name, frozenset(roles), province, os_user, deputy, pg_login=pg_login)
    services.add_officer(app.uow(), new, by, app.now())
    click.echo(tr("officer {id} added: {roles}", id=officer_id, roles=", ".join(sorted(roles))))


def _optional_actor(app: App) -> Actor | None:
    from workflow.errors import WorkflowError

    try:
        return app.actor()
    except WorkflowError:
        if app.as_officer:
            raise
        return None


@officer.command("update")
@click.argument("officer_id")
@click.option("--name", default=None, help="The officer's new name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    cls=RolesOption,
    help="The officer's roles from now on (repeat; replaces all).",
)
@click.option("--province", type=PROVINCE, default=None, help="The province of provincial roles.")
@click.option("--no-province", is_flag=True, help="Remove the province (national roles only).")
@click.option("--os-user", default=None, help="The OS login this officer works under now.")
@click.option("--no-os-user", is_flag=True, help="Remove the OS login.")
@click.option("--pg-login", default=None, help="The PostgreSQL login they connect with now.")
@click.option("--no-pg-login", is_flag=True, help="Remove the PostgreSQL login.")
@click.option("--deputy/--not-deputy", default=None, help="A deputy governor, or no longer one.")
@pass_app
@refusals
def officer_update(
    app: App,
    officer_id: str,
    name: str | None,
    roles: tuple[str, ...],
    province: str | None,
    no_province: bool,
    os_user: str | None,
    no_os_user: bool,
    pg_login: str | None,
    no_pg_login: bool,
    deputy: bool | None,
) -> None:
    """Change an officer's name, roles, province, logins or deputy flag (an admin only)."""
    from workflow.officers import update_officer

    if (province and no_province) or (os_user and no_os_user) or (pg_login and no_pg_login):
        raise click.UsageError(tr("give a new value or remove it, not both"))
    changed = update_officer(
        app.uow(),
        officer_id,
        app.actor(),
        app.now(),
        name=name,
        roles=frozenset(roles) if roles else None,
        province=province.upper() if province else None,
        clear_province=no_province,
        os_user=os_user,
        clear_os_user=no_os_user,
        deputy=deputy,
        pg_login=pg_login,
        clear_pg_login=no_pg_login,
    )
    click.echo(
        tr(
            "officer {id} updated: {roles}; {scope}; OS login {login}; PostgreSQL login {pg}",
            id=changed.id,
            roles=", ".join(sorted(changed.roles)),
            scope=changed.province or Text(N_("national")),
            login=changed.os_user or "-",
            pg=changed.pg_login or "-",
        )
    )


@officer.command("retire")
@click.argument("officer_id")
@pass_app
@refusals
def officer_retire(app: App, officer_id: str) -> None:
    """Retire an officer: no step from now on; history keeps their name (an admin only)."""
    from workflow.officers import retire_officer

    retired = retire_officer(app.uow(), officer_id, app.actor(), app.now())
    click.echo(tr("officer {id} retired", id=retired.id))


@officer.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def officer_list(app: App, as_json: bool) -> None:
    """List registered officers."""
    with app.uow() as uow:
        officers = uow.officers.list()
    if as_json:
        emit_json([{**asdict(o), "roles": sorted(o.roles)} for o in officers])
        return
    for o in officers:
        scope = o.province or tr("national")
        retired = "  " + tr("(retired)") if o.retired else ""
        click.echo(
            f"{o.id:16} {', '.join(sorted(o.roles)):28} {scope:8} {o.os_user or '-':12} "
            f"{o.pg_login or '-':12} {o.name}{retired}"
        )


@cli.command()
@pass_app
@refusals
def whoami(app: App) -> None:
    """Show the officer this command acts as."""
    a = app.actor()
    scope = a.province or Text(N_("national"))
    vouched = app.db.startswith("postgresql") and a.pg_login and a.pg_login == a.os_user
    login = (
        tr("PostgreSQL login {login}", login=a.pg_login)
        if vouched
        else tr("OS login {login}", login=a.os_user)
    )
    click.echo(
        tr(
            "{id} ({roles}; {scope}) as {login}",
            id=a.id,
            roles=", ".join(sorted(a.roles)),
            scope=scope,
            login=login,
        )
    )


# ---------------------------------------------------------------------- cases
@cli.group()
def case() -> None:
    """Open, inspect and advance sister-city cases."""


@case.command("open")
@click.option(
    "--province", type=PROVINCE, required=True, help="Thai province: TH-50, เชียงใหม่ or Chiang Mai."
)
@click.option("--partner", required=True, help="Partner local government's name.")
@click.option("--country", required=True, help="Partner country, ISO 3166-1 alpha-2.")
@click.option("--level", required=True, help="Partner's level: city, province, state, …")
@click.option(
    "--instrument",
    default="MOU",
    show_default=True,
    type=LibraryChoice("workflow.services", "INSTRUMENTS"),
)
@click.option(
    "--label",
    default="sister",
    show_default=True,
    type=LibraryChoice("workflow.services", "LABELS"),
)
@click.option("--note", default="")
@click.option("--procedure", default=None, help="Procedure name (default: provincial).")
@click.option("--version", "version", type=int, default=None, help="Version (default: newest).")
@click.option(
    "--party-level",
    default=None,
    help="The Thai party's level, for procedures whose Thai party is not the province "
    "(e.g. a municipality; the levels: 'procedure show --json').",
)
@click.option("--party-name", default=None, help="The Thai party's name, e.g. เทศบาลนครเชียงราย.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def case_open(
    app: App,
    province: str,
    partner: str,
    country: str,
    level: str,
    instrument: str,
    label: str,
    note: str,
    procedure: str | None,
    version: int | None,
    party_level: str | None,
    party_name: str | None,
    as_json: bool,
) -> None:
    """Open a new proposal in its first step."""
    from workflow import services
    from workflow.model import NewCase

    new = NewCase(
        province.upper(), partner, country, level, instrument, label, party_level, party_name
    )
    kwargs: dict[str, Any] = {"version": version}
    if procedure:
        kwargs["procedure"] = procedure
    opened, record = services.open_case_recorded(
        app.uow(), app.actor(), new, app.now(), note, **kwargs
    )
    if as_json:
        emit_json({**case_dict(opened), "receipt": receipt_of(record).as_dict()})
    else:
        click.echo(
            tr("{reference} opened in '{state}'", reference=opened.reference, state=opened.state)
        )
        click.echo(receipt_of(record).line())


@case.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=LANGS, default="both", show_default=True)
@pass_app
@refusals
def case_show(app: App, reference: str, as_json: bool, lang: str) -> None:
    """Show a case and where it stands."""
    from states import load_procedure
    from workflow.deadlines import time_in_step
    from workflow.nextsteps import next_steps
    from workflow.thaidate import format_moment, local_date

    found, steps = next_steps(app.uow(), _optional_actor(app), reference, app.now())
    if as_json:
        emit_json({**case_dict(found), "next_steps": [s.as_dict() for s in steps]})
        return
    definition = load_procedure(found.procedure, found.version).definition
    state = definition.state(found.state)
    words = lang  # labels: Thai, English, or Thai then English
    step = time_in_step(found, local_date(app.now()))

    def since_in(one: str) -> str:
        """Since when, in one language: B.E. in Thai."""
        text = format_moment(found.state_since, one)
        if step is None:
            return text
        late = step.days - step.expected_days
        days = {"days": step.days, "expected": step.expected_days, "late": late}
        return (
            f"{text} "
            + tr("({days} days; expected within {expected}; OVERDUE by {late} days)", one, **days)
            if late > 0
            else f"{text} " + tr("({days} days; expected within {expected})", one, **days)
        )

    def opened_in(one: str) -> str:
        when = format_moment(found.opened_at, one)
        return tr("{when} by {officer}", one, when=when, officer=found.opened_by)

    since = both(since_in("th"), since_in("en"), lang)
    opened = both(opened_in("th"), opened_in("en"), lang)
    province = found.province if lang == "en" else province_label(found.province, lang)
    rows = [
        (tr("reference", words), found.reference),
        (tr("province", words), province),
        (
            tr("partner", words),
            f"{found.partner_name} ({found.partner_country}, {found.partner_level})",
        ),
        (tr("instrument", words), f"{found.instrument}, {found.label}"),
        (tr("state", words), f"{found.state}: {state.label.text(lang)}"),
        (tr("since", words), since),
        (
            tr("procedure", words),
            tr(
                "{procedure} v{version} ({sha})",
                words,
                procedure=found.procedure,
                version=found.version,
                sha=found.definition_sha256[:12],
            ),
        ),
        (tr("opened", words), opened),
    ]
    print_table(rows)
    click.echo(tr("next steps", lang) + ":")
    print_next_steps(steps, lang)


@case.command("list")
@click.option("--province", type=PROVINCE, default=None)
@click.option("--state", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def case_list(app: App, province: str | None, state: str | None, as_json: bool) -> None:
    """List cases, optionally of one province or in one state."""
    from workflow import services

    cases = services.list_cases(app.uow(), province, state)
    if as_json:
        emit_json([case_dict(c) for c in cases])
        return
    if not cases:
        nothing_found(N_("no cases match"))
        return
    lang = chosen_lang()
    print_table(
        [
            (
                c.reference,
                c.province if lang == "en" else province_label(c.province, lang),
                c.state,
                f"{c.partner_name} ({c.partner_country})",
            )
            for c in cases
        ]
    )


@case.command("actions")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=LANGS, default="both", show_default=True)
@pass_app
@refusals
def case_actions(app: App, reference: str, as_json: bool, lang: str) -> None:
    """Who acts next: every step from the case's state, who may take it, what it needs, and
    whether you may."""
    from workflow.nextsteps import next_steps

    _case, steps = next_steps(app.uow(), _optional_actor(app), reference, app.now())
    if as_json:
        emit_json([s.as_dict() for s in steps])
        return
    print_next_steps(steps, lang)


def print_next_steps(steps: Sequence[NextStep], lang: str) -> None:
    """The next steps, one block each (``case actions``, ``case show``): who may take each, what
    it needs, and whether the asking officer may. Stored text is escaped."""
    from workflow.nextsteps import GAP, NOTHING

    words = "th" if lang == "th" else "en"
    if not steps:
        click.echo(tr("no next step (final state)", lang))
    for s in steps:
        dest = both(s.dest_label_th, s.dest_label_en, lang) if s.dest else "?"
        label = both(s.label_th, s.label_en, lang)
        click.echo(f"{s.trigger} → {s.dest or '?'} ({safe(dest)})   {safe(label)}")
        own = ", " + tr("own province", words)
        roles = ", ".join(
            f"{r.id} ({both(r.label_th, r.label_en, lang)}{own if r.scoped else ''})"
            for r in s.roles
        )
        click.echo("    " + tr("roles: {roles}", words, roles=roles))
        if s.gap:
            click.echo("    " + tr("officers: none: {why}", words, why=both(*GAP, lang)))
        else:
            officers = ", ".join(
                tr("{id} ({name}, as {role})", words, id=o.id, name=safe(o.name), role=o.role)
                for o in s.officers
            )
            click.echo("    " + tr("officers: {officers}", words, officers=officers))
        for f in s.fields:
            need = tr("required", words) if f.required else tr("optional", words)
            kind = tr(FIELD_TYPE_WORDS.get(f.type, f.type), words) if words == "th" else f.type
            if f.choices:
                kind = f"{kind}: {'|'.join(f.choices)}"
            flag = f"--doc {f.name}=PATH" if f.document else f"-f {f.name}=…"
            field = both(f.label_th, f.label_en, lang)
            click.echo(f"    {flag}   {kind}, {need}: {safe(field)}")
        if s.note_required:
            click.echo("    --note …   " + tr("required", words))
        if not s.fields and not s.note_required:
            click.echo("    " + tr("needs: {what}", words, what=both(*NOTHING, lang)))
        for g in s.failing_guards:
            click.echo("    " + tr("rule not met now: {rule}", words, rule=g))
        if s.may_take:
            click.echo("    " + tr("you: may take it, as {role}", words, role=s.role))
        elif s.why_not:
            click.echo(
                "    "
                + tr("you: may not ({refusal}): {why}", words, refusal=s.refusal, why=s.why_not)
            )


def _size(value: str | None) -> str | None:
    """A document size (20MB, 500KB, bytes), checked as the option is read: exit 2 if bad."""
    if value is None:
        return None
    from workflow.documents import parse_size
    from workflow.errors import WorkflowError

    try:
        parse_size(value)
    except WorkflowError as exc:
        raise click.BadParameter(render(exc)) from None
    return value


def _parse_fields(values: Sequence[str], hint: str = "-f/--field") -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(tr("'{item}' is not NAME=VALUE", item=item), param_hint=hint)
        fields[name.strip()] = value
    return fields


@case.command("advance")
@click.argument("references", nargs=-1, required=True, metavar="REFERENCE... TRIGGER")
@click.argument("trigger")
@click.option(
    "-f",
    "--field",
    "field_values",
    multiple=True,
    help="NAME=VALUE; a document is NAME=PATH (recorded by SHA-256).",
)
@click.option(
    "--doc",
    "doc_values",
    multiple=True,
    help="NAME=PATH: a document recorded by SHA-256 and its contents kept (stored once).",
)
@click.option("--note", default="", help="Why; required by some steps.")
@click.option(
    "--keep-documents",
    is_flag=True,
    help="Also store the documents' contents (not only their SHA-256), for 'document get'.",
)
@click.option(
    "--keep-up-to",
    default=None,
    callback=lambda _c, _p, v: _size(v),
    help="Keep documents up to this size (default SISTERCITY_KEEP_UP_TO, else 20MB).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def case_advance(
    app: App,
    references: tuple[str, ...],
    trigger: str,
    field_values: tuple[str, ...],
    doc_values: tuple[str, ...],
    note: str,
    keep_documents: bool,
    keep_up_to: str | None,
    as_json: bool,
) -> None:
    """Move one case, or several at once by one decision, a step: TRIGGER is a step name
    from 'case actions'. With several cases it is all or nothing."""
    from workflow import services

    fields: dict[str, Any] = dict(_parse_fields(field_values))
    docs_given = _parse_fields(doc_values, "--doc")
    fields.update(docs_given)
    documents: Sequence[tuple[Any, bytes]] = ()
    if keep_documents or keep_up_to or docs_given:
        from workflow import documents as docs

        kept = docs.keep_documents(
            app.uow(),
            references[0],
            fields,
            docs.keep_limit(keep_up_to),
            None if keep_documents or keep_up_to else set(docs_given),
        )
        fields, documents = kept.fields, kept.documents
        for name, file_name, size in kept.too_large:
            click.echo(
                tr(
                    "{field}: {file} ({size} bytes) recorded by hash only",
                    field=name,
                    file=file_name,
                    size=f"{size:,}",
                ),
                err=True,
            )
    records = services.advance_cases(
        app.uow(), app.actor(), references, trigger, fields, note, app.now(), documents
    )
    if as_json:
        emit_json([receipted(r) for r in records] if len(records) > 1 else receipted(records[0]))
        return
    for record in records:
        click.echo(
            tr(
                "{reference}: {source} → {dest} (audit #{seq})",
                reference=record.case_reference,
                source=record.source,
                dest=record.dest,
                seq=record.seq,
            )
        )
        click.echo(receipt_of(record).line())


@case.command("migrate")
@click.argument("references", nargs=-1)
@click.option("--to-version", type=int, required=True, help="The version to move to.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    help="OLD=NEW: the state a state without a counterpart goes to (repeatable).",
)
@click.option("--all", "all_cases", is_flag=True, help="Every case of --from-version.")
@click.option("--from-version", type=int, default=None, help="With --all: the version left.")
@click.option("--state", default=None, help="With --all: only cases in this state.")
@click.option("--procedure", default="provincial", show_default=True, help="With --all.")
@click.option("--dry-run", is_flag=True, help="List what would move; write nothing.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def case_migrate(
    app: App,
    references: tuple[str, ...],
    to_version: int,
    maps: tuple[str, ...],
    all_cases: bool,
    from_version: int | None,
    state: str | None,
    procedure: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Move cases to another version of their procedure, all or none, each audited."""
    from workflow import services
    from workflow.migration import migrate_cases

    if all_cases == bool(references):
        raise click.UsageError(tr("name the cases to migrate, or give --all --from-version N"))
    if all_cases and from_version is None:
        raise click.UsageError(tr("--all needs --from-version N"))
    mapping = _parse_pairs(maps, "--map")
    if references:
        found = services.get_case(app.uow(), references[0])
        procedure = found.procedure
    plans = migrate_cases(
        app.uow(),
        app.actor(),
        procedure=procedure,
        to_version=to_version,
        now=app.now(),
        references=references,
        from_version=from_version,
        state=state,
        mapping=mapping,
        dry_run=dry_run,
    )
    if as_json:
        emit_json([asdict(p) for p in plans])
        return
    verb = N_("would move") if dry_run else N_("moved")
    for p in plans:
        audit = " " + tr("(audit #{seq})", seq=p.audit_seq) if p.audit_seq else ""
        click.echo(
            tr(
                "{reference}: {verb} {procedure} v{version} '{source}' → v{to_version} '{dest}'",
                reference=p.reference,
                verb=Text(verb),
                procedure=p.procedure,
                version=p.from_version,
                source=p.source,
                to_version=p.to_version,
                dest=p.dest,
            )
            + audit
        )


def _parse_pairs(values: Sequence[str], hint: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(tr("'{item}' is not OLD=NEW", item=item), param_hint=hint)
        pairs[name.strip()] = value.strip()
    return pairs


def print_history(history: Iterable[AuditRecord], lang: str) -> None:
    """One line per event, its fields and note under it; in Thai, the kind of event in words
    and dates in the Buddhist Era. Stored text is escaped, never sent raw to the terminal."""
    from workflow.thaidate import format_moment

    words = "th" if lang == "th" else "en"
    shown = False
    for r in history:
        shown = True
        if r.dest:
            move = f"{r.source or '∅'} → {r.dest}"
        elif r.kind == "denied":
            move = f"{r.source} " + tr("(refused)", words)
        else:  # a record that leaves the case where it was: a plan, a letter
            move = f"{r.source}"
        who = f"{r.actor_id}" + (f" [{r.actor_role}]" if r.actor_role else "")
        kind = tr(EVENT_WORDS.get(r.kind, r.kind), words) if words == "th" else r.kind
        by = tr("by {officer}", words, officer=f"{who} ({r.os_user or '-'})")
        click.echo(
            f"#{r.seq:<4} {format_moment(r.occurred_at, words)}  {pad(kind, 10)} "
            f"{pad(r.trigger or '', 24)} {safe(move)}  {safe(by)}"
        )
        for name, value in r.fields.items():
            click.echo(f"        {safe(name)}: {safe(_field_text(value, words))}")
        if r.note:
            note = tr("note", words)
            click.echo(f"        {note}: {safe(r.note)}")
    if not shown:
        nothing_found(N_("no events match"))


@case.command("history")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--lang", type=LANGS, default="en", show_default=True, help="th shows Buddhist Era dates."
)
@pass_app
@refusals
def case_history(app: App, reference: str, as_json: bool, lang: str) -> None:
    """Every audit event of a case, in order, with officer, role, time and fields."""
    from workflow import services

    _, history = services.case_history(app.uow(), reference)
    if as_json:
        emit_json([record_dict(r) for r in history])
    else:
        print_history(history, lang)


# ---------------------------------------------------------------------- documents
@cli.group()
def document() -> None:
    """Stored documents (activity evidence, plans, mechanism orders), by SHA-256."""


@document.command("get")
@click.argument("sha256")
@click.option("-o", "--output", default="-", show_default=True, help="File to write; - is stdout.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@pass_app
@refusals
def document_get(app: App, sha256: str, output: str, force: bool) -> None:
    """Write a stored document, after checking its bytes against its SHA-256."""
    from workflow import services

    content = services.get_document(app.uow(), sha256)
    if output == "-":
        sys.stdout.buffer.write(content)
        return
    with open_output(output, force, binary=True) as fh:
        fh.write(content)
    click.echo(tr("wrote {path} ({size} bytes)", path=output, size=f"{len(content):,}"), err=True)


# ---------------------------------------------------------------------- procedures
@cli.group()
def procedure() -> None:
    """Inspect and check procedure definitions."""


@procedure.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every version's whole definition.")
@refusals
def procedure_list(as_json: bool) -> None:
    """Procedures (shipped and from --procedures) and their versions."""
    from states import available_procedures, load_procedure

    if as_json:
        from states.export import definition_dict

        emit_json(
            [
                definition_dict(load_procedure(name, v))
                for name, versions in available_procedures().items()
                for v in versions
            ]
        )
        return
    for name, versions in available_procedures().items():
        click.echo(
            tr("{name}: versions {versions}", name=name, versions=", ".join(map(str, versions)))
        )


@procedure.command("show")
@click.option("--procedure", "name", default="provincial", show_default=True)
@click.option("--version", "version", type=int, default=None)
@click.option("--lang", type=LANGS, default="both", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The whole definition, for other tools.")
@refusals
def procedure_show(name: str, version: int | None, lang: str, as_json: bool) -> None:
    """The steps of a procedure version, with roles and settings."""
    from states import load_procedure

    loaded = load_procedure(name, version)
    if as_json:
        from states.export import definition_dict

        emit_json(definition_dict(loaded))
        return
    d = loaded.definition
    click.echo(
        tr(
            "{title} — {procedure} v{version}, from {day}, sha256 {sha256}",
            title=d.title.text(lang),
            procedure=d.procedure,
            version=d.version,
            day=d.effective_from,
            sha256=loaded.sha256[:12],
        )
    )
    for line in d.settings.describe():
        click.echo("  " + tr("setting: {text}", text=line.text(lang)))
    for t in d.active_transitions:
        click.echo(f"  {t.trigger:30} {','.join(t.source)} → {t.dest}   [{', '.join(t.roles)}]")


@procedure.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@refusals
def procedure_check(path: str) -> None:
    """Check a definition file: references, reachability, traps, ambiguity, roles."""
    from states import InvalidDefinition, load_file
    from states.letters import load_letters
    from workflow.effects import code_problems

    loaded = load_file(path)
    d = loaded.definition
    problems = code_problems(d)
    if problems:
        raise InvalidDefinition(
            N_("{origin}: {problems}"), origin=path, problems="; ".join(problems)
        )
    book = load_letters(d, path)
    letters = "; " + tr("{count} letters", count=len(book.letters)) if book is not None else ""
    click.echo(
        tr(
            "{path}: ok — {procedure} v{version}, {states} states, {transitions} transitions, "
            "sha256 {sha256}",
            path=path,
            procedure=d.procedure,
            version=d.version,
            states=len(d.states),
            transitions=len(d.active_transitions),
            sha256=loaded.sha256[:12],
        )
        + letters
    )


# ---------------------------------------------------------------------- sections added below


# ---------------------------------------------------------------------- audit (auditors)
# Imports live in the functions: this section is appended to a file others edit, and keeping it
# self-contained avoids touching the shared import block.
@cli.group()
def audit() -> None:
    """Auditors: verify the chained log, export its signed head, read and export it."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A head export (FILE, with FILE.sig next to it); repeatable.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The trusted public key (PEM) the checkpoints must be signed with.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def audit_verify(
    app: App, checkpoints: tuple[str, ...], key_file: str | None, as_json: bool
) -> None:
    """Re-derive every hash, link, sequence number and state; read-only.

    Exit 0 intact, 1 integrity failure, 3 inconsistent with a checkpoint.
    """
    from store.checkpoint import load_public_key
    from store.verify import verify_database

    if checkpoints and key_file is None:
        raise click.UsageError(
            tr(
                "--checkpoint needs --key PUB: a signature checked only against a key named in "
                "the file itself proves nothing"
            )
        )
    key = load_public_key(key_file) if key_file else None
    with progress_bar(tr("verifying"), as_json) as progress:
        result = verify_database(app.engine, checkpoints, key, progress=progress)
    if as_json:
        emit_json(result.as_dict())
    else:
        verdict = {
            0: N_("intact"),
            1: N_("INTEGRITY FAILURE"),
            3: N_("INCONSISTENT WITH A CHECKPOINT"),
        }
        click.echo(
            tr(
                "audit log {log}: {records} records, {cases} cases, head {head}",
                log=result.log_id,
                records=result.records,
                cases=result.cases,
                head=result.head,
            )
        )
        for c in result.checkpoints:
            click.echo(
                tr(
                    "checkpoint {path}: {verdict} — {detail}",
                    path=c.path,
                    verdict=Text(N_("ok") if c.ok else N_("FAILED")),
                    detail=c.detail,
                )
            )
        for p in result.problems:
            click.echo("  " + render(p.line()))
        if result.more_problems:
            click.echo("  " + tr("… and {count} more problems", count=result.more_problems))
        for w in result.warnings:
            click.echo(tr("warning: {warning}", warning=w))
        first = result.first_bad_seq
        click.echo(
            tr(verdict[result.exit_code])
            + (" " + tr("(first bad record #{seq})", seq=first) if first else "")
        )
    raise SystemExit(result.exit_code)


@audit.command("head")
@click.option(
    "--sign",
    "key_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Sign with this Ed25519 private key (from 'audit keygen').",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the export to FILE (and its signature to FILE.sig).",
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@pass_app
@refusals
def audit_head(app: App, key_file: str | None, output: str | None, force: bool) -> None:
    """Export the current head (log, size, hash, time, who) as canonical JSON, signed.

    The export is itself an audit event; the document describes the log just before it.
    """
    import base64

    from store.audit import export_head
    from store.checkpoint import check_export_target, load_private_key, write_export

    key = load_private_key(key_file) if key_file else None
    if output:
        check_export_target(output, force)
    export = export_head(app.engine, app.actor(), app.now(), key)
    click.echo(export.document.memo_line())
    if output:
        written = write_export(output, export.document, export.signature, force)
        click.echo(
            tr(
                "wrote {paths} (export is audit #{seq})",
                paths=", ".join(str(p) for p in written),
                seq=export.event_seq,
            )
        )
    else:
        click.echo(export.document.canonical().decode("utf-8"))
        if export.signature is not None:
            click.echo("signature " + base64.b64encode(export.signature).decode("ascii"))


@audit.group("receipt")
def audit_receipt() -> None:
    """Officers' receipts of their steps."""


@audit_receipt.command("check")
@click.argument("receipt")
@click.option(
    "--head",
    "head_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A signed head export ('audit head --sign', FILE.sig next to it) at least as new as "
    "the record: proves the log was not rewritten since.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False),
    help="The trusted public key (PEM) the head must be signed with.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def audit_receipt_check(
    app: App, receipt: str, head_file: str | None, key_file: str | None, as_json: bool
) -> None:
    """Prove a step's record is still in the log, unchanged.

    RECEIPT is a file holding the receipt line (or a step's --json output), the receipt line
    itself, or - for stdin. Exit 0 intact, 1 record missing or changed, 3 the log was rewritten
    after the signed head (or the head cannot be trusted), 2 a usage error.
    """
    from store.receipts import check_receipt
    from workflow.receipts import ReceiptUnreadable, parse_receipt

    if head_file and key_file is None:
        raise click.UsageError(
            tr(
                "--head needs --key PUB: a signature checked only against a key named in the "
                "file itself proves nothing"
            )
        )
    if receipt == "-":
        text = sys.stdin.read()
    elif os.path.isfile(receipt):
        try:
            with open(receipt, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                tr("cannot read {path}: {reason}", path=receipt, reason=exc)
            ) from None
    else:
        text = receipt
    key = None
    if key_file:
        from store.checkpoint import load_public_key

        key = load_public_key(key_file)
    try:
        given = parse_receipt(text)
    except ReceiptUnreadable as exc:
        raise click.BadParameter(render(exc), param_hint="RECEIPT") from None
    result = check_receipt(app.engine, given, head_file, key)
    if as_json:
        emit_json(result.as_dict())
    else:
        for line in result.findings:
            click.echo(render(line))
        verdict = {
            0: N_("receipt holds"),
            1: N_("TAMPERED"),
            2: N_("NOT CHECKED"),
            3: N_("LOG REWRITTEN"),
        }
        click.echo(tr(verdict[result.exit_code]))
    raise SystemExit(result.exit_code)


@audit.command("keygen")
@click.option(
    "-o",
    "--output",
    "prefix",
    default="sistercity-audit",
    show_default=True,
    help="Writes PREFIX.key (private, mode 0600) and PREFIX.pub.",
)
@refusals
def audit_keygen(prefix: str) -> None:
    """Make an Ed25519 key pair for signing head exports; never overwrites."""
    from store.checkpoint import generate_keypair

    private, public, fp = generate_keypair(prefix)
    click.echo(
        tr(
            "private key {private} (keep it secret), public key {public}, fingerprint "
            "{fingerprint}",
            private=private,
            public=public,
            fingerprint=fp,
        )
    )


@audit.command("log")
@click.option("--case", "case_ref", default=None)
@click.option("--officer", default=None, help="Officer id (the actor of the event).")
@click.option("--province", type=PROVINCE, default=None, help="Cases of this province.")
@click.option("--trigger", default=None)
@click.option("--since", type=DATE, default=None, help="First day (C.E. or B.E.).")
@click.option("--until", type=DATE, default=None, help="Last day (C.E. or B.E.).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, streamed.")
@click.option("--lang", type=LANGS, default="en", show_default=True)
@pass_app
@refusals
def audit_log(
    app: App,
    case_ref: str | None,
    officer: str | None,
    province: str | None,
    trigger: str | None,
    since: dt.date | None,
    until: dt.date | None,
    as_json: bool,
    lang: str,
) -> None:
    """Audit events, filtered; dates are Bangkok days, inclusive."""
    from store.audit import LogFilter, iter_log

    flt = LogFilter(
        case_ref,
        officer,
        province,
        trigger,
        since,
        until,
    )
    records = iter_log(app.engine, flt)
    if not as_json:
        print_history(records, lang)
        return
    click.echo("[", nl=False)
    for i, r in enumerate(records):
        text = json.dumps(record_dict(r), ensure_ascii=False, default=str)
        click.echo(("," if i else "") + "\n  " + text, nl=False)
    click.echo("\n]")


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@pass_app
@refusals
def audit_export(app: App, fmt: str, output: str | None, force: bool) -> None:
    """Every audit record with its hashes, streamed, for re-verification by any tool."""
    from typing import Literal, cast

    from store.audit import export_log

    chosen = cast(Literal["csv", "jsonl"], fmt)
    if output is None:
        export_log(app.engine, chosen, sys.stdout)
        return
    with open_output(output, force) as out, progress_bar(tr("exporting")) as progress:
        count = export_log(app.engine, chosen, out, progress)
    click.echo(tr("wrote {count} records to {path}", count=count, path=output), err=True)


# ---------------------------------------------------------------------- diagrams
def diagram_options(fn: F) -> F:
    """The options both diagram commands share."""
    for option in reversed(
        (
            click.option("--lang", default="both", show_default=True, help="th, en or both."),
            click.option(
                "--format",
                "fmt",
                default="svg",
                show_default=True,
                help="svg, png, pdf or dot (dot needs no Graphviz).",
            ),
            click.option("--roles", is_flag=True, help="Show who may take each step."),
            click.option("--font", default=None, help="A Thai-capable font family."),
            click.option(
                "-o",
                "--output",
                default=None,
                help="File to write; - for stdout (the default for svg and dot).",
            ),
            click.option("--force", is_flag=True, help="Replace an existing output file."),
        )
    ):
        fn = option(fn)
    return fn


@contextmanager
def drawing() -> Iterator[Any]:
    """The diagrams package, loaded only by the commands that draw (graphviz is slow to import),
    with its refusals turned into one line and exit code 1."""
    import diagrams

    try:
        yield diagrams
    except diagrams.DiagramError as exc:
        raise click.ClickException(render(exc)) from None


def _draw(picture: Any, fmt: str, output: str | None, force: bool, font: str | None) -> None:
    import diagrams

    path = output or diagrams.STDOUT
    if output is None and fmt in diagrams.BINARY_FORMATS:
        raise click.UsageError(tr("--format {fmt} needs -o PATH (or -o - for stdout)", fmt=fmt))
    diagrams.check_destination(path, force, fmt)
    style = diagrams.Style(fontname=font) if font else None
    data = diagrams.render(picture, fmt, style)
    diagrams.write_output(data, path, force=force, fmt=fmt)
    if path != diagrams.STDOUT:
        click.echo(tr("wrote {path}", path=path), err=True)


@cli.group()
def diagram() -> None:
    """Draw the procedure, or one case's path through it, with Graphviz."""


@diagram.command("procedure")
@click.option("--procedure", "name", default="provincial", show_default=True)
@click.option("--version", "version", type=int, default=None, help="Default: the newest.")
@diagram_options
@refusals
def diagram_procedure(
    name: str,
    version: int | None,
    lang: str,
    fmt: str,
    roles: bool,
    font: str | None,
    output: str | None,
    force: bool,
) -> None:
    """The procedure's steps, grouped by phase, with the settings in force."""
    from states import load_procedure

    with drawing() as diagrams:
        diagrams.check_format(fmt)
        diagrams.check_lang(lang)
        loaded = load_procedure(name, version)
        picture = diagrams.procedure_diagram(loaded, lang, show_roles=roles)
        _draw(picture, fmt, output, force, font)


@diagram.command("case")
@click.argument("reference")
@diagram_options
@pass_app
@refusals
def diagram_case(
    app: App,
    reference: str,
    lang: str,
    fmt: str,
    roles: bool,
    font: str | None,
    output: str | None,
    force: bool,
) -> None:
    """One case: where it stands, the path it took, days per step, overdue time."""
    from states import available_procedures, load_procedure
    from workflow import services

    with drawing() as diagrams:
        diagrams.check_format(fmt)
        diagrams.check_lang(lang)
        found, history = services.case_history(app.uow(), reference)
        others = available_procedures().get(found.procedure, [])
        picture = diagrams.case_diagram(
            load_procedure(found.procedure, found.version),
            history,
            found.state,
            now=app.now(),
            lang=lang,
            show_roles=roles,
            reference=found.reference,
            earlier=[load_procedure(found.procedure, v) for v in others if v != found.version],
        )
        _draw(picture, fmt, output, force, font)


# ---------------------------------------------------------------------- follow-up (issue 5)
# Activities, plans, provincial mechanisms, the daily sweep, KPI reports, imports.


def _fuow(app: App) -> SqlAlchemyUnitOfWork:
    return app.uow()


@cli.group()
def activity() -> None:
    """Activities with the partner (recording one is a step of the case's procedure)."""


@activity.command("add")
@click.argument("reference")
@click.option("--date", "day", required=True, type=DATE, help="YYYY-MM-DD (C.E. or B.E.).")
@click.option("--kind", required=True, help="Kind of activity (the choices: 'case actions').")
@click.option("--title", required=True)
@click.option("--partner-participated/--no-partner-participated", default=True, show_default=True)
@click.option("--budget", default=None, help="Budget spent, THB.")
@click.option("--evidence", multiple=True, type=click.Path(dir_okay=False), help="Repeatable.")
@click.option("--note", default="")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def activity_add(
    app: App,
    reference: str,
    day: dt.date,
    kind: str,
    title: str,
    partner_participated: bool,
    budget: str | None,
    evidence: tuple[str, ...],
    note: str,
    as_json: bool,
) -> None:
    """Record an activity on an active or dormant relationship (a dormant one becomes active)."""
    from workflow import followup as fu

    given = fu.ActivityInput(day, kind, title, partner_participated, budget)
    record = fu.record_activity(
        _fuow(app), app.actor(), reference, given, evidence, note, app.now()
    )
    if as_json:
        emit_json(receipted(record))
    else:
        click.echo(
            tr(
                "{reference}: activity recorded, {source} → {dest} (audit #{seq})",
                reference=record.case_reference,
                source=record.source,
                dest=record.dest,
                seq=record.seq,
            )
        )
        click.echo(receipt_of(record).line())


@activity.command("list")
@click.argument("reference", required=False)
@click.option("--fy", type=int, default=None, help="Fiscal year, B.E. (e.g. 2568).")
@click.option("--province", default=None, type=PROVINCE)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def activity_list(
    app: App, reference: str | None, fy: int | None, province: str | None, as_json: bool
) -> None:
    """Activities, newest first."""
    from workflow import followup as fu

    found = fu.list_activities(_fuow(app), reference, fy, province)
    if as_json:
        emit_json([asdict(a) for a in found])
        return
    if not found:
        nothing_found(N_("no activities match"))
        return
    from workflow.thaidate import format_date

    lang = chosen_lang()
    words = "th" if lang == "th" else "en"
    rows = []
    for a in found:
        budget = (
            tr("THB {amount}", words, amount=f"{a.budget_thb:,.2f}")
            if a.budget_thb is not None
            else ""
        )
        absent = "" if a.partner_participated else tr("(partner absent)", words)
        rows.append(
            (
                format_date(a.activity_date, words),
                tr("FY{year}", words, year=a.fiscal_year),
                a.case_reference,
                a.province if words == "en" else province_label(a.province, "th"),
                a.kind,
                a.title,
                budget,
                tr("evidence:{count}", words, count=a.evidence_count),
                absent,
            )
        )
    print_table(rows)


@cli.group()
def plan() -> None:
    """Yearly action plans and budgets of relationships."""


@plan.command("set")
@click.argument("reference")
@click.option("--fy", type=int, required=True, help="Fiscal year, B.E. (e.g. 2568).")
@click.option("--budget", required=True, help="Budget, THB.")
@click.option("--file", "plan_file", required=True, type=click.Path(dir_okay=False))
@click.option("--note", default="")
@pass_app
@refusals
def plan_set(app: App, reference: str, fy: int, budget: str, plan_file: str, note: str) -> None:
    """Attach the action plan and budget of a fiscal year (replaces that year's plan)."""
    from workflow import followup as fu

    saved = fu.set_plan(_fuow(app), app.actor(), reference, fy, budget, plan_file, app.now(), note)
    click.echo(
        tr(
            "{reference}: plan FY {year}, THB {budget}, {file} (audit #{seq})",
            reference=saved.case_reference,
            year=saved.fiscal_year,
            budget=f"{saved.budget_thb:,.2f}",
            file=saved.document["name"],
            seq=saved.audit_seq,
        )
    )


@plan.command("list")
@click.argument("reference", required=False)
@click.option("--fy", type=int, default=None)
@click.option("--province", default=None, type=PROVINCE)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def plan_list(
    app: App, reference: str | None, fy: int | None, province: str | None, as_json: bool
) -> None:
    """Plans and budgets, by relationship and fiscal year."""
    from workflow import followup as fu

    found = fu.list_plans(_fuow(app), reference, fy, province)
    if as_json:
        emit_json([asdict(p) for p in found])
        return
    for p in found:
        click.echo(
            f"{p.case_reference}  {p.province:6} FY{p.fiscal_year}  THB {p.budget_thb:>14,.2f}  "
            f"{p.document.get('name', '')} (sha256 {str(p.document.get('sha256', ''))[:12]}…)"
        )


@cli.group()
def province() -> None:
    """Provinces and their sister-city mechanisms (committee / working-group orders)."""


@province.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def province_list(app: App, as_json: bool) -> None:
    """All 77 provinces with their recorded mechanism."""
    from states.reference import PROVINCES
    from workflow import followup as fu

    mechanisms = {m.province: m for m in fu.list_mechanisms(_fuow(app))}
    rows = [
        {
            "province": code,
            "name_th": th,
            "name_en": en,
            "mechanism": asdict(mechanisms[code]) if code in mechanisms else None,
        }
        for code, (th, en) in sorted(PROVINCES.items())
    ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        m = mechanisms.get(str(r["province"]))
        what = (
            tr(
                "order {number} of {day}, chair {chair}",
                number=m.order_no,
                day=m.order_date,
                chair=m.chair,
            )
            if m
            else "-"
        )
        click.echo(f"{r['province']:6} {r['name_en']:26} {r['name_th']}\t{what}")


@province.group("mechanism")
def mechanism() -> None:
    """The provincial committee or working group that drives and monitors relations."""


@mechanism.command("set")
@click.argument("code", type=PROVINCE)
@click.option("--order-no", required=True)
@click.option("--date", "day", required=True, type=DATE)
@click.option("--chair", required=True)
@click.option("--file", "order_file", default=None, type=click.Path(dir_okay=False))
@pass_app
@refusals
def mechanism_set(
    app: App, code: str, order_no: str, day: dt.date, chair: str, order_file: str | None
) -> None:
    """Record a province's committee/working-group order."""
    from workflow import followup as fu

    m = fu.set_mechanism(
        _fuow(app), app.actor(), code, order_no, day, chair, order_file, app.now()
    )
    click.echo(
        tr(
            "{province}: mechanism order {number} of {day} (audit #{seq})",
            province=m.province,
            number=m.order_no,
            day=m.order_date,
            seq=m.audit_seq,
        )
    )


@mechanism.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def mechanism_list(app: App, as_json: bool) -> None:
    """Provinces with a recorded mechanism."""
    from states.reference import PROVINCES
    from workflow import followup as fu

    found = fu.list_mechanisms(_fuow(app))
    if as_json:
        emit_json([asdict(m) for m in found])
        return
    for m in found:
        th = PROVINCES.get(m.province, ("", ""))[0]
        order = tr(
            "order {number} of {day}, chair {chair}",
            number=m.order_no,
            day=m.order_date,
            chair=m.chair,
        )
        click.echo(f"{m.province:6} {th}\t{order}")


@cli.group()
def ministry() -> None:
    """The ministry's own mechanism to drive and monitor sister-city relations."""


@ministry.group("mechanism")
def ministry_mechanism_group() -> None:
    """The ministry's committee or working group with related agencies."""


@ministry_mechanism_group.command("set")
@click.option("--order-no", required=True)
@click.option("--date", "day", required=True, type=DATE)
@click.option("--chair", required=True)
@click.option("--agency", "agencies", multiple=True, help="A related agency in it (repeatable).")
@click.option("--file", "order_file", default=None, type=click.Path(dir_okay=False))
@pass_app
@refusals
def ministry_mechanism_set(
    app: App,
    order_no: str,
    day: dt.date,
    chair: str,
    agencies: tuple[str, ...],
    order_file: str | None,
) -> None:
    """Record the ministry's mechanism order (replaces the one recorded before)."""
    from workflow.ministry import set_ministry_mechanism

    m = set_ministry_mechanism(
        app.uow(), app.actor(), order_no, day, chair, agencies, order_file, app.now()
    )
    click.echo(
        tr(
            "ministry: mechanism order {number} of {day}, {count} agencies (audit #{seq})",
            number=m.order_no,
            day=m.order_date,
            count=len(m.agencies),
            seq=m.audit_seq,
        )
    )


@ministry_mechanism_group.command("show")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def ministry_mechanism_show(app: App, as_json: bool) -> None:
    """The ministry's mechanism in force."""
    from workflow.ministry import ministry_mechanism

    m = ministry_mechanism(app.uow())
    if as_json:
        emit_json(asdict(m) if m else None)
        return
    if m is None:
        click.echo("ยังไม่มีการบันทึกกลไกระดับกระทรวง / no ministry mechanism recorded")
        return
    click.echo(
        tr(
            "order {number} of {day}, chair {chair}",
            number=m.order_no,
            day=m.order_date,
            chair=m.chair,
        )
    )
    for agency in m.agencies:
        click.echo(f"  {agency}")


@cli.command()
@click.option("--as-of", "as_of", default=None, type=DATE, help="Default: today (Bangkok).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def sweep(app: App, as_of: dt.date | None, as_json: bool) -> None:
    """Daily job: expire ended terms, mark quiet relationships dormant, report overdue steps."""
    from workflow import followup as fu
    from workflow.thaidate import local_date

    now = app.now()
    with progress_bar(tr("sweeping"), as_json) as progress:
        report = fu.sweep(_fuow(app), as_of or local_date(now), now, app.actor(), progress)
    if as_json:
        emit_json(asdict(report))
        return
    click.echo(
        tr(
            "sweep as of {day}: {moved} moved, {overdue} overdue",
            day=report.as_of,
            moved=len(report.fired),
            overdue=len(report.overdue),
        )
    )
    for a in report.fired:
        click.echo(f"  {a.reference} {a.province} {a.source} → {a.dest}: {a.rule}")
    for o in report.overdue:
        click.echo(
            "  "
            + tr(
                "overdue {reference} {province} {state}: {days} days (expected {expected})",
                reference=o.reference,
                province=o.province,
                state=o.state,
                days=o.days,
                expected=o.expected_days,
            )
        )
    for u in report.uncertain:
        ends = f"{u.earliest_end}–{u.latest_end}" if u.earliest_end else tr("unknown")
        click.echo(
            "  "
            + tr(
                "term unknown {reference} {province}: signed {signed}, {years} year(s), ends "
                "{ends}; not expired: record the signing date",
                reference=u.reference,
                province=u.province,
                signed=u.signed,
                years=u.term_years,
                ends=ends,
            )
        )


@cli.group()
def report() -> None:
    """Reports on the follow-up indicators."""


@report.command("kpi")
@click.option("--fy", type=int, default=None, help="Fiscal year, B.E. (default: the current).")
@click.option("--province", default=None, type=PROVINCE)
@click.option("--as-of", "as_of", default=None, type=DATE, help="Default: today (Bangkok).")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "html"]), default="table"
)
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--lang",
    type=LANGS,
    default="th",
    show_default=True,
    help="Language of the HTML report (th: Thai names and B.E. dates only).",
)
@pass_app
@refusals
def report_kpi(
    app: App,
    fy: int | None,
    province: str | None,
    as_of: dt.date | None,
    fmt: str,
    output: str | None,
    force: bool,
    lang: str,
) -> None:
    """The indicators of the ministry's plan for a fiscal year, each with its definition."""
    from store.kpi import compute_kpis
    from workflow import followup as fu
    from workflow.kpi import render_csv, render_json, render_table
    from workflow.kpi_html import render_html
    from workflow.thaidate import fiscal_year_be, local_date

    day = as_of or local_date(app.now())
    year = fu.check_fiscal_year(fy) if fy else fiscal_year_be(day)
    result = compute_kpis(app.engine, year, day, province)
    render = {"table": render_table, "json": render_json, "csv": render_csv}
    if fmt == "html":
        text = render_html(result, lang)
    elif fmt == "table":
        # The text report is bilingual unless a language is asked for.
        given = click.get_current_context().get_parameter_source("lang")
        text = render_table(
            result, "both" if given == click.core.ParameterSource.DEFAULT else lang
        )
    else:
        text = render[fmt](result)
    if output:
        with open_output(output, force) as fh:
            fh.write(text)
        click.echo(tr("wrote {path}", path=output), err=True)
    else:
        click.echo(text, nl=False)


@report.command("data-quality")
@click.option("--province", default=None, type=PROVINCE)
@click.option("--fy", type=int, default=None, help="Plans of this fiscal year (default: current).")
@click.option("--as-of", "as_of", default=None, type=DATE, help="Default: today (Bangkok).")
@click.option(
    "--issue",
    "issues",
    multiple=True,
    type=click.Choice(
        ["date_unknown", "date_partial", "term_unknown", "no_partner_level", "no_plan"]
    ),
    help="Only these gaps (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def report_data_quality(
    app: App,
    province: str | None,
    fy: int | None,
    as_of: dt.date | None,
    issues: tuple[str, ...],
    as_json: bool,
) -> None:
    """What officers should complete: unknown or partial dates, missing levels and plans."""
    from workflow import followup as fu
    from workflow.register import data_quality
    from workflow.thaidate import local_date

    day = as_of or local_date(app.now())
    year = fu.check_fiscal_year(fy) if fy else None
    found = data_quality(app.uow(), day, province, year)
    gaps = [g for g in found.gaps if not issues or g.issue in issues]
    if as_json:
        emit_json(
            {
                "as_of": found.as_of.isoformat(),
                "fiscal_year": found.fiscal_year,
                "gaps": [
                    {**asdict(g), "label_th": g.label_th, "label_en": g.label_en} for g in gaps
                ],
            }
        )
        return
    cases = len({g.reference for g in gaps})
    click.echo(
        f"ข้อมูลที่ควรกรอกให้ครบ / To complete — {len(gaps)} item(s) in {cases} case(s); "
        f"plans of FY {found.fiscal_year}; as of {found.as_of.isoformat()}"
    )
    for g in gaps:
        click.echo(
            f"{g.province:6} {g.province_th:14} {g.reference}  {g.partner_name} "
            f"({g.partner_country}) {g.instrument}: {g.label_th} / {g.label_en} [{g.detail}]"
        )


@report.command("register")
@click.option("--province", default=None, type=PROVINCE)
@click.option("--lang", type=LANGS, default="both", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def report_register(app: App, province: str | None, lang: str, as_json: bool) -> None:
    """Every relationship with its signing date as precisely as it is known."""
    from workflow.register import relationships

    entries = relationships(app.uow(), province)
    if as_json:
        emit_json(
            [
                {
                    **asdict(e),
                    "signed": {
                        "first_day": e.signed.first.isoformat() if e.signed.first else None,
                        "precision": e.signed.precision,
                        "text": e.signed.text(lang),
                    },
                }
                for e in entries
            ]
        )
        return
    for e in entries:
        where = e.province_th if lang == "th" else e.province
        state = e.state_th if lang == "th" else e.state_en if lang == "en" else e.state_th
        link = f"  แทน/replaces {e.supersedes}" if e.supersedes else ""
        link += f"  ถูกแทนโดย/replaced by {e.superseded_by}" if e.superseded_by else ""
        click.echo(
            f"{e.reference}  {where:14} {e.partner_name} ({e.partner_country}"
            f"{', ' + e.partner_level if e.partner_level else ''})  {e.instrument}  "
            f"{e.signed.text(lang)}  {state}{link}"
        )


@cli.group()
def monitoring() -> None:
    """Yearly monitoring reports: each province's report on a fiscal year, to the ministry."""


@monitoring.command("open")
@click.option("--province", required=True, type=PROVINCE)
@click.option("--fy", type=int, required=True, help="Fiscal year, B.E. (e.g. 2568).")
@click.option("--procedure", default=None, help="Only when several procedures are reports.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def monitoring_open(
    app: App, province: str, fy: int, procedure: str | None, as_json: bool
) -> None:
    """Open a province's yearly report for a fiscal year (a draft)."""
    from workflow.monitoring import open_report

    opened = open_report(app.uow(), app.actor(), province, fy, app.now(), procedure)
    if as_json:
        emit_json(case_dict(opened))
    else:
        click.echo(
            tr("{reference} opened in '{state}'", reference=opened.reference, state=opened.state)
        )


@monitoring.command("submit")
@click.argument("reference")
@click.option("--issues", default="", help="Issues, obstacles and suggestions (Thai).")
@click.option(
    "--issues-file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="The issues, from a UTF-8 text file.",
)
@click.option("--note", default="")
@pass_app
@refusals
def monitoring_submit(
    app: App, reference: str, issues: str, issues_file: str | None, note: str
) -> None:
    """Build the report from the province's data, sign it off and submit it to the ministry."""
    from workflow.monitoring import submit_report

    if issues_file:
        try:
            with open(issues_file, encoding="utf-8-sig") as fh:
                issues = fh.read()
        except (UnicodeDecodeError, OSError) as exc:
            raise click.BadParameter(
                tr(
                    "{path}: not a readable UTF-8 text file ({error})",
                    path=issues_file,
                    error=type(exc).__name__,
                ),
                param_hint="--issues-file",
            ) from None
    record = submit_report(app.uow(), app.actor(), reference, issues, app.now(), note)
    document = record.fields["report"]
    click.echo(
        tr(
            "{reference}: {source} → {dest} (audit #{seq}); report {file} sha256 {sha256}…",
            reference=record.case_reference,
            source=record.source,
            dest=record.dest,
            seq=record.seq,
            file=document["name"],
            sha256=str(document["sha256"])[:12],
        )
    )
    click.echo(receipt_of(record).line())


@monitoring.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def monitoring_show(app: App, reference: str, as_json: bool) -> None:
    """Where a yearly report stands: its steps, reasons given and the reports submitted."""
    from states import load_procedure
    from workflow import services
    from workflow.thaidate import format_moment

    found, history = services.case_history(app.uow(), reference)
    definition = load_procedure(found.procedure, found.version).definition
    if as_json:
        emit_json({"case": case_dict(found), "history": [record_dict(r) for r in history]})
        return
    click.echo(f"{found.reference}: {definition.state(found.state).label.text('both')}")
    for r in history:
        line = f"  {format_moment(r.occurred_at, 'th')}  {r.trigger or r.kind}  {r.actor_id}"
        document = r.fields.get("report")
        if isinstance(document, dict):
            line += "  " + tr("report sha256 {sha256}", sha256=document["sha256"])
        click.echo(line + (f"  — {r.note}" if r.note else ""))


@monitoring.command("render")
@click.argument("reference")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="html")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--current",
    is_flag=True,
    help="From the data as they are now, not the report as last submitted.",
)
@pass_app
@refusals
def monitoring_render(
    app: App, reference: str, fmt: str, output: str | None, force: bool, current: bool
) -> None:
    """The report as submitted (checked against its SHA-256), or a draft's preview."""
    from workflow.monitoring import current_report, submitted_report
    from workflow.monitoring_html import render_report
    from workflow.thaidate import local_date

    submitted = None if current else submitted_report(app.uow(), reference)
    if submitted is not None:
        html = submitted[1].decode("utf-8")
    else:
        html = render_report(current_report(app.uow(), reference, local_date(app.now())))
    if fmt == "pdf":
        from workflow.printing import html_to_pdf

        if output is None:
            raise click.UsageError(tr("--format pdf needs -o FILE"))
        data = html_to_pdf(html)
        with open_output(output, force, binary=True) as fh:
            fh.write(data)
        click.echo(tr("wrote {path} ({size} bytes)", path=output, size=f"{len(data):,}"), err=True)
        return
    if output is None:
        click.echo(html, nl=False)
        return
    with open_output(output, force) as out:
        out.write(html)
    click.echo(tr("wrote {path}", path=output), err=True)


@monitoring.command("list")
@click.option("--fy", type=int, default=None, help="Fiscal year, B.E. (default: the last closed).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def monitoring_list(app: App, fy: int | None, as_json: bool) -> None:
    """The national summary: provinces with relations and where each one's report stands."""
    from workflow import followup as fu
    from workflow.monitoring import national_summary
    from workflow.thaidate import fiscal_year_be, local_date

    year = fu.check_fiscal_year(fy) if fy else fiscal_year_be(local_date(app.now())) - 1
    found = national_summary(app.uow(), year)
    if as_json:
        emit_json({"fiscal_year": year, "provinces": [asdict(p) for p in found]})
        return
    reported = sum(1 for p in found if p.reported)
    accepted = sum(1 for p in found if p.accepted)
    click.echo(
        f"รายงานประจำปีงบประมาณ {year} / yearly reports FY {year}: {reported}/{len(found)} "
        f"submitted, {accepted} accepted"
    )
    for p in found:
        click.echo(
            f"{p.province:6} {p.name_th:16} {p.relationships:>3}  {p.reference or '-':16} "
            f"{p.state_th} / {p.state_en}"
        )


@cli.group("import")
def import_group() -> None:
    """Import records that exist outside the system."""


def _encoding(_ctx: Any, _param: Any, value: str | None) -> str | None:
    import codecs

    if value is None:
        return None
    try:
        codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(
            tr("unknown encoding '{value}' (e.g. utf-8, cp874)", value=value)
        ) from None
    return value


@import_group.command("relationships")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option(
    "--encoding",
    default=None,
    callback=_encoding,
    help="The file's encoding (default: UTF-8, UTF-16 or Thai cp874/TIS-620, detected).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def import_relationships(
    app: App, path: str, dry_run: bool, encoding: str | None, as_json: bool
) -> None:
    """Import existing relationships from CSV; all rows or none."""
    from workflow import importer

    with open(path, "rb") as fh:
        data = fh.read(importer.MAX_FILE_BYTES + 1)
    try:
        with progress_bar(tr("importing"), as_json) as progress:
            result = importer.import_relationships(
                _fuow(app),
                app.actor(),
                data,
                os.path.basename(path),
                app.now(),
                dry_run,
                encoding=encoding,
                progress=progress,
            )
    except importer.ImportRejected as refused:
        if len(refused.problems) == 1:
            raise click.ClickException(
                tr(
                    "{path}: {problem}; nothing was imported",
                    path=path,
                    problem=refused.problems[0].message(),
                )
            ) from None
        for problem in refused.problems:
            click.echo(tr("{path}: {problem}", path=path, problem=problem.message()), err=True)
        raise click.ClickException(
            tr(
                "{path}: refused, {count} problem(s); nothing was imported",
                path=path,
                count=len(refused.problems),
            )
        ) from None
    if as_json:
        emit_json(asdict(result))
        return
    verb = N_("would create") if dry_run else N_("created")
    click.echo(
        tr(
            "{path} (sha256 {sha256}…, {encoding}): {rows} rows, {verb} {created}, already "
            "present {skipped}",
            path=path,
            sha256=result.file_sha256[:12],
            encoding=result.encoding,
            rows=result.rows,
            verb=Text(verb),
            created=len(result.created),
            skipped=len(result.skipped),
        )
    )
    replaces = dict(result.linked)
    for line, reference in result.created:
        if reference:
            also = (
                " " + tr("(replaces {reference})", reference=replaces[line])
                if line in replaces
                else ""
            )
            click.echo(
                "  " + tr("line {line}: {reference}", line=line, reference=reference) + also
            )


# ---------------------------------------------------------------------- backups
@cli.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(), help="The backup file to write.")
@click.option("--force", is_flag=True, help="Replace an existing backup file.")
@pass_app
@refusals
def backup_command(app: App, output: str, force: bool) -> None:
    """Copy the SQLite database while officers work, verify the copy, then write it.

    Uses SQLite's online backup API (one consistent snapshot). For PostgreSQL use pg_dump -Fc
    (README, "Backups").
    """
    from store.backup import backup

    if output == "-":
        raise click.UsageError(tr("a backup is a database file: give -o FILE, not -"))
    result = backup(app.db, output, force)
    click.echo(
        tr(
            "backup {path}: {records} records, {cases} cases, head {head} (log {log}), verified",
            path=result.path,
            records=result.records,
            cases=result.cases,
            head=result.head,
            log=result.log_id,
        )
    )


@cli.command("restore")
@click.argument("backup_file", metavar="FILE", type=click.Path())
@click.option("--force", is_flag=True, help="Replace the existing database (--db).")
@pass_app
@refusals
def restore_command(app: App, backup_file: str, force: bool) -> None:
    """Replace the --db SQLite database with a backup, verified before and after.

    Nothing is replaced unless the backup verifies; an existing database only with --force,
    and only while no other command has it open. For PostgreSQL use pg_restore (README,
    "Backups").
    """
    from store.backup import restore

    result = restore(backup_file, app.db, force)
    click.echo(
        tr(
            "restored {path} from {backup}: {records} records, {cases} cases, head {head} "
            "(log {log}), verified",
            path=result.path,
            backup=backup_file,
            records=result.records,
            cases=result.cases,
            head=result.head,
            log=result.log_id,
        )
    )


# ---------------------------------------------------------------------- web view (issue 11)
# Self-contained like the audit section: the web package and uvicorn load only here, so the CLI
# works without the 'web' extra.
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--trusted-header",
    metavar="NAME",
    default=None,
    help="Header in which the reverse proxy names the authenticated user (an officer's "
    "login); without it only this computer (loopback) is served, as the officer you are.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    default=("127.0.0.1", "::1"),
    show_default=True,
    help="Address of the reverse proxy whose header is believed; repeatable.",
)
@click.option(
    "--verify-every",
    default=60,
    show_default=True,
    type=click.IntRange(0, 7 * 24 * 60),
    help="Minutes between background verifications of the audit chain (0: never).",
)
@pass_app
@refusals
def serve(
    app: App,
    host: str,
    port: int,
    trusted_header: str | None,
    trusted_proxies: tuple[str, ...],
    verify_every: int,
) -> None:
    """Serve the read-only web view (needs: pip install 'sistercity[web]')."""
    try:
        import web
    except ImportError as exc:
        raise click.ClickException(
            tr(
                "the web view needs the 'web' extra: pip install 'sistercity[web]' ({module})",
                module=exc.name,
            )
        ) from None
    app.engine  # noqa: B018 - refuses a database file that does not exist
    config = web.WebConfig(
        db=app.db,
        trusted_header=trusted_header.strip() if trusted_header else None,
        trusted_proxies=trusted_proxies,
        os_login=os_login(),
        as_officer=app.as_officer,
        verify_every=verify_every * 60.0,
    )
    if trusted_header is None and host not in ("127.0.0.1", "::1", "localhost"):
        click.echo(tr("note: without --trusted-header only loopback clients are served"), err=True)
    web.run(config, host, port)


# ---------------------------------------------------------------------- letter (official letters)
@cli.group()
def letter() -> None:
    """Official letters (หนังสือราชการ) drafted from a case, numbered from the unit's register."""


_LETTER_OUTPUTS = (".html", ".pdf", ".docx")


def _letter_outputs(output: str | None, metadata: str | None) -> None:
    if output is not None and not output.lower().endswith(_LETTER_OUTPUTS):
        raise click.UsageError(tr("-o FILE must end in .pdf, .docx or .html"))
    if metadata is not None and not metadata.lower().endswith(".json"):
        raise click.UsageError(tr("--metadata FILE must end in .json"))


def _write_letter(
    drafted: Any, emblem: Any, output: str | None, meta: str | None, force: bool
) -> None:
    """Write the letter where asked (.pdf, .docx or .html) and its metadata JSON."""
    from workflow.letters import metadata, text_lines

    files: dict[str, bytes] = {}
    if output is None:
        click.echo("\n".join(text_lines(drafted.content)))
    else:
        suffix = output.lower().rsplit(".", 1)[-1]
        if suffix == "pdf":
            from workflow.printing import html_to_pdf

            data = html_to_pdf(drafted.html)
        elif suffix == "docx":
            from workflow.letters_docx import letter_docx

            data = letter_docx(drafted.content, emblem)
        else:
            data = drafted.html.encode("utf-8")
        with open_output(output, force, binary=True) as fh:
            fh.write(data)
        files[os.path.basename(output)] = data
        click.echo(tr("wrote {path} ({size} bytes)", path=output, size=f"{len(data):,}"), err=True)
    if meta is not None:
        with open_output(meta, force) as out:
            out.write(json.dumps(metadata(drafted.content, files), ensure_ascii=False, indent=2))
            out.write("\n")
        click.echo(tr("wrote {path}", path=meta), err=True)
    if drafted.content.missing:
        click.echo(
            tr("not known yet: {missing}", missing=", ".join(drafted.content.missing)), err=True
        )


def _letter_options(fn: F) -> F:
    for option in reversed(
        (
            click.argument("reference"),
            click.argument("trigger"),
            click.option(
                "--letter", "letter_id", default=None, help="When the step sends several."
            ),
            click.option(
                "-f", "--field", "field_values", multiple=True, help="NAME=VALUE of the step."
            ),
            click.option(
                "--note", default="", help="The step's note (a reason the letter gives)."
            ),
            click.option(
                "--urgency",
                type=LibraryChoice("states.letters", "URGENCY"),
                default="normal",
                help="ชั้นความเร็ว: normal ปกติ, urgent ด่วน, very_urgent ด่วนมาก, most_urgent ด่วนที่สุด.",
            ),
            click.option(
                "--secrecy",
                type=LibraryChoice("states.letters", "SECRECY"),
                default="normal",
                help="ชั้นความลับ: normal ปกติ, confidential ลับ, secret ลับมาก, top_secret ลับที่สุด.",
            ),
            click.option(
                "-o",
                "--output",
                default=None,
                type=click.Path(dir_okay=False),
                help="FILE.pdf, FILE.docx or FILE.html; without it the text is printed.",
            ),
            click.option(
                "--metadata",
                "meta",
                default=None,
                type=click.Path(dir_okay=False),
                help="FILE.json for an electronic correspondence system.",
            ),
            click.option("--force", is_flag=True, help="Replace existing output files."),
        )
    ):
        fn = option(fn)
    return fn


@letter.command("draft")
@_letter_options
@pass_app
@refusals
def letter_draft(
    app: App,
    reference: str,
    trigger: str,
    letter_id: str | None,
    field_values: tuple[str, ...],
    note: str,
    urgency: str,
    secrecy: str,
    output: str | None,
    meta: str | None,
    force: bool,
) -> None:
    """The letter step TRIGGER sends, filled from case REFERENCE (its number once issued)."""
    from workflow.letters import GARUDA_ENV, draft_letter, garuda_image

    _letter_outputs(output, meta)
    emblem = garuda_image(os.environ.get(GARUDA_ENV))
    drafted = draft_letter(
        app.uow(), reference, trigger, app.now(), letter_id, _parse_fields(field_values),
        note, urgency, secrecy, emblem,
    )  # fmt: skip
    _write_letter(drafted, emblem, output, meta, force)


@letter.command("issue")
@_letter_options
@pass_app
@refusals
def letter_issue(
    app: App,
    reference: str,
    trigger: str,
    letter_id: str | None,
    field_values: tuple[str, ...],
    note: str,
    urgency: str,
    secrecy: str,
    output: str | None,
    meta: str | None,
    force: bool,
) -> None:
    """Take the letter's number from its unit's register for this year, and record it."""
    from workflow.letters import GARUDA_ENV, garuda_image, issue_letter

    _letter_outputs(output, meta)
    emblem = garuda_image(os.environ.get(GARUDA_ENV))
    drafted, record = issue_letter(
        app.uow(), app.actor(), reference, trigger, app.now(), letter_id,
        _parse_fields(field_values), note, urgency, secrecy, emblem,
    )  # fmt: skip
    c = drafted.content
    hint = ""
    if c.number_field:
        given = f'-f {c.number_field}="{c.number}"'
        given += f" -f {c.date_field}={c.date.isoformat()}" if c.date_field else ""
        hint = "  " + tr("(record it: {options})", options=given)
    click.echo(
        tr(
            "{reference}: {letter} ที่ {number} (audit #{seq})",
            reference=record.case_reference,
            letter=c.letter_id,
            number=c.number,
            seq=record.seq,
        )
        + hint
    )
    if output is not None or meta is not None:
        _write_letter(drafted, emblem, output, meta, force)


@letter.command("list")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def letter_list(app: App, reference: str, as_json: bool) -> None:
    """The letters issued for a case: number, date, step, subject, SHA-256."""
    from workflow.letters import list_letters
    from workflow.thaidate import format_long_date

    letters = list_letters(app.uow(), reference)
    if as_json:
        emit_json([{**asdict(x), "date": x.date.isoformat()} for x in letters])
        return
    for x in letters:
        click.echo(
            f"{x.number}  {format_long_date(x.date)}  {x.trigger}  {x.letter_id}  "
            f"{x.subject}  sha256 {x.sha256[:12]}  (#{x.audit_seq})"
        )


def _language_everywhere(group: click.Group) -> None:
    """``--lang`` on every command and group: where a command has its own (it shapes its output),
    ``SISTERCITY_LANG`` is its default and it sets the language of messages too; elsewhere it sets
    the language of messages and help."""
    for command in group.commands.values():
        own = next((p for p in command.params if p.name == "lang"), None)
        if own is None:
            command.params.append(
                click.Option(
                    ["--lang"],
                    type=LANGS,
                    default=None,
                    is_eager=True,
                    expose_value=False,
                    callback=_lang_option,
                    help=LANG_HELP,
                )
            )
        else:
            own.envvar = LANG_ENV
            own.is_eager = True
            own.callback = _lang_option
        if isinstance(command, click.Group):
            _language_everywhere(command)


_language_everywhere(cli)


def extract_help(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, Any, list[str]]]:
    """Babel's extractor for this file (``babel.cfg``): the messages marked in its code, and the
    help of every command, group and option, which click keeps as plain strings."""
    import inspect

    from babel.messages.extract import extract_python

    found: Iterator[Any] = extract_python(fileobj, keywords, comment_tags, options)
    yield from found

    def walk(command: click.Command) -> Iterator[tuple[int, str | None, Any, list[str]]]:
        callback = command.callback
        line = inspect.getsourcelines(callback)[1] if callback is not None else 0
        if command.help:
            yield line, None, command.help, []
        if command.short_help:
            yield line, None, command.short_help, []
        for param in command.params:
            if isinstance(param, click.Option) and param.help:
                yield line, None, param.help, []
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield from walk(sub)

    yield from walk(cli)
