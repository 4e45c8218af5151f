"""The HTML pages: the patients' check (``/verify``, ``/v/<code>``) and the regulators' and
auditors' board (``/board…``, read-only, behind a token). Pages only render library records."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from fisco_drugtrace.drugtrace.audit.compliance import recall_schedule
from fisco_drugtrace.drugtrace.audit.report import report_to_json, report_to_markdown, rows_to_csv
from fisco_drugtrace.drugtrace.codes import code_problem
from fisco_drugtrace.errors import DrugTraceError, NotFound
from fisco_drugtrace.web.backend import Backend
from fisco_drugtrace.web.graph import trace_graph
from fisco_drugtrace.web.httperrors import status_for
from fisco_drugtrace.web.i18n import pick_lang, texts
from fisco_drugtrace.web.views import Verdict, fmt_ms, verify_view

__all__ = ["page_routes", "TEMPLATES"]

_log = logging.getLogger("fisco_drugtrace.web.pages")
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
_env.filters["when"] = fmt_ms


def _pdf_ok() -> bool:
    from fisco_drugtrace.drugtrace.audit.report_pdf import pdf_available

    return pdf_available() is None


#: the board links the PDF download only where it can be made (fpdf2 and a CJK font installed)
_PDF_OK = _pdf_ok()


def _backend(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]


def _lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    t = texts(lang)
    other = "en" if lang == "zh" else "zh"
    html = _env.get_template(name).render(t=t, lang=lang, other_lang=other, path=request.url.path,
                                          scanner=request.app.state.scanner_js is not None,
                                          sync=_backend(request).sync_status(), pdf=_PDF_OK, **context)
    return HTMLResponse(html, status_code=status)


# -- patients ----------------------------------------------------------------------------------
def _verify(backend: Backend, code: str, t: dict[str, str], lang: str) -> tuple[Any, int]:
    problem = code_problem(code)
    verifier = backend.verifier
    try:
        # from the code store and the audit index, as of its last block (drugtrace.served)
        result = verifier.verify(code)
    except DrugTraceError as exc:
        # Neither the index nor the chain can be read: never a verdict they do not back.
        return {"unavailable": str(exc.user_message or exc)}, status_for(exc)
    try:
        recalls = verifier.recalls()
        labels = verifier.labels()
    except DrugTraceError:
        recalls, labels = [], {}
    view = verify_view(result, labels=labels, recalls=recalls, scans=0, t=t, lang=lang)
    batch_hex = "0x" + result.batch_id.hex() if getattr(result, "batch_id", None) else None
    if problem is None:
        scans, _ = backend.store.record_scan(code, dispensed=bool(view.dispensed), batch_id=batch_hex)
        view = verify_view(result, labels=labels, recalls=recalls, scans=scans, t=t, lang=lang)
    return view, 200


async def verify_page(request: Request) -> Response:
    code = (request.path_params.get("code") or request.query_params.get("code") or "").strip()
    if not code:
        return _render(request, "verify.html", view=None, code="")
    if len(code) > 64:
        code = code[:64]
    lang = _lang(request)
    view, status = await run_in_threadpool(_verify, _backend(request), code, texts(lang), lang)
    if isinstance(view, dict):
        return _render(request, "verify.html", view=None, code=code, unavailable=view["unavailable"], status=503)
    return _render(request, "verify.html", view=view, code=code, Verdict=Verdict)


# -- login -------------------------------------------------------------------------------------
async def login_page(request: Request) -> Response:
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=4, max_part_size=1024)
        token = str(form.get("token") or "").strip()
        info = _backend(request).tokens.check(token)
        if info is None:
            return _render(request, "login.html", status=401, error=True, next=str(form.get("next") or "/board"))
        target = str(form.get("next") or "/board")
        if not target.startswith("/") or target.startswith("//"):
            target = "/board"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie("dt_token", token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", max_age=8 * 3600)
        return response
    return _render(request, "login.html", error=False, next=request.query_params.get("next", "/board"))


async def logout_page(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie("dt_token")
    return response


def _signed_in(request: Request) -> bool:
    token = request.cookies.get("dt_token")
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
    return _backend(request).tokens.check(token) is not None


def _need_login(request: Request) -> Response | None:
    if _signed_in(request):
        return None
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


# -- regulators and auditors -------------------------------------------------------------------
def _report(backend: Backend) -> Any:
    service = backend.service()
    return service.audit_report(sync=False), service.org_labels()


async def board_page(request: Request) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    try:
        report, labels = await run_in_threadpool(_report, _backend(request))
    except DrugTraceError as exc:
        return _render(request, "error.html", status=status_for(exc), message=str(exc.user_message or exc))
    compliance = {c.recall_id: c for c in report.compliance}
    completion = {c.recall_id: c for c in report.completion}
    # each case's notice and progress-report deadlines as of the report's moment (the library's rule)
    schedules = {c.recall_id: recall_schedule(c, report.generated_ms) for c in report.recalls}
    return _render(request, "board.html", report=report, compliance=compliance, completion=completion,
                   schedules=schedules, labels=labels, now=report.generated_ms)


def _alerts(backend: Backend) -> Any:
    return backend.service().audit_alerts(sync=False), backend.store.scan_alerts()


async def alerts_page(request: Request) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    try:
        chain_alerts, scan_alerts = await run_in_threadpool(_alerts, _backend(request))
    except DrugTraceError as exc:
        return _render(request, "error.html", status=status_for(exc), message=str(exc.user_message or exc))
    return _render(request, "alerts.html", alerts=chain_alerts, scan_alerts=scan_alerts)


def _where(backend: Backend, batch: str) -> Any:
    service = backend.service()
    return service.where_is(bytes.fromhex(batch[2:]), sync=False), service.org_labels()


async def batch_page(request: Request) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    batch = request.path_params["batch"].lower()
    if not (batch.startswith("0x") and len(batch) == 66 and all(c in "0123456789abcdef" for c in batch[2:])):
        return _render(request, "error.html", status=400, message="a batch id is 0x and 64 hex digits")
    where, labels = await run_in_threadpool(_where, _backend(request), batch)
    return _render(request, "batch.html", where=where, labels=labels)


def _unit(backend: Backend, code: str) -> Any:
    service = backend.service()
    # the code checked as patients' scans are, from the code store and the index: the trace then
    # needs no node (a code the index cannot vouch for is still asked of the chain)
    checked = backend.verifier.verify(code)
    return service.trace_unit(code, sync=False, checked=checked), service.org_labels()


async def unit_page(request: Request) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    code = request.path_params["code"].strip()[:64]
    try:
        trace, labels = await run_in_threadpool(_unit, _backend(request), code)
    except NotFound:
        return _render(request, "error.html", status=404,
                       message=f"no manifest held here lists {code}: import the batch's manifest first")
    except DrugTraceError as exc:
        return _render(request, "error.html", status=status_for(exc), message=str(exc.user_message or exc))
    return _render(request, "unit.html", trace=trace, code=code, labels=labels, svg=trace_graph(trace, labels))


async def report_download(request: Request) -> Response:
    if not _signed_in(request):
        return PlainTextResponse("a token is required", status_code=401)
    fmt = request.path_params["fmt"]
    try:
        report, labels = await run_in_threadpool(_report, _backend(request))
    except DrugTraceError as exc:
        return PlainTextResponse(str(exc), status_code=status_for(exc))
    if fmt == "json":
        return Response(report_to_json(report), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="audit-report.json"'})
    if fmt == "pdf":
        from fisco_drugtrace.drugtrace.audit.report_pdf import PdfUnavailable, report_to_pdf

        try:
            body = await run_in_threadpool(report_to_pdf, report, labels)
        except PdfUnavailable as exc:
            return PlainTextResponse(str(exc), status_code=501)
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="audit-report.pdf"'})
    if fmt == "md":
        return Response(report_to_markdown(report, labels), media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit-report.md"'})
    section = request.query_params.get("section", "recalls")
    if section not in ("recalls", "completion", "compliance", "alerts", "evidence"):
        return PlainTextResponse("unknown section", status_code=400)
    return Response(rows_to_csv(getattr(report, section)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="audit-{section}.csv"'})


def page_routes() -> list[Route]:
    return [
        Route("/", verify_page, methods=["GET"]),
        Route("/verify", verify_page, methods=["GET"]),
        Route("/v/{code}", verify_page, methods=["GET"]),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout_page, methods=["GET", "POST"]),
        Route("/board", board_page, methods=["GET"]),
        Route("/board/alerts", alerts_page, methods=["GET"]),
        Route("/board/batch/{batch}", batch_page, methods=["GET"]),
        Route("/board/unit/{code}", unit_page, methods=["GET"]),
        Route("/board/report.{fmt:str}", report_download, methods=["GET"]),
    ]
