"""The read-only web view: Starlette routes, each one reading the library and filling a template.

Every route answers GET (and HEAD) only. A page parses its query strictly (``web.params``),
finds who is looking (the officer behind the trusted header, or the one running the server),
narrows what it reads to that officer's province when their roles are provincial, and renders.
Refusals are one line on an error page with the right status; nothing shows a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from diagrams import DiagramError
from states import PHASE_LABELS, PHASES, Label
from states.i18n import N_, render
from store import DatabaseUnavailable, database_errors
from store.unit_of_work import NotInitialised
from web import i18n, svg
from web.i18n import Lang
from web.params import BadRequest, Params, Refusal
from web.queries import CaseQuery, Library, LogFilter
from web.security import AccessGuard, SecurityHeaders
from web.verifier import Verifier
from workflow.errors import (
    CaseNotFound,
    DocumentCorrupted,
    DocumentNotFound,
    InvalidInput,
    PermissionDenied,
    WorkflowError,
)
from workflow.model import Actor, Case
from workflow.thaidate import fiscal_year_be, local_date

HERE = Path(__file__).parent
PAGE_SIZE = 50
LOG_PAGE_SIZE = 50
OVERDUE_SHOWN = 20
CASE_FILTERS = ("province", "state", "phase", "procedure", "version", "overdue", "fy", "signed_fy")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WebConfig:
    """How ``sistercity serve`` was started."""

    db: str
    #: The reverse proxy's header naming the authenticated user (their officer login).
    trusted_header: str | None = None
    #: Peers whose trusted header is believed (the proxy's addresses).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    #: Without a trusted header: the OS login running the server, and ``--as`` (training only).
    os_login: str = ""
    as_officer: str | None = None
    #: Seconds between background verifications of the audit chain; 0 never runs one.
    verify_every: float = 3600.0
    clock: Callable[[], dt.datetime] = field(default=_now)


class NotFound(Refusal):
    """Nothing to show at this address for this officer (other provinces' cases included)."""


class Forbidden(Refusal):
    """The request names no officer who may use the view."""


_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (BadRequest, 400),
    (InvalidInput, 400),
    (NotFound, 404),
    (CaseNotFound, 404),
    (DocumentNotFound, 404),
    (Forbidden, 403),
    (PermissionDenied, 403),
    (DocumentCorrupted, 409),
    (NotInitialised, 503),
    (DatabaseUnavailable, 503),
    (WorkflowError, 400),
)


def _one_line(exc: BaseException, lang: str | None = None) -> str:
    """The error's first line; a library error in the page's language (``states.i18n``)."""
    lines = (render(exc, lang) if lang else str(exc)).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@dataclass
class Page:
    """What every template gets: language, words, the viewer and link helpers."""

    request: Request
    lang: Lang
    viewer: Actor
    scope: str | None
    now: dt.datetime

    @property
    def t(self) -> Callable[..., str]:
        return i18n.translator(self.lang)

    def href(self, path: str, **params: Any) -> str:
        """*path* with *params* (empty ones dropped) and the page's language."""
        query = {k: v for k, v in params.items() if v not in (None, "", False)}
        if self.lang != "th":
            query["lang"] = self.lang
        return path + ("?" + urlencode(query) if query else "")

    def switch_lang(self) -> str:
        """This page in the other language."""
        other = "en" if self.lang == "th" else "th"
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        if other != "th":
            query["lang"] = other
        return self.request.url.path + ("?" + urlencode(query) if query else "")

    def label(self, value: Label | None) -> str:
        """A definition's label in the page's language."""
        return "–" if value is None else value.text(self.lang)

    def province(self, code: str) -> str:
        return i18n.province_name(code, self.lang)

    def day(self, value: dt.date | None) -> str:
        return i18n.day(value, self.lang)

    def moment(self, value: dt.datetime | None) -> str:
        return i18n.moment(value, self.lang)


def case_path(reference: str) -> str:
    """The address of a case page."""
    return "/cases/" + quote(reference, safe="")


class WebApp:
    """The routes, bound to one library, one configuration and one verifier."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.library = Library(config.db)
        self.serving: Actor | None = None
        if not config.trusted_header:
            try:
                self.serving = self.library.serving_officer(config.os_login, config.as_officer)
            except Exception:
                self.library.close()
                raise
        self.verifier = Verifier(self.library, config.verify_every, config.clock)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(number=i18n.number, case_path=case_path, phases=PHASES)

    # ------------------------------------------------------------------ plumbing
    def viewer(self, request: Request) -> Actor:
        """The officer looking: the one behind the trusted header, or the one serving."""
        if self.serving is not None:
            return self.serving
        header = self.config.trusted_header or ""
        login = request.headers.get(header, "").strip()
        if not login:
            raise Forbidden(N_("the proxy sent no '{header}' header"), header=header)
        actor = self.library.officer_by_login(login)
        if actor is None:
            raise Forbidden(N_("'{login}' is not a registered officer"), login=login[:64])
        return actor

    def render(self, page: Page, template: str, status: int = 200, **values: Any) -> Response:
        body = self.env.get_template(template).render(page=page, t=page.t, **values)
        return HTMLResponse(body, status_code=status)

    def error(self, request: Request, status: int, message: str) -> Response:
        lang: Lang = "en" if request.query_params.get("lang") == "en" else "th"
        t = i18n.translator(lang)
        body = self.env.get_template("error.html").render(
            lang=lang,
            t=t,
            status=status,
            message=message,
            home="/?lang=en" if lang == "en" else "/",
        )
        return HTMLResponse(body, status_code=status)

    def route(
        self, allowed: tuple[str, ...], handler: Callable[[Page, Params], Response]
    ) -> Callable[[Request], Response]:
        """A GET endpoint: strict parameters, the viewer, one-line refusals."""

        def endpoint(request: Request) -> Response:
            lang: Lang | None = None
            try:
                params = Params(request.query_params, allowed)
                lang = params.lang()
                with database_errors():  # a database out of reach is one line, as in the CLI
                    viewer = self.viewer(request)
                    scope = self.library.read_scope(viewer)
                    page = Page(request, lang, viewer, scope, self.config.clock())
                    return handler(page, params)
            except Exception as exc:
                for kind, status in _STATUS:
                    if isinstance(exc, kind):
                        return self.error(request, status, _one_line(exc, lang))
                raise

        return endpoint

    def in_scope(self, page: Page, province: str) -> None:
        if page.scope is not None and province != page.scope:
            raise NotFound(
                N_("province {province} is outside what you may read"), province=province
            )

    def visible_case(self, page: Page, reference: str) -> Case:
        case = self.library.case(reference)
        if page.scope is not None and case.province != page.scope:
            # The same answer as for a case that does not exist.
            raise CaseNotFound(N_("no case '{reference}'"), reference=reference)
        return case

    def province_filter(self, page: Page, params: Params) -> str | None:
        province = params.province()
        if province is not None:
            self.in_scope(page, province)
        return province or page.scope

    # ------------------------------------------------------------------ dashboard
    def dashboard(self, page: Page, params: Params) -> Response:
        today = local_date(page.now)
        fy = params.fiscal_year("fy") or fiscal_year_be(today)
        province = self.province_filter(page, params)
        report = self.library.kpis(fy, today, province)
        t = page.t
        years = report.years[-12:]
        trend = svg.bar_chart(
            t("established"),
            [
                (str(y.fiscal_year), y.established, i18n.number(y.established),
                 page.href("/cases", signed_fy=y.fiscal_year, province=province))
                for y in years
            ],
            label_width=90,
        )  # fmt: skip
        provinces_chart = svg.bar_chart(
            t("provinces_with"),
            [
                (str(y.fiscal_year), y.provinces_with_relations,
                 i18n.number(y.provinces_with_relations), None)
                for y in years
            ],
            label_width=90,
        )  # fmt: skip
        share = svg.bar_chart(
            t("share_by_province"),
            [
                (page.province(p.province), p.activity_share or 0.0,
                 f"{_pct(p.activity_share)} ({p.with_activity}/{p.in_force})",
                 page.href("/cases", province=p.province))
                for p in report.provinces
                if p.in_force
            ],
            maximum=1.0,
        )  # fmt: skip
        definition = self.library.loaded("provincial").definition
        labels = {s.id: s.label for s in definition.states}
        times = svg.bar_chart(
            t("time_in_state"),
            [
                (page.label(labels.get(s.state)) if s.state in labels else s.state,
                 s.median_days, f"{s.median_days:,.1f} {t('days')}", None)
                for s in report.time_in_state
            ],
        )  # fmt: skip
        return self.render(
            page,
            "dashboard.html",
            report=report,
            fy=fy,
            province=province,
            trend=trend,
            provinces_chart=provinces_chart,
            share=share,
            times=times,
            labels=labels,
            overdue=report.overdue[:OVERDUE_SHOWN],
            pct=_pct,
        )

    # ------------------------------------------------------------------ cases
    def cases(self, page: Page, params: Params) -> Response:
        procedures = self.library.procedures()
        states: dict[str, Label] = {}
        for name, versions in procedures.items():
            for v in versions:
                for s in self.library.definition(name, v).states:
                    states.setdefault(s.id, s.label)
        province = self.province_filter(page, params)
        state = params.choice("state", states)
        phase = params.choice("phase", PHASES)
        procedure = params.choice("procedure", procedures)
        version = params.integer("version", 1, 999)
        overdue = params.flag("overdue")
        fy = params.fiscal_year("fy")
        signed_fy = params.fiscal_year("signed_fy")
        page_no = params.integer("page", 1, 100_000) or 1
        query = CaseQuery(
            province=province,
            state=state,
            phase=phase,
            procedure=procedure,
            version=version,
            overdue_as_of=local_date(page.now) if overdue else None,
            opened_fy=fy,
            signed_fy=signed_fy,
        )
        found = self.library.search(query, (page_no - 1) * PAGE_SIZE, PAGE_SIZE)
        pages = max(1, math.ceil(found.total / PAGE_SIZE))
        if page_no > pages:
            raise NotFound(N_("page {page}: there are {pages}"), page=page_no, pages=pages)
        today = local_date(page.now)
        rows = [(c, self.library.time_in_step(c, today)) for c in found.cases]
        filters = {
            "province": params.text("province") if province != page.scope else None,
            "state": state,
            "phase": phase,
            "procedure": procedure,
            "version": version,
            "overdue": 1 if overdue else None,
            "fy": fy,
            "signed_fy": signed_fy,
        }
        return self.render(
            page,
            "cases.html",
            rows=rows,
            total=found.total,
            page_no=page_no,
            pages=pages,
            filters=filters,
            states=states,
            procedures=procedures,
            phase_labels=PHASE_LABELS,
            province=province,
        )

    def case(self, page: Page, params: Params) -> Response:
        reference = str(page.request.path_params["reference"])
        case = self.visible_case(page, reference)
        case, history = self.library.history(case.reference)
        definition = self.library.definition(case.procedure, case.version)
        plans = self.library.plans(case.reference)
        picture_error = None
        diagram = Markup("")
        steps: tuple[Any, ...] = ()
        try:
            picture = self.library.case_picture(case, history, page.now, page.lang)
            steps = picture.steps
            drawn = self.library.procedure_svg(case.procedure, case.version, page.lang, False)
            marked = svg.mark_path(drawn, picture)
            # Graphviz output of ``diagrams``, which escapes every label it draws.
            diagram = Markup(svg.inline(marked, page.t("path_alt", ref=case.reference)))  # noqa: S704
        except DiagramError as exc:
            picture_error = _one_line(exc, page.lang)
        return self.render(
            page,
            "case.html",
            case=case,
            history=history,
            definition=definition,
            state=definition.state(case.state),
            phase=PHASE_LABELS[definition.state(case.state).phase],
            in_step=self.library.time_in_step(case, local_date(page.now)),
            facts=self.library.facts(case.reference),
            next_steps=self.library.next_steps(case),
            documents=self.library.documents(history, plans),
            activities=self.library.activities(case.reference),
            plans=plans,
            diagram=diagram,
            picture_error=picture_error,
            steps=steps,
            field_label=lambda name: _field_label(definition, name),
            state_label=lambda sid: _state_label(definition, sid),
            trigger_label=lambda trig: _trigger_label(definition, trig),
            role_label=lambda rid: _role_label(definition, rid),
            fields_shown=_fields_shown,
        )

    def case_diagram(self, page: Page, params: Params) -> Response:
        case = self.visible_case(page, str(page.request.path_params["reference"]))
        case, history = self.library.history(case.reference)
        try:
            data = self.library.case_svg(case, history, page.now, page.lang)
        except DiagramError as exc:
            raise NotFound(_one_line(exc, page.lang)) from None
        return Response(data, media_type="image/svg+xml")

    def document(self, page: Page, params: Params) -> Response:
        case = self.visible_case(page, str(page.request.path_params["reference"]))
        digest = str(page.request.path_params["sha256"]).lower()
        case, history = self.library.history(case.reference)
        cited = [
            d for d in self.library.documents(history, self.library.plans(case.reference))
            if d.sha256 == digest
        ]  # fmt: skip
        if not cited:
            raise NotFound(
                N_("case {reference} cites no document {sha256}…"),
                reference=case.reference,
                sha256=digest[:12],
            )
        content = self.library.document(digest)
        name = cited[0].name or f"{digest[:12]}.bin"
        return Response(
            content,
            media_type="application/octet-stream",
            headers={
                "content-disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
                "content-security-policy": "sandbox",
                "x-sha256": digest,
            },
        )

    # ------------------------------------------------------------------ procedures
    def procedures(self, page: Page, params: Params) -> Response:
        procedures = self.library.procedures()
        name = params.choice("procedure", procedures) or "provincial"
        if name not in procedures:
            raise NotFound(N_("no procedure '{name}'"), name=name)
        version = params.integer("version", 1, 999) or max(procedures[name])
        if version not in procedures[name]:
            raise NotFound(
                N_("procedure {name} has no version {version}"), name=name, version=version
            )
        loaded = self.library.loaded(name, version)
        picture_error = None
        diagram = Markup("")
        try:
            drawn = self.library.procedure_svg(name, version, page.lang, True)
            alt = page.t("diagram_alt", name=page.label(loaded.definition.title), version=version)
            diagram = Markup(svg.inline(drawn, alt))  # noqa: S704 - as on the case page
        except DiagramError as exc:
            picture_error = _one_line(exc, page.lang)
        d = loaded.definition
        return self.render(
            page,
            "procedure.html",
            loaded=loaded,
            d=d,
            name=name,
            version=version,
            procedures=procedures,
            diagram=diagram,
            picture_error=picture_error,
            phase_labels=PHASE_LABELS,
            field_label=lambda f: _field_label(d, f),
            state_label=lambda sid: _state_label(d, sid),
            role_label=lambda rid: _role_label(d, rid),
            trigger_label=lambda trig: _trigger_label(d, trig),
        )

    # ------------------------------------------------------------------ audit
    def log_filter(self, page: Page, params: Params) -> LogFilter:
        case = params.text("case")
        if case is not None:
            case = case.upper()
        since, until = params.date("since"), params.date("until")
        if since and until and since > until:
            raise BadRequest(
                N_("since {since} is after until {until}"),
                since=since.isoformat(),
                until=until.isoformat(),
            )
        return LogFilter(
            case=case,
            officer=params.text("officer"),
            province=self.province_filter(page, params),
            trigger=params.text("trigger"),
            since=since,
            until=until,
        )

    _LOG_PARAMS = ("case", "officer", "province", "trigger", "since", "until")

    def audit(self, page: Page, params: Params) -> Response:
        flt = self.log_filter(page, params)
        before = params.integer("before", 1, 2**62)
        log = self.library.log(flt, before, LOG_PAGE_SIZE)
        definition = self.library.loaded("provincial").definition
        filters = {k: params.text(k) for k in self._LOG_PARAMS}
        if flt.province == page.scope:
            filters["province"] = None
        return self.render(
            page,
            "audit.html",
            verification=self.verifier.latest,
            verifying=self.verifier.running,
            verify_on=self.verifier.interval > 0,
            head=self.library.latest_signed_head(),
            log=log,
            before=before,
            filters=filters,
            field_label=lambda name: _field_label(definition, name),
            state_label=lambda sid: _state_label(definition, sid),
            trigger_label=lambda trig: _trigger_label(definition, trig),
            role_label=lambda rid: _role_label(definition, rid),
            fields_shown=_fields_shown,
        )

    def export(self, fmt: str) -> Callable[[Page, Params], Response]:
        def handler(page: Page, params: Params) -> Response:
            flt = self.log_filter(page, params)
            media = "text/csv" if fmt == "csv" else "application/x-ndjson"
            if page.request.method == "HEAD":  # asking about an export is not an export
                return Response(media_type=f"{media}; charset=utf-8")
            chosen: Any = fmt
            recorded = self.library.record_export(page.viewer, page.now, chosen, flt)
            chunks: Iterator[str] = self.library.export(chosen, flt, recorded.size)
            return StreamingResponse(
                chunks,
                media_type=f"{media}; charset=utf-8",
                headers={
                    "content-disposition": (
                        f'attachment; filename="sistercity-audit-{recorded.event_seq}.{fmt}"'
                    ),
                    "x-audit-export-seq": str(recorded.event_seq),
                },
            )

        return handler

    # ------------------------------------------------------------------ the application
    def routes(self) -> list[Route | Mount]:
        get = ["GET"]
        logs = self._LOG_PARAMS
        return [
            Route("/", self.route(("fy", "province"), self.dashboard), methods=get),
            Route(
                "/cases",
                self.route((*CASE_FILTERS, "page"), self.cases),
                methods=get,
            ),
            Route("/cases/{reference}", self.route((), self.case), methods=get),
            Route(
                "/cases/{reference}/diagram.svg",
                self.route((), self.case_diagram),
                methods=get,
            ),
            Route(
                "/cases/{reference}/documents/{sha256}",
                self.route((), self.document),
                methods=get,
            ),
            Route(
                "/procedures", self.route(("procedure", "version"), self.procedures), methods=get
            ),
            Route("/audit", self.route((*logs, "before"), self.audit), methods=get),
            Route("/audit/export.csv", self.route(logs, self.export("csv")), methods=get),
            Route("/audit/export.jsonl", self.route(logs, self.export("jsonl")), methods=get),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]

    def http_error(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            message = {404: "no such page", 405: "this view only reads (GET and HEAD)"}.get(
                exc.status_code, _one_line(exc)
            )
            response = self.error(request, exc.status_code, message)
            if exc.headers:
                response.headers.update(exc.headers)
            return response
        return self.error(request, 500, "internal error; the server log has the details")

    def build(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            self.verifier.start()
            try:
                yield
            finally:
                self.verifier.stop()
                self.library.close()

        app = Starlette(
            routes=self.routes(),
            middleware=[
                Middleware(SecurityHeaders),
                Middleware(
                    AccessGuard,
                    trusted_header=self.config.trusted_header,
                    trusted_proxies=self.config.trusted_proxies,
                ),
            ],
            exception_handlers={HTTPException: self.http_error, Exception: self.http_error},
            lifespan=lifespan,
        )
        app.state.web = self
        return app


def create_app(config: WebConfig) -> Starlette:
    """The ASGI application for *config* (refuses at once when no officer can be named)."""
    return WebApp(config).build()


# ---------------------------------------------------------------------- template helpers
def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def _field_label(definition: Any, name: str) -> Label | None:
    try:
        label: Label = definition.field(name).label
        return label
    except KeyError:
        return None


def _state_label(definition: Any, state_id: str | None) -> Label | None:
    if state_id is None:
        return None
    try:
        label: Label = definition.state(state_id).label
        return label
    except KeyError:
        return None


def _role_label(definition: Any, role_id: str | None) -> Label | None:
    if role_id is None:
        return None
    try:
        label: Label = definition.role(role_id).label
        return label
    except KeyError:
        return None


def _trigger_label(definition: Any, trigger: str | None) -> Label | None:
    for t in definition.transitions:
        if t.trigger == trigger:
            label: Label = t.label
            return label
    return None


def _fields_shown(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A record's fields as (name, text) pairs; documents by name and short hash."""
    shown: list[tuple[str, str]] = []
    for name, value in fields.items():
        shown.append((name, _value_text(value)))
    return shown


def _value_text(value: Any) -> str:
    if isinstance(value, Mapping) and "sha256" in value:
        return f"{value.get('name', '')} (sha256 {str(value['sha256'])[:12]}…)"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value_text(v) for v in value)
    if value is None:
        return "–"
    return str(value)
