"""Network mode: serve a plan folder to the harness app over HTTP and accept its report.

Standard library only (``http.server.ThreadingHTTPServer``). Safety rules:

* binds to 127.0.0.1 unless told otherwise (``--host 0.0.0.0`` for a phone on the
  same Wi-Fi; the CLI warns);
* a per-session token (``secrets.token_urlsafe``) is required on every request as
  ``Authorization: Bearer <token>``, compared in constant time (``hmac.compare_digest``);
  without it: 401 and nothing else;
* request bodies are capped (413 before reading), chunked bodies refused (411);
* only files the plan names can be downloaded: paths are checked (no ``..``, no
  absolute paths, no backslashes or NUL) and then looked up in a whitelist built
  at start-up, never joined blindly onto the folder;
* a report that is not JSON (400), does not match the schema, has an unknown
  ``schema_version`` or belongs to another plan (422) stores nothing; a report
  posted twice is stored once (ingest is serialized and de-duplicated).

Load: a thread per connection and a listen backlog of ``LISTEN_BACKLOG``, so a lab's phones
posting at once queue instead of being reset; a client that disconnects mid-request is one
``dropped`` event (one log line), never a traceback.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from ...core.errors import MobenchError, SchemaError, UsageError
from ...core.util import atomic_write_bytes, default_results_dir, sha256_path
from .constants import MAX_REPORT_BYTES, PLAN_FILE
from .ingest import ingest_report, run_sha256
from .plan import plan_files
from .schema import loads_json, read_json, validate_plan, validate_progress, validate_report

MAX_PROGRESS_BYTES = 64 * 1024
LISTEN_BACKLOG = 128  # socketserver's default of 5 resets the 6th client arriving at once
_DROPPED = (ConnectionError, TimeoutError)  # reset, broken pipe, aborted, timed out: the client went away


def lan_address() -> str:
    """This host's address on the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1, never routed
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def safe_relpath(path: str) -> str | None:
    """A normalized relative POSIX path, or None if it could escape the folder."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return "/".join(parts)


@dataclass
class ServerState:
    plan: dict[str, Any]
    token: str
    db: str | os.PathLike | None
    reports_dir: Path
    max_body: int = MAX_REPORT_BYTES
    files: dict[str, Path] = field(default_factory=dict)  # relative path -> local file
    listing: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reports: list[dict[str, Any]] = field(default_factory=list)  # ingest summaries, in order
    progress: dict[str, Any] | None = None
    on_event: Callable[[str, dict[str, Any]], None] | None = None

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if self.on_event:
            self.on_event(kind, data)


def _index_files(plan_dir: Path, plan: dict[str, Any]) -> tuple[dict[str, Path], list[dict[str, Any]]]:
    files: dict[str, Path] = {}
    for name in plan_files(plan):
        src = plan_dir / name
        if not src.exists():
            raise UsageError(f"the plan names {name} but {src} does not exist; re-run `mobench ios plan`")
        items = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
        for f in items:
            rel = f.relative_to(plan_dir).as_posix()
            if f.is_symlink() or safe_relpath(rel) is None:
                raise UsageError(f"{f} cannot be served (symlink or unsafe name)")
            files[rel] = f
    listing = [{"path": rel, "size": p.stat().st_size, "sha256": sha256_path(p)} for rel, p in files.items()]
    return files, listing


class _Handler(BaseHTTPRequestHandler):
    server_version = "mobench-ios"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds per socket operation: a stalled client cannot hold a thread forever

    @property
    def state(self) -> ServerState:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # never log tokens or bodies
        self.state.event("log", {"client": self.client_address[0], "message": format % args})

    # -- responses -------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes = b"", ctype: str = "application/json", extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_file(self, path: Path) -> None:
        """Stream a (possibly large) model file without reading it into memory."""
        import shutil

        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                shutil.copyfileobj(fh, self.wfile, 1 << 20)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode())

    def _error(self, status: int, message: str, *, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self._send(status, json.dumps({"error": message}).encode(), extra={"Connection": "close"} if close else None)

    # -- checks ------------------------------------------------------------------------
    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        ok = hmac.compare_digest(given.strip().encode(), self.state.token.encode()) and scheme.lower() == "bearer"
        if not ok:
            self.close_connection = True
            self._send(
                HTTPStatus.UNAUTHORIZED,
                b'{"error": "unauthorized"}',
                extra={"WWW-Authenticate": 'Bearer realm="mobench"', "Connection": "close"},
            )
        return ok

    def _body(self, cap: int) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self._error(
                HTTPStatus.LENGTH_REQUIRED, "send a Content-Length (chunked bodies are not accepted)", close=True
            )
            return None
        try:
            n = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._error(HTTPStatus.LENGTH_REQUIRED, "Content-Length required", close=True)
            return None
        if n < 0 or n > cap:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body larger than {cap} bytes", close=True)
            return None
        data = self.rfile.read(n)
        if len(data) != n:
            self._error(HTTPStatus.BAD_REQUEST, "body shorter than Content-Length", close=True)
            return None
        return data

    def _route(self) -> str:
        return unquote(urlsplit(self.path).path)

    # -- methods -----------------------------------------------------------------------
    def do_GET(self) -> None:
        if not self._authorized():
            return
        path = self._route()
        st = self.state
        if path == "/" + PLAN_FILE:
            plan = {k: v for k, v in st.plan.items() if k != "token"}
            addr = cast(tuple, self.server.server_address)  # an (host, port) TCP address
            host = self.headers.get("Host") or f"{addr[0]}:{addr[1]}"
            plan["report_url"] = f"http://{host}/report"
            self._json(HTTPStatus.OK, validate_plan(plan))
        elif path == "/files":
            self._json(HTTPStatus.OK, {"files": st.listing})
        elif path.startswith("/files/"):
            rel = safe_relpath(path[len("/files/") :])
            if rel is None:
                self._error(HTTPStatus.BAD_REQUEST, "bad file name")
                return
            local = st.files.get(rel)
            if local is None:
                self._error(HTTPStatus.NOT_FOUND, "no such file in the plan")
                return
            self._send_file(local)
        else:
            self._error(HTTPStatus.NOT_FOUND, "unknown path (GET /plan.json, /files, /files/<path>)")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if not self._authorized():
            return
        path = self._route()
        if path == "/report":
            self._post_report()
        elif path == "/progress":
            data = self._body(MAX_PROGRESS_BYTES)
            if data is None:
                return
            try:
                prog = validate_progress(loads_json(data, "progress"))
            except SchemaError as exc:
                self._error(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc))
                return
            self.state.progress = prog
            self.state.event("progress", prog)
            self._send(HTTPStatus.NO_CONTENT)
        else:
            self._error(HTTPStatus.NOT_FOUND, "unknown path (POST /report, /progress)")

    def _post_report(self) -> None:
        st = self.state
        data = self._body(st.max_body)
        if data is None:
            return
        try:
            report = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"not valid JSON: {exc}")
            return
        try:
            validate_report(report, st.plan, what="posted report")
        except SchemaError as exc:
            st.event("rejected", {"client": self.client_address[0], "error": str(exc)})
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc))
            return
        try:
            with st.lock:  # one ingest at a time: duplicate detection must see the previous one
                digest = run_sha256(report)[:12]
                atomic_write_bytes(st.reports_dir / f"{report['plan_id']}-{digest}.json", data)
                result = ingest_report(report, st.db, plan=st.plan, source=f"http {self.client_address[0]}")
        except MobenchError as exc:
            st.event("error", {"error": str(exc)})
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, f"could not store the report: {exc}")
            return
        summary = result.summary()
        st.reports.append({**summary, "plan_id": report["plan_id"], "run_ids": result.stored})
        st.event("report", {**summary, "plan_id": report["plan_id"], "runs": len(report["runs"])})
        self._json(HTTPStatus.OK, summary)

    def do_PUT(self) -> None:
        if self._authorized():
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")

    do_DELETE = do_PATCH = do_PUT


class PlanServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One event per failed connection instead of socketserver's traceback on stderr."""
        import sys

        exc = sys.exc_info()[1]
        client = client_address[0] if isinstance(client_address, tuple) else str(client_address)
        if isinstance(exc, _DROPPED):
            self.state.event("dropped", {"client": client, "error": f"{type(exc).__name__}: {exc}"})
        else:
            self.state.event("error", {"client": client, "error": f"{type(exc).__name__}: {exc}"})

    def __init__(self, state: ServerState, host: str, port: int) -> None:
        self.state = state
        try:
            super().__init__((host, port), _Handler)
        except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0-65535
            raise UsageError(
                f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}; choose another --port"
            ) from exc

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, host: str | None = None) -> str:
        h = host or self.server_address[0]
        if h in ("0.0.0.0", ""):
            h = lan_address()
        return f"http://{h}:{self.port}"


def make_server(
    plan_dir: str | os.PathLike,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    db: str | os.PathLike | None = None,
    reports_dir: str | os.PathLike | None = None,
    max_body: int = MAX_REPORT_BYTES,
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
) -> PlanServer:
    """A ready (bound, not yet serving) server for ``plan_dir``; call ``serve_forever()``."""
    plan_dir = Path(plan_dir)
    plan = validate_plan(read_json(plan_dir / PLAN_FILE), str(plan_dir / PLAN_FILE))
    if token is not None and len(token) < 16:
        raise UsageError("the token must have at least 16 characters (default: a fresh random one)")
    files, listing = _index_files(plan_dir, plan)
    state = ServerState(
        plan=plan,
        token=token or secrets.token_urlsafe(24),
        db=db,
        reports_dir=Path(reports_dir) if reports_dir is not None else default_results_dir() / "ios_reports",
        max_body=max_body,
        files=files,
        listing=listing,
        on_event=on_event,
    )
    return PlanServer(state, host, port)
