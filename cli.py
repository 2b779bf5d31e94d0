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

from store import DEFAULT_DB

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.unit_of_work import SqlAlchemyUnitOfWork
    from workflow.model import Actor, AuditRecord, Case

F = TypeVar("F", bound=Callable[..., Any])
#: ``states.loader.PROCEDURES_ENV``, spelt here so that help needs no import of the definitions
#: (a test checks the two agree).
PROCEDURES_ENV = "SISTERCITY_PROCEDURES"
LANGS = click.Choice(["th", "en", "both"])


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
            raise WorkflowError(f"no database at {self.db}: run 'sistercity init' first")
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


def refusals(fn: F) -> F:
    """Turn the library's refusals into one line on stderr and exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with database_errors():
                return fn(*args, **kwargs)
        except refusal_types() as exc:
            raise click.ClickException(str(exc).replace("\n", " ")) from None

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
        raise click.ClickException(f"{path} exists; pass --force to replace it") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def record_dict(r: AuditRecord) -> dict[str, Any]:
    d = asdict(r)
    d["occurred_at"] = r.occurred_at.isoformat()
    d["fields"] = dict(r.fields)
    return d


def case_dict(c: Case) -> dict[str, Any]:
    from workflow.model import actors_of

    d = asdict(c)
    d["opened_at"] = c.opened_at.isoformat()
    d["state_since"] = c.state_since.isoformat()
    d["trigger_actors"] = {k: list(actors_of(v)) for k, v in c.trigger_actors.items()}
    return d


def _field_text(value: Any) -> str:
    if isinstance(value, dict) and "sha256" in value:
        return f"{value.get('name', '')} (sha256 {str(value['sha256'])[:12]}…)"
    return str(value)


# ---------------------------------------------------------------------- root
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    what = "created" if result.created else "upgraded" if result.upgraded_from else "up to date"
    kind = "training" if result.training else "production"
    click.echo(f"{app.db}: {what} at revision {result.revision} ({kind}, log {result.log_id})")


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
        f"Training database {demo_db}: case {case.reference}, {case.province} – "
        f"{case.partner_name} ({case.partner_country}), now '{case.state}'.\n"
    )
    print_history(history, lang)
    click.echo(f"\nTry: sistercity --db {demo_db} --as somchai case actions {case.reference}")


# ---------------------------------------------------------------------- officers
@cli.group()
def officer() -> None:
    """Register and list officers."""


@officer.command("add")
@click.argument("officer_id")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
@click.option("--province", default=None, help="ISO 3166-2:TH code for provincial roles.")
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
    click.echo(f"officer {officer_id} added: {', '.join(sorted(roles))}")


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
    help="The officer's roles from now on (repeat; replaces all).",
)
@click.option("--province", default=None, help="ISO 3166-2:TH code for provincial roles.")
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
        raise click.UsageError("give a new value or remove it, not both")
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
        f"officer {changed.id} updated: {', '.join(sorted(changed.roles))}; "
        f"{changed.province or 'national'}; OS login {changed.os_user or '-'}; "
        f"PostgreSQL login {changed.pg_login or '-'}"
    )


@officer.command("retire")
@click.argument("officer_id")
@pass_app
@refusals
def officer_retire(app: App, officer_id: str) -> None:
    """Retire an officer: no step from now on; history keeps their name (an admin only)."""
    from workflow.officers import retire_officer

    retired = retire_officer(app.uow(), officer_id, app.actor(), app.now())
    click.echo(f"officer {retired.id} retired")


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
        scope = o.province or "national"
        retired = "  (retired)" if o.retired else ""
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
    scope = a.province or "national"
    vouched = app.db.startswith("postgresql") and a.pg_login and a.pg_login == a.os_user
    login = f"PostgreSQL login {a.pg_login}" if vouched else f"OS login {a.os_user}"
    click.echo(f"{a.id} ({', '.join(sorted(a.roles))}; {scope}) as {login}")


# ---------------------------------------------------------------------- cases
@cli.group()
def case() -> None:
    """Open, inspect and advance sister-city cases."""


@case.command("open")
@click.option("--province", required=True, help="Thai province, ISO 3166-2:TH (e.g. TH-50).")
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
    opened = services.open_case(app.uow(), app.actor(), new, app.now(), note, **kwargs)
    if as_json:
        emit_json(case_dict(opened))
    else:
        click.echo(f"{opened.reference} opened in '{opened.state}'")


@case.command("show")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=LANGS, default="both", show_default=True)
@pass_app
@refusals
def case_show(app: App, reference: str, as_json: bool, lang: str) -> None:
    """Show a case and where it stands."""
    from states import load_procedure
    from workflow import followup as fu
    from workflow import services
    from workflow.thaidate import format_moment, local_date

    found = services.get_case(app.uow(), reference)
    if as_json:
        emit_json(case_dict(found))
        return
    definition = load_procedure(found.procedure, found.version).definition
    state = definition.state(found.state)
    date_lang = "th" if lang == "th" else "en"
    since = format_moment(found.state_since, date_lang)
    step = fu.time_in_step(found, local_date(app.now()))
    if step is not None:
        late = step.days - step.expected_days
        since += f" ({step.days} days; expected within {step.expected_days}"
        since += f"; OVERDUE by {late} days)" if late > 0 else ")"
    for key, value in (
        ("reference", found.reference),
        ("province", found.province),
        ("partner", f"{found.partner_name} ({found.partner_country}, {found.partner_level})"),
        ("instrument", f"{found.instrument}, {found.label}"),
        ("state", f"{found.state}: {state.label.text(lang)}"),
        ("since", since),
        ("procedure", f"{found.procedure} v{found.version} ({found.definition_sha256[:12]})"),
        (
            "opened",
            f"{format_moment(found.opened_at, date_lang)} by {found.opened_by}",
        ),
    ):
        click.echo(f"{key:11} {value}")


@case.command("list")
@click.option("--province", default=None)
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
    for c in cases:
        click.echo(
            f"{c.reference}  {c.province:6} {c.state:28} {c.partner_name} ({c.partner_country})"
        )


@case.command("actions")
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def case_actions(app: App, reference: str, as_json: bool) -> None:
    """What you may do now on a case, with the fields each step needs."""
    from workflow import services

    actions = services.available_actions(app.uow(), app.actor(), reference)
    if as_json:
        emit_json([asdict(a) for a in actions])
        return
    if not actions:
        click.echo("nothing you may do on this case now")
    for a in actions:
        click.echo(f"{a.trigger} → {a.dest}   {a.label_th} / {a.label_en}  (as {a.role})")
        for f in a.fields:
            need = "required" if f.required else "optional"
            click.echo(f"    -f {f.name}=…   {f.type}, {need}: {f.label_th} / {f.label_en}")
        if a.note_required:
            click.echo("    --note …   required")


def _size(value: str | None) -> str | None:
    """A document size (20MB, 500KB, bytes), checked as the option is read: exit 2 if bad."""
    if value is None:
        return None
    from workflow.documents import parse_size
    from workflow.errors import WorkflowError

    try:
        parse_size(value)
    except WorkflowError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _parse_fields(values: Sequence[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="-f/--field")
        fields[name.strip()] = value
    return fields


@case.command("advance")
@click.argument("reference")
@click.argument("trigger")
@click.option(
    "-f",
    "--field",
    "field_values",
    multiple=True,
    help="NAME=VALUE; a document is NAME=PATH (recorded by SHA-256).",
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
    reference: str,
    trigger: str,
    field_values: tuple[str, ...],
    note: str,
    keep_documents: bool,
    keep_up_to: str | None,
    as_json: bool,
) -> None:
    """Move a case one step: TRIGGER is a step name from 'case actions'."""
    from workflow import services

    fields: dict[str, Any] = dict(_parse_fields(field_values))
    documents: Sequence[tuple[Any, bytes]] = ()
    if keep_documents or keep_up_to:
        from workflow import documents as docs

        kept = docs.keep_documents(app.uow(), reference, fields, docs.keep_limit(keep_up_to))
        fields, documents = kept.fields, kept.documents
        for name, file_name, size in kept.too_large:
            click.echo(f"{name}: {file_name} ({size:,} bytes) recorded by hash only", err=True)
    record = services.advance_case(
        app.uow(), app.actor(), reference, trigger, fields, note, app.now(), documents
    )
    if as_json:
        emit_json(record_dict(record))
    else:
        click.echo(
            f"{record.case_reference}: {record.source} → {record.dest} (audit #{record.seq})"
        )


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
        raise click.UsageError("name the cases to migrate, or give --all --from-version N")
    if all_cases and from_version is None:
        raise click.UsageError("--all needs --from-version N")
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
    verb = "would move" if dry_run else "moved"
    for p in plans:
        audit = f" (audit #{p.audit_seq})" if p.audit_seq else ""
        click.echo(
            f"{p.reference}: {verb} {p.procedure} v{p.from_version} '{p.source}' → "
            f"v{p.to_version} '{p.dest}'{audit}"
        )


def _parse_pairs(values: Sequence[str], hint: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"'{item}' is not OLD=NEW", param_hint=hint)
        pairs[name.strip()] = value.strip()
    return pairs


def print_history(history: Iterable[AuditRecord], lang: str) -> None:
    from workflow.thaidate import format_moment

    date_lang = "th" if lang == "th" else "en"
    for r in history:
        move = f"{r.source or '∅'} → {r.dest}" if r.dest else f"{r.source} (refused)"
        who = f"{r.actor_id}" + (f" [{r.actor_role}]" if r.actor_role else "")
        click.echo(
            f"#{r.seq:<4} {format_moment(r.occurred_at, date_lang)}  {r.kind:10} "
            f"{r.trigger or '':24} {move}  by {who} ({r.os_user or '-'})"
        )
        for name, value in r.fields.items():
            click.echo(f"        {name}: {_field_text(value)}")
        if r.note:
            click.echo(f"        note: {r.note}")


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
    click.echo(f"wrote {output} ({len(content)} bytes)", err=True)


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
        click.echo(f"{name}: versions {', '.join(str(v) for v in versions)}")


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
        f"{d.title.text(lang)} — {d.procedure} v{d.version}, from {d.effective_from}, "
        f"sha256 {loaded.sha256[:12]}"
    )
    for line in d.settings.describe():
        click.echo(f"  setting: {line.text(lang)}")
    for t in d.active_transitions:
        click.echo(f"  {t.trigger:30} {','.join(t.source)} → {t.dest}   [{', '.join(t.roles)}]")


@procedure.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@refusals
def procedure_check(path: str) -> None:
    """Check a definition file: references, reachability, traps, ambiguity, roles."""
    from states import InvalidDefinition, load_file
    from workflow.effects import code_problems

    loaded = load_file(path)
    d = loaded.definition
    problems = code_problems(d)
    if problems:
        raise InvalidDefinition(f"{path}: {'; '.join(problems)}")
    click.echo(
        f"{path}: ok — {d.procedure} v{d.version}, {len(d.states)} states, "
        f"{len(d.active_transitions)} transitions, sha256 {loaded.sha256[:12]}"
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
            "--checkpoint needs --key PUB: a signature checked only against a key named in the "
            "file itself proves nothing"
        )
    key = load_public_key(key_file) if key_file else None
    result = verify_database(app.engine, checkpoints, key)
    if as_json:
        emit_json(result.as_dict())
    else:
        verdict = {0: "intact", 1: "INTEGRITY FAILURE", 3: "INCONSISTENT WITH A CHECKPOINT"}
        click.echo(
            f"audit log {result.log_id}: {result.records} records, {result.cases} cases, "
            f"head {result.head}"
        )
        for c in result.checkpoints:
            click.echo(f"checkpoint {c.path}: {'ok' if c.ok else 'FAILED'} — {c.detail}")
        for p in result.problems:
            click.echo(f"  {p.line()}")
        if result.more_problems:
            click.echo(f"  … and {result.more_problems} more problems")
        for w in result.warnings:
            click.echo(f"warning: {w}")
        first = result.first_bad_seq
        click.echo(verdict[result.exit_code] + (f" (first bad record #{first})" if first else ""))
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
@pass_app
@refusals
def audit_head(app: App, key_file: str | None, output: str | None) -> None:
    """Export the current head (log, size, hash, time, who) as canonical JSON, signed.

    The export is itself an audit event; the document describes the log just before it.
    """
    import base64

    from store.audit import export_head
    from store.checkpoint import load_private_key, write_export

    key = load_private_key(key_file) if key_file else None
    export = export_head(app.engine, app.actor(), app.now(), key)
    click.echo(export.document.memo_line())
    if output:
        written = write_export(output, export.document, export.signature)
        click.echo(
            f"wrote {', '.join(str(p) for p in written)} (export is audit #{export.event_seq})"
        )
    else:
        click.echo(export.document.canonical().decode("utf-8"))
        if export.signature is not None:
            click.echo(f"signature {base64.b64encode(export.signature).decode('ascii')}")


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
    click.echo(f"private key {private} (keep it secret), public key {public}, fingerprint {fp}")


@audit.command("log")
@click.option("--case", "case_ref", default=None)
@click.option("--officer", default=None, help="Officer id (the actor of the event).")
@click.option("--province", default=None, help="Cases of this province (TH-xx).")
@click.option("--trigger", default=None)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
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
    since: dt.datetime | None,
    until: dt.datetime | None,
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
        since.date() if since else None,
        until.date() if until else None,
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
    with open_output(output, force) as out:
        count = export_log(app.engine, chosen, out)
    click.echo(f"wrote {count} records to {output}", err=True)


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
        raise click.ClickException(str(exc)) from None


def _draw(picture: Any, fmt: str, output: str | None, force: bool, font: str | None) -> None:
    import diagrams

    path = output or diagrams.STDOUT
    if output is None and fmt in diagrams.BINARY_FORMATS:
        raise click.UsageError(f"--format {fmt} needs -o PATH (or -o - for stdout)")
    diagrams.check_destination(path, force, fmt)
    style = diagrams.Style(fontname=font) if font else None
    data = diagrams.render(picture, fmt, style)
    diagrams.write_output(data, path, force=force, fmt=fmt)
    if path != diagrams.STDOUT:
        click.echo(f"wrote {path}", err=True)


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


def _date(_ctx: Any, _param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    from workflow.fields import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}': {exc} (a year ≥ 2400 is B.E.)") from None


def _province(_ctx: Any, _param: Any, value: str | None) -> str | None:
    if value is None:
        return None
    from states.aliases import resolve_province

    code = resolve_province(value)
    if code is None:
        raise click.BadParameter(f"unknown province '{value}' (TH-xx, or its name)")
    return code


@cli.group()
def activity() -> None:
    """Activities with the partner (recording one is a step of the case's procedure)."""


@activity.command("add")
@click.argument("reference")
@click.option("--date", "day", required=True, callback=_date, help="YYYY-MM-DD (C.E. or B.E.).")
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
        emit_json(record_dict(record))
    else:
        click.echo(
            f"{record.case_reference}: activity recorded, {record.source} → {record.dest} "
            f"(audit #{record.seq})"
        )


@activity.command("list")
@click.argument("reference", required=False)
@click.option("--fy", type=int, default=None, help="Fiscal year, B.E. (e.g. 2568).")
@click.option("--province", default=None, callback=_province)
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
    for a in found:
        budget = f" THB {a.budget_thb:,.2f}" if a.budget_thb is not None else ""
        click.echo(
            f"{a.activity_date}  FY{a.fiscal_year}  {a.case_reference}  {a.province:6} "
            f"{a.kind:9} {a.title}{budget}  evidence:{a.evidence_count}"
            + ("" if a.partner_participated else "  (partner absent)")
        )


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
        f"{saved.case_reference}: plan FY {saved.fiscal_year}, THB {saved.budget_thb:,.2f}, "
        f"{saved.document['name']} (audit #{saved.audit_seq})"
    )


@plan.command("list")
@click.argument("reference", required=False)
@click.option("--fy", type=int, default=None)
@click.option("--province", default=None, callback=_province)
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
        what = f"order {m.order_no} of {m.order_date}, chair {m.chair}" if m else "-"
        click.echo(f"{r['province']:6} {r['name_en']:26} {r['name_th']}\t{what}")


@province.group("mechanism")
def mechanism() -> None:
    """The provincial committee or working group that drives and monitors relations."""


@mechanism.command("set")
@click.argument("code", callback=_province)
@click.option("--order-no", required=True)
@click.option("--date", "day", required=True, callback=_date)
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
        f"{m.province}: mechanism order {m.order_no} of {m.order_date} (audit #{m.audit_seq})"
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
        click.echo(f"{m.province:6} {th}\torder {m.order_no} of {m.order_date}, chair {m.chair}")


@cli.group()
def ministry() -> None:
    """The ministry's own mechanism to drive and monitor sister-city relations."""


@ministry.group("mechanism")
def ministry_mechanism_group() -> None:
    """The ministry's committee or working group with related agencies."""


@ministry_mechanism_group.command("set")
@click.option("--order-no", required=True)
@click.option("--date", "day", required=True, callback=_date)
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
        f"ministry: mechanism order {m.order_no} of {m.order_date}, {len(m.agencies)} "
        f"agencies (audit #{m.audit_seq})"
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
    click.echo(f"order {m.order_no} of {m.order_date}, chair {m.chair}")
    for agency in m.agencies:
        click.echo(f"  {agency}")


@cli.command()
@click.option("--as-of", "as_of", default=None, callback=_date, help="Default: today (Bangkok).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
@refusals
def sweep(app: App, as_of: dt.date | None, as_json: bool) -> None:
    """Daily job: expire ended terms, mark quiet relationships dormant, report overdue steps."""
    from workflow import followup as fu
    from workflow.thaidate import local_date

    now = app.now()
    report = fu.sweep(_fuow(app), as_of or local_date(now), now, app.actor())
    if as_json:
        emit_json(asdict(report))
        return
    click.echo(
        f"sweep as of {report.as_of}: {len(report.fired)} moved, {len(report.overdue)} overdue"
    )
    for a in report.fired:
        click.echo(f"  {a.reference} {a.province} {a.source} → {a.dest}: {a.rule}")
    for o in report.overdue:
        click.echo(
            f"  overdue {o.reference} {o.province} {o.state}: {o.days} days "
            f"(expected {o.expected_days})"
        )
    for u in report.uncertain:
        ends = f"{u.earliest_end}–{u.latest_end}" if u.earliest_end else "unknown"
        click.echo(
            f"  term unknown {u.reference} {u.province}: signed {u.signed}, {u.term_years} "
            f"year(s), ends {ends}; not expired: record the signing date"
        )


@cli.group()
def report() -> None:
    """Reports on the follow-up indicators."""


@report.command("kpi")
@click.option("--fy", type=int, default=None, help="Fiscal year, B.E. (default: the current).")
@click.option("--province", default=None, callback=_province)
@click.option("--as-of", "as_of", default=None, callback=_date, help="Default: today (Bangkok).")
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
    text = render_html(result, lang) if fmt == "html" else render[fmt](result)
    if output:
        with open_output(output, force) as fh:
            fh.write(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@report.command("data-quality")
@click.option("--province", default=None, callback=_province)
@click.option("--fy", type=int, default=None, help="Plans of this fiscal year (default: current).")
@click.option("--as-of", "as_of", default=None, callback=_date, help="Default: today (Bangkok).")
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
@click.option("--province", default=None, callback=_province)
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
@click.option("--province", required=True, callback=_province)
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
        click.echo(f"{opened.reference} opened in '{opened.state}'")


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
                f"{issues_file}: not a readable UTF-8 text file ({type(exc).__name__})",
                param_hint="--issues-file",
            ) from None
    record = submit_report(app.uow(), app.actor(), reference, issues, app.now(), note)
    document = record.fields["report"]
    click.echo(
        f"{record.case_reference}: {record.source} → {record.dest} (audit #{record.seq}); "
        f"report {document['name']} sha256 {str(document['sha256'])[:12]}…"
    )


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
            line += f"  report sha256 {document['sha256']}"
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
            raise click.UsageError("--format pdf needs -o FILE")
        data = html_to_pdf(html)
        with open_output(output, force, binary=True) as fh:
            fh.write(data)
        click.echo(f"wrote {output} ({len(data):,} bytes)", err=True)
        return
    if output is None:
        click.echo(html, nl=False)
        return
    with open_output(output, force) as out:
        out.write(html)
    click.echo(f"wrote {output}", err=True)


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
        raise click.BadParameter(f"unknown encoding '{value}' (e.g. utf-8, cp874)") from None
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
        result = importer.import_relationships(
            _fuow(app),
            app.actor(),
            data,
            os.path.basename(path),
            app.now(),
            dry_run,
            encoding=encoding,
        )
    except importer.ImportRejected as refused:
        if len(refused.problems) == 1:
            raise click.ClickException(
                f"{path}: {refused.problems[0]}; nothing was imported"
            ) from None
        for problem in refused.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(
            f"{path}: refused, {len(refused.problems)} problem(s); nothing was imported"
        ) from None
    if as_json:
        emit_json(asdict(result))
        return
    verb = "would create" if dry_run else "created"
    click.echo(
        f"{path} (sha256 {result.file_sha256[:12]}…, {result.encoding}): {result.rows} rows, "
        f"{verb} {len(result.created)}, already present {len(result.skipped)}"
    )
    replaces = dict(result.linked)
    for line, reference in result.created:
        if reference:
            also = f" (replaces {replaces[line]})" if line in replaces else ""
            click.echo(f"  line {line}: {reference}{also}")


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
        raise click.UsageError("a backup is a database file: give -o FILE, not -")
    result = backup(app.db, output, force)
    click.echo(
        f"backup {result.path}: {result.records} records, {result.cases} cases, "
        f"head {result.head} (log {result.log_id}), verified"
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
        f"restored {result.path} from {backup_file}: {result.records} records, "
        f"{result.cases} cases, head {result.head} (log {result.log_id}), verified"
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
            f"the web view needs the 'web' extra: pip install 'sistercity[web]' ({exc.name})"
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
        click.echo("note: without --trusted-header only loopback clients are served", err=True)
    web.run(config, host, port)
