"""The web service (``fisco-drugtrace serve``): the patients' verification page, the regulators'
and auditors' board, and a JSON API over every ``TraceService`` operation, on Starlette.

Layering: the web service sits beside the CLI, over :mod:`fisco_drugtrace.drugtrace`; it renders
what the service returns and has no rules of its own.
"""

from fisco_drugtrace.web.app import create_app, find_scanner_js
from fisco_drugtrace.web.backend import Backend, SyncStatus
from fisco_drugtrace.web.operations import OPERATIONS, openapi_schema
from fisco_drugtrace.web.store import ScanAlert, WebStore
from fisco_drugtrace.web.tokens import SCOPES, TokenInfo, TokenStore

__all__ = ["create_app", "find_scanner_js", "Backend", "SyncStatus", "OPERATIONS", "openapi_schema",
           "ScanAlert", "WebStore", "SCOPES", "TokenInfo", "TokenStore"]
