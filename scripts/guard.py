"""What the server lets a visitor do before the dashboard's own pages are reached (make run installs it).

The pages check roles (ui.visitor, ui.require), but Streamlit's server answers some requests without running a page:

- an upload (PUT /_stcore/upload_file/<session>/<file>): accepted only into the session of a signed-in admin, sent
  with that admin's own sign-in cookie, or from this computer when the dashboard is single-user (no [auth]). A
  session holds at most MAX_FILES_PER_SESSION files and session_byte_limit() bytes, the server server_byte_limit()
  in all; one file at most server.maxUploadSize megabytes (.streamlit/config.toml). DELETE is held to the same rule.
- a "clear cache" message (which empties every user's caches): ignored unless it comes from an admin's session.
- /_stcore/metrics: answered only to an admin's sign-in cookie (or this computer when single-user), 403 otherwise.
- a session whose browser has gone is kept server.disconnectedSessionTTL seconds for a reconnect, then shut down,
  which frees its uploaded files (Streamlit's own store forgets such a session without shutting it down).

Roles are decided as ui.visitor decides them (analytics.surface.access, [auth] and [roles] in the secrets Streamlit reads);
a mistake in those settings refuses everything. Each patch names the Streamlit version it was checked against;
install() stops the start if a patch point is missing, and tests/test_server_guard.py fails if one stops working.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Mapping

from analytics.common.errors import AccessConfigError
from analytics.surface import access

log = logging.getLogger("retention.guard")

STREAMLIT_CHECKED = "1.67.0"  # every patch below was read against this version's source
MAX_FILES_PER_SESSION = 4  # the Data page's three uploaders (employees, mentorships, logo) and one being replaced
MAX_SESSIONS_KEPT = 128  # sessions whose browser has gone, kept for a reconnect (Streamlit's own number)
_installed = False


def _mb(option: str) -> int:
    from streamlit import config
    return int(config.get_option(option)) * 1024 * 1024


def session_byte_limit() -> int:
    """Two data files of the largest size a file may have, and room for a logo."""
    return 2 * _mb("server.maxUploadSize") + 8 * 1024 * 1024


def server_byte_limit() -> int:
    """Two sessions loading at once."""
    return 2 * session_byte_limit()


# ---------------------------------------------------------------- who is asking

class _Closed(Exception):
    """The sign-in settings cannot be read: nobody may do anything guarded."""


def _section(name: str) -> Mapping | None:
    from streamlit.runtime.secrets import secrets_singleton
    try:
        return secrets_singleton[name] if name in secrets_singleton else None
    except Exception as exc:
        # Streamlit 1.67.0 raises StreamlitSecretNotFoundError (a FileNotFoundError) both when there is no secrets
        # file, error_id "no-secrets-found", which is single-user, and when one is not valid TOML: that fails closed.
        if isinstance(exc, FileNotFoundError) and getattr(exc, "error_id", "no-secrets-found") == "no-secrets-found":
            return None
        raise _Closed(str(exc)) from exc


def _settings() -> tuple[Mapping | None, access.Roles | None]:
    """[auth] (None: single-user) and the roles; _Closed when either has a mistake."""
    auth = _section("auth")
    if auth is None:
        return None, None
    try:
        access.check_auth(auth)
        return auth, access.parse_roles(_section("roles"))
    except AccessConfigError as exc:
        raise _Closed(str(exc)) from exc


def role_of(user: Mapping[str, Any] | None, remote_ip: str | None) -> str | None:
    """The role of whoever a session or a sign-in cookie belongs to (None: nobody allowed), as ui.visitor decides."""
    try:
        auth, roles = _settings()
    except _Closed:
        return None
    if auth is None:
        return access.ADMIN if access.is_loopback(remote_ip) else None
    if not user or user.get("is_logged_in") is not True:
        return None
    verified = user.get("email_verified")
    if isinstance(verified, str):
        verified = verified.strip().lower() == "true"
    return roles.role_for(user.get("email"), verified)


def cookie_user(cookies: Mapping[str, str]) -> dict | None:
    """The person a request's sign-in cookie names, checked as Streamlit checks it when a browser connects
    (its signature with cookie_secret, and the dashboard's own address in it); None without a valid one."""
    # Streamlit 1.67.0: starlette_websocket._get_signed_cookie_with_chunks / _parse_decoded_user_cookie are what the
    # websocket handler uses to read st.user from the cookie; auth_util.get_origin_from_redirect_uri gives the address.
    from streamlit.auth_util import get_origin_from_redirect_uri
    from streamlit.web.server.starlette import starlette_websocket as ws
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
    try:
        raw = ws._get_signed_cookie_with_chunks(dict(cookies), USER_COOKIE_NAME)
        origin = get_origin_from_redirect_uri()
        if not raw or not origin:
            return None
        return ws._parse_decoded_user_cookie(raw, origin) or None
    except Exception:  # a cookie that cannot be read names nobody
        log.warning("a sign-in cookie could not be read", exc_info=True)
        return None


def _request_is_admin(request) -> bool:
    """A request made by an admin: their own sign-in cookie, or this computer when single-user."""
    ip = request.client.host if request.client else None
    user = cookie_user(request.cookies) if _signed_in_mode() else None
    return role_of(user, ip) == access.ADMIN


def _signed_in_mode() -> bool:
    try:
        return _settings()[0] is not None
    except _Closed:
        return True


def session_user(runtime, session_id: str) -> tuple[Mapping[str, Any] | None, str | None]:
    """The identity a session was opened with (st.user) and the address its browser connects from."""
    # Streamlit 1.67.0: AppSession keeps st.user's dict in _user_info (cleared on sign-out); the session's client
    # has client_context.remote_ip, which st.context.ip_address reads.
    session = runtime.get_app_session(session_id)
    if session is None:
        return None, None
    user = getattr(session, "_user_info", None)
    client = runtime.get_client(session_id)
    context = getattr(client, "client_context", None)
    return (dict(user) if isinstance(user, Mapping) else None), getattr(context, "remote_ip", None)


def session_is_admin(runtime, session_id: str) -> bool:
    user, ip = session_user(runtime, session_id)
    return role_of(user, ip) == access.ADMIN


# ---------------------------------------------------------------- uploads

def _refused(status: int, why: str):
    from starlette.responses import PlainTextResponse
    log.warning("refused: %s", why)
    return PlainTextResponse(why, status_code=status)


def _held(upload_mgr, session_id: str | None = None) -> tuple[int, int]:
    """Files and bytes held for one session (or for every session)."""
    # Streamlit 1.67.0: MemoryUploadedFileManager.file_storage maps session id -> file id -> UploadedFileRec.
    with getattr(upload_mgr, "_lock", None) or contextlib.nullcontext():
        sessions = [upload_mgr.file_storage.get(session_id, {})] if session_id else list(upload_mgr.file_storage.values())
        files = [f for held in sessions for f in held.values()]
    return len(files), sum(len(f.data) for f in files)


def _may_upload(request, runtime) -> bool:
    session_id = request.path_params.get("session_id", "")
    if not session_is_admin(runtime, session_id):
        return False
    if not _signed_in_mode():  # the single user: the request, like the session, comes from this computer
        return access.is_loopback(request.client.host if request.client else None)
    user, _ = session_user(runtime, session_id)  # the request is sent by the same admin, with their own cookie
    sender = cookie_user(request.cookies)
    return bool(sender and user and access.normalise_email(sender.get("email")) == access.normalise_email(user.get("email"))
                and role_of(sender, None) == access.ADMIN)


def guard_upload_routes(routes: list, runtime, upload_mgr) -> list:
    """The upload routes, each endpoint behind the rules above."""
    from starlette.routing import Route

    sending: dict[str, int] = {}  # uploads of each session still arriving: counted with the files it holds

    def guarded(endpoint, method: str):
        async def put(request):
            if not _may_upload(request, runtime):
                return _refused(403, "Uploads are for a signed-in admin.")
            session_id, file_id = request.path_params["session_id"], request.path_params["file_id"]
            files, size = _held(upload_mgr, session_id)
            replacing = file_id in upload_mgr.file_storage.get(session_id, {})
            if files + sending.get(session_id, 0) >= MAX_FILES_PER_SESSION and not replacing:
                return _refused(413, f"A session holds at most {MAX_FILES_PER_SESSION} uploaded files.")
            length = request.headers.get("content-length", "")
            if length.isdigit() and size + int(length) > session_byte_limit() + 1024 * 1024:  # multipart framing
                return _refused(413, "This session has uploaded as much as it may hold.")
            sending[session_id] = sending.get(session_id, 0) + 1
            try:
                response = await endpoint(request)
            finally:
                sending[session_id] -= 1
                if not sending[session_id]:
                    del sending[session_id]
            if response.status_code < 300:  # counted again once stored: a body without Content-Length, or a race
                if _held(upload_mgr, session_id)[1] > session_byte_limit():
                    upload_mgr.remove_file(session_id=session_id, file_id=file_id)
                    return _refused(413, "This session has uploaded as much as it may hold.")
                if _held(upload_mgr)[1] > server_byte_limit():
                    upload_mgr.remove_file(session_id=session_id, file_id=file_id)
                    return _refused(413, "The server holds as many uploaded bytes as it may; try again later.")
            return response

        async def delete(request):
            if not _may_upload(request, runtime):
                return _refused(403, "Uploads are for a signed-in admin.")
            return await endpoint(request)
        return put if method == "PUT" else delete

    out = []
    for route in routes:
        methods = set(getattr(route, "methods", None) or ())
        method = "PUT" if "PUT" in methods else "DELETE" if "DELETE" in methods else None
        out.append(Route(route.path, guarded(route.endpoint, method), methods=[method]) if method else route)
    return out


def guard_metrics_routes(routes: list) -> list:
    from starlette.routing import Route

    def guarded(endpoint):
        async def metrics(request):
            if not _request_is_admin(request):
                return _refused(403, "The server's metrics are for a signed-in admin.")
            return await endpoint(request)
        return metrics

    return [Route(r.path, guarded(r.endpoint), methods=sorted(r.methods - {"HEAD"}))
            if "GET" in (getattr(r, "methods", None) or ()) else r for r in routes]


# ---------------------------------------------------------------- sessions whose browser has gone

class ClosingSessionStorage:
    """Streamlit's SessionStorage (get, save, delete, list): a session whose browser has gone is kept ttl_seconds
    for a reconnect, then shut down, which frees its uploaded files, media and session caches. Streamlit 1.67.0's
    MemorySessionStorage drops such a session without shutting it down, so its files stay in memory for good."""

    def __init__(self, maxsize: int = MAX_SESSIONS_KEPT, ttl_seconds: int = 120) -> None:
        self._maxsize, self._ttl = maxsize, ttl_seconds
        self._kept: OrderedDict[str, tuple[Any, float]] = OrderedDict()  # oldest first
        self._lock = threading.RLock()  # list() is also read by the metrics, off the event loop

    def _shut_down(self, info) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:  # AppSession.shutdown belongs on the event loop, after the caller's own lock is let go
            loop.call_soon(self._shut_down_now, info)
        else:
            self._shut_down_now(info)

    @staticmethod
    def _shut_down_now(info) -> None:
        try:
            info.session.shutdown()
        except Exception:
            log.exception("a session could not be shut down")

    def reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            gone = [sid for sid, (_, until) in self._kept.items() if until <= now]
            infos = [self._kept.pop(sid)[0] for sid in gone]
        for info in infos:
            self._shut_down(info)

    def get(self, session_id: str):
        self.reap()
        with self._lock:
            entry = self._kept.get(session_id)
        return entry[0] if entry else None

    def save(self, session_info) -> None:
        self.reap()
        with self._lock:
            self._kept.pop(session_info.session.id, None)
            self._kept[session_info.session.id] = (session_info, time.monotonic() + self._ttl)
            over = [self._kept.popitem(last=False)[1][0] for _ in range(max(0, len(self._kept) - self._maxsize))]
        for info in over:
            self._shut_down(info)
        try:
            asyncio.get_running_loop().call_later(self._ttl + 1, self.reap)
        except RuntimeError:  # no event loop (not served): reaped on the next save or get
            pass

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._kept.pop(session_id, None)

    def list(self) -> list:
        now = time.monotonic()
        with self._lock:
            return [info for info, until in self._kept.values() if until > now]


def _storage_class(maxsize: int = MAX_SESSIONS_KEPT, ttl_seconds: int = 120) -> ClosingSessionStorage:
    return ClosingSessionStorage(maxsize=maxsize, ttl_seconds=ttl_seconds)


# ---------------------------------------------------------------- install

def install() -> None:
    """Put the guards in place; before Streamlit's server starts (scripts/serve.py). RuntimeError, and nothing
    starts, when this Streamlit is not laid out as the version the patches were written for."""
    global _installed
    if _installed:
        return
    import streamlit
    from streamlit.runtime import runtime as runtime_module
    from streamlit.web.server import server as server_module
    from streamlit.web.server.starlette import starlette_app, starlette_routes, starlette_websocket

    needed = {
        "starlette_app.create_upload_routes": getattr(starlette_app, "create_upload_routes", None),
        "starlette_app.create_metrics_routes": getattr(starlette_app, "create_metrics_routes", None),
        "server.MemorySessionStorage": getattr(server_module, "MemorySessionStorage", None),
        "Runtime.handle_backmsg": getattr(runtime_module.Runtime, "handle_backmsg", None),
        "Runtime.get_app_session": getattr(runtime_module.Runtime, "get_app_session", None),
        "starlette_websocket._get_signed_cookie_with_chunks": getattr(starlette_websocket,
                                                                      "_get_signed_cookie_with_chunks", None),
        "starlette_websocket._parse_decoded_user_cookie": getattr(starlette_websocket, "_parse_decoded_user_cookie", None),
    }
    missing = [name for name, found in needed.items() if found is None]
    if missing:
        raise RuntimeError(f"Streamlit {streamlit.__version__} does not have {', '.join(missing)}: the server's guards "
                           f"were written for Streamlit {STREAMLIT_CHECKED} (scripts/guard.py).")

    # Streamlit 1.67.0: starlette_app.create_streamlit_routes calls these two by their names in starlette_app's
    # namespace when the server starts; each returns Route objects whose endpoint answers the request.
    make_uploads, make_metrics = starlette_routes.create_upload_routes, starlette_routes.create_metrics_routes

    def create_upload_routes(runtime, upload_mgr, base_url):
        return guard_upload_routes(make_uploads(runtime, upload_mgr, base_url), runtime, upload_mgr)

    def create_metrics_routes(runtime, base_url):
        return guard_metrics_routes(make_metrics(runtime, base_url))

    for module in (starlette_app, starlette_routes):
        module.create_upload_routes = create_upload_routes
        module.create_metrics_routes = create_metrics_routes

    # Streamlit 1.67.0: Server.__init__ builds MemorySessionStorage(ttl_seconds=server.disconnectedSessionTTL).
    server_module.MemorySessionStorage = _storage_class

    # Streamlit 1.67.0: Runtime.handle_backmsg hands every browser message to the session; clear_cache empties
    # st.cache_data and st.cache_resource for everyone (AppSession._handle_clear_cache_request).
    handle_backmsg = runtime_module.Runtime.handle_backmsg

    def guarded_handle_backmsg(self, session_id, msg, *args, **kwargs):
        if msg.WhichOneof("type") == "clear_cache" and not session_is_admin(self, session_id):
            log.warning("refused: a clear-cache request from a session that is not an admin's")
            return None
        return handle_backmsg(self, session_id, msg, *args, **kwargs)

    guarded_handle_backmsg.__wrapped__ = handle_backmsg
    runtime_module.Runtime.handle_backmsg = guarded_handle_backmsg
    if streamlit.__version__ != STREAMLIT_CHECKED:
        log.warning("Streamlit %s: the server's guards were checked against %s (make test checks them again)",
                    streamlit.__version__, STREAMLIT_CHECKED)
    _installed = True
