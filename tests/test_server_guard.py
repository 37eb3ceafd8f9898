"""The server's own guards (scripts/guard.py), over HTTP and the websocket, against the dashboard started as `make run`
starts it (scripts/serve.py), with sign-in set up against a real OpenID Connect provider process (oidc-provider-mock).

The attacker's requests, from the sign-in screen with its session id and XSRF cookie: an upload is refused, and so
is a request for the server's metrics; a clear-cache message leaves a signed-in user's caches as they were. An
admin's uploads are held to a number of files and of bytes, and are freed when the session ends; the single user of
a dashboard without sign-in still uploads, within the same limits. No browser is needed: the requests are what a
browser would send (test_browser_sign_in.py sends them from headless Chromium).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

from tests.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
USERS = {"ada@example.com": "Ada Admin", "bo@example.com": "Bo Analyst", "dee@example.com": "Dee Viewer"}
MAX_UPLOAD_MB = 10  # server.maxUploadSize for these servers: a session then holds at most 2 x 10 MB + 8 MB
SESSION_TTL = 3  # server.disconnectedSessionTTL: seconds a session whose browser has gone is kept
METRICS_TTL = 5.5  # Streamlit recomputes the cache sizes it reports at most every 5 seconds


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """A real OpenID Connect provider: any client id, a login form that asks for the user's subject."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{url}/.well-known/openid-configuration", proc, log_path)
            for email, name in USERS.items():  # the claims each user's ID token carries
                request = urllib.request.Request(f"{url}/users/{urllib.parse.quote(email)}", method="PUT",
                                                 data=json.dumps({"email": email, "name": name}).encode(),
                                                 headers={"Content-Type": "application/json"})
                assert urllib.request.urlopen(request, timeout=10).status == 204
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def sign_in_secrets(provider: str) -> str:
    """docs/serving.md's settings, for this provider; {port} is the dashboard's own."""
    return f"""
[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "{'c0ffee' * 8}"
client_id = "retention-dashboard"
client_secret = "not-a-real-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[roles]
admins = ["ada@example.com"]
analysts = ["bo@example.com"]
"""


@contextlib.contextmanager
def served(folder: Path, db: Path, secrets: str | None = None, **settings: str):
    """The dashboard as `make run` starts it (scripts/serve.py) on a free local port, with its own database; sign-in
    set up from `secrets` (Streamlit's STREAMLIT_SECRETS_FILES), else single-user; `settings`: Streamlit's own
    STREAMLIT_* variables."""
    port = free_port()
    secrets_file = folder / "secrets.toml"  # not written for a single-user dashboard: no secrets at all
    if secrets is not None:
        secrets_file.write_text(secrets.replace("{port}", str(port)))
    env = dict(os.environ, RETENTION_DB=str(db), OPENBLAS_NUM_THREADS="1", RETENTION_ADDRESS="127.0.0.1",
               STREAMLIT_SECRETS_FILES=str(secrets_file), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", **settings)
    log_path = folder / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{url}/_stcore/health", proc, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _copy_of(demo_db: Path, folder: Path) -> Path:
    db = folder / "dashboard.duckdb"
    shutil.copy(demo_db, db)
    return db


@pytest.fixture(scope="module")
def secured(tmp_path_factory, provider, demo_db):
    folder = tmp_path_factory.mktemp("guarded")
    with served(folder, _copy_of(demo_db, folder), sign_in_secrets(provider),
                STREAMLIT_SERVER_MAX_UPLOAD_SIZE=str(MAX_UPLOAD_MB),
                STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(SESSION_TTL)) as url:
        yield url


@pytest.fixture(scope="module")
def single_user(tmp_path_factory, demo_db):
    folder = tmp_path_factory.mktemp("single-user")
    with served(folder, _copy_of(demo_db, folder), STREAMLIT_SERVER_MAX_UPLOAD_SIZE=str(MAX_UPLOAD_MB),
                STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(SESSION_TTL)) as url:
        yield url


# ---------------------------------------------------------------- a browser's requests, without a browser

class Tab:
    """One browser tab: the page's cookies (an XSRF cookie, and the sign-in cookie once signed in) and its websocket
    session, which runs the dashboard's script and sends what the page would send."""

    def __init__(self, url: str, http: requests.Session | None = None):
        self.url, self.http = url, http or requests.Session()
        self.http.get(f"{url}/_stcore/health", timeout=30).raise_for_status()  # sets the XSRF cookie, as the page does
        self.xsrf = self.http.cookies.get("_streamlit_xsrf")
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        self._open = contextlib.ExitStack()
        self.ws = self._open.enter_context(connect(
            url.replace("http://", "ws://") + "/_stcore/stream", origin=url, max_size=None,
            subprotocols=["streamlit", self.xsrf], additional_headers={"Cookie": cookies}))
        self.session_id: str | None = None
        self.texts: list[str] = []
        self.buttons: dict[str, str] = {}  # label: widget id
        self.redirect: str | None = None

    def run(self, **triggers: bool) -> Tab:
        """The script run a page load (or a click: the button's label, as in sign_in=True) asks for, read to its end."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        for label, value in triggers.items():
            widget = msg.rerun_script.widget_states.widgets.add()
            widget.id, widget.trigger_value = self.buttons[label], value
        self.send(msg)
        self.texts, self.buttons = [], {}
        deadline = time.time() + 180
        while time.time() < deadline:
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=180))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id or self.session_id
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                if element.WhichOneof("type") == "button":
                    self.buttons[element.button.label] = element.button.id
                elif element.WhichOneof("type") in ("markdown", "heading"):
                    self.texts.append(getattr(element, element.WhichOneof("type")).body)
            elif kind == "auth_redirect":
                self.redirect = fwd.auth_redirect.url
            elif kind == "script_finished":
                return self
        raise AssertionError("the script did not finish")

    def send(self, msg: BackMsg) -> None:
        self.ws.send(msg.SerializeToString())

    def clear_cache(self) -> None:
        msg = BackMsg()
        msg.clear_cache = True
        self.send(msg)

    def upload(self, data: bytes, name: str = "employees.csv", file_id: str | None = None) -> int:
        """PUT a file into this tab's session, as the file uploader does: the status code."""
        file_id = file_id or f"file-{time.monotonic_ns()}"
        response = self.http.put(f"{self.url}/_stcore/upload_file/{self.session_id}/{file_id}",
                                 files={"file": (name, data, "text/csv")}, headers={"X-Xsrftoken": self.xsrf},
                                 timeout=120)
        return response.status_code

    def close(self) -> None:
        self._open.close()


def sign_in(url: str, email: str) -> requests.Session:
    """Sign in as a person does: the sign-in screen's button, the provider's form, back to the dashboard; the
    cookies that hold the signed-in identity."""
    tab = Tab(url).run()
    tab.run(**{"Sign in": True})
    assert tab.redirect, "Sign in did not lead to the provider"
    tab.close()
    form = tab.http.get(urllib.parse.urljoin(url, tab.redirect), timeout=30)  # the provider's login form
    done = tab.http.post(form.url, data={"sub": email}, timeout=60)  # back through /oauth2callback to the dashboard
    assert done.ok and "_streamlit_user" in tab.http.cookies, done.status_code
    return tab.http


def cache_sizes(url: str, http: requests.Session) -> dict[str, int]:
    """The bytes each st.cache_data / st.cache_resource function holds, from the server's metrics (an admin's)."""
    response = http.get(f"{url}/_stcore/metrics", params={"families": "cache_memory_bytes"}, timeout=30)
    assert response.status_code == 200, response.status_code
    found = {}
    for line in response.text.splitlines():
        m = re.match(r'cache_memory_bytes\{cache_type="([^"]+)",cache="([^"]*)"\} (\d+)', line)
        if m:
            found[f"{m[1]}:{m[2]}"] = found.get(f"{m[1]}:{m[2]}", 0) + int(m[3])
    return found


def uploaded_bytes(url: str, http: requests.Session) -> int:
    return sum(v for k, v in cache_sizes(url, http).items() if k.startswith("UploadedFileManager"))


@pytest.fixture(scope="module")
def ada(secured):
    return sign_in(secured, "ada@example.com")


# ---------------------------------------------------------------- the attacker's requests

def test_an_anonymous_upload_is_refused(secured):
    tab = Tab(secured).run()
    assert "Sign in" in tab.buttons and tab.session_id  # the sign-in screen, and its session
    assert tab.upload(b"employee_id\n" + b"1\n" * 1000) == 403
    tab.close()


def test_an_analyst_may_not_upload_either(secured):
    bo = sign_in(secured, "bo@example.com")
    tab = Tab(secured, bo).run()
    assert tab.upload(b"employee_id\n1\n") == 403
    tab.close()


def test_the_metrics_are_not_for_anonymous_visitors_or_analysts(secured, ada):
    assert requests.get(f"{secured}/_stcore/metrics", timeout=30).status_code == 403
    assert requests.get(f"{secured}/_stcore/metrics", cookies={"_streamlit_user": "forged"}, timeout=30).status_code == 403
    bo = sign_in(secured, "bo@example.com")
    assert bo.get(f"{secured}/_stcore/metrics", timeout=30).status_code == 403
    assert ada.get(f"{secured}/_stcore/metrics", timeout=30).status_code == 200


def test_a_clear_cache_from_the_sign_in_screen_leaves_everyones_caches(secured, ada):
    admin = Tab(secured, ada).run()  # Ada's Overview fills the caches
    assert any("Is mentoring keeping people?" in t for t in admin.texts), admin.texts[:5]
    time.sleep(METRICS_TTL)
    before = cache_sizes(secured, ada)
    filled = {k for k in before if k.startswith("st_cache_data")}
    assert filled, before

    attacker = Tab(secured).run()
    attacker.clear_cache()
    attacker.run()  # the message has been handled once the next run has finished
    time.sleep(METRICS_TTL)
    after = cache_sizes(secured, ada)
    assert filled <= set(after), sorted(filled - set(after))

    admin.clear_cache()  # an admin may still clear them (no run after it: a run of Ada's page would fill them again)
    time.sleep(1 + METRICS_TTL)
    assert not filled <= set(cache_sizes(secured, ada))
    admin.close()
    attacker.close()


def test_an_admins_uploads_are_limited_in_number_and_size(secured, ada):
    tab = Tab(secured, ada).run()
    big = b"a" * (MAX_UPLOAD_MB - 1) * 1024 * 1024  # as large as a file may be, less the request's own framing
    assert [tab.upload(big) for _ in range(4)] == [204, 204, 204, 413]  # 36 MB: more than a session may hold
    assert tab.upload(b"b" * (MAX_UPLOAD_MB * 1024 * 1024 + 1)) == 413  # larger than one file may be (Streamlit's own)
    assert tab.upload(b"c" * 1000) == 204
    assert tab.upload(b"d" * 1000) == 413  # a fifth file
    tab.close()


def test_an_admins_uploads_are_freed_when_the_session_ends(secured, ada):
    time.sleep(SESSION_TTL + METRICS_TTL)  # sessions of the tests before have ended
    held = uploaded_bytes(secured, ada)
    tab = Tab(secured, ada).run()
    assert tab.upload(b"x" * 3_000_000) == 204
    time.sleep(METRICS_TTL)
    assert uploaded_bytes(secured, ada) >= held + 3_000_000
    tab.close()  # the browser goes; its session is kept SESSION_TTL seconds for a reconnect, then shut down
    time.sleep(SESSION_TTL + 2 + METRICS_TTL)
    assert uploaded_bytes(secured, ada) == 0


# ---------------------------------------------------------------- the single user of a dashboard without sign-in

def test_the_single_user_uploads_within_the_same_limits(single_user):
    tab = Tab(single_user).run()
    assert any("Is mentoring keeping people?" in t for t in tab.texts)  # no sign-in: the dashboard itself
    assert [tab.upload(b"employee_id\n1\n") for _ in range(5)] == [204] * 4 + [413]
    assert requests.get(f"{single_user}/_stcore/metrics", timeout=30).status_code == 200  # this computer's admin
    tab.close()


# ---------------------------------------------------------------- the patches, against this Streamlit

def test_the_guards_find_what_they_patch_in_this_streamlit():
    """guard.install() checks each patch point is there; this checks it is still what the patch expects."""
    import inspect

    import streamlit
    from streamlit.runtime import app_session
    from streamlit.web.server import server
    from streamlit.web.server.starlette import starlette_app, starlette_routes

    from scripts import guard

    source = inspect.getsource(starlette_app.create_streamlit_routes)
    assert "create_upload_routes(runtime, upload_mgr, base_url)" in source
    assert "create_metrics_routes(runtime, base_url)" in source
    assert "MemorySessionStorage(" in inspect.getsource(server.Server.__init__)
    assert "clear_cache" in inspect.getsource(app_session.AppSession.handle_backmsg)
    assert "self._user_info = user_info" in inspect.getsource(app_session.AppSession.__init__)
    assert set(inspect.signature(starlette_routes.create_upload_routes).parameters) == {"runtime", "upload_mgr",
                                                                                      "base_url"}
    assert streamlit.__version__ == guard.STREAMLIT_CHECKED, (
        f"Streamlit {streamlit.__version__}: read scripts/guard.py's patches against it, then set STREAMLIT_CHECKED")


def test_make_run_checks_the_secrets_files_streamlit_is_told_to_read(monkeypatch, tmp_path):
    from scripts import serve

    named = tmp_path / "secrets.toml"
    named.write_text('[roles]\nadmins = ["ada@example.com"]\n')
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", f"{tmp_path / 'missing.toml'} {named}")
    assert serve.read_secrets() == {"roles": {"admins": ["ada@example.com"]}}
    monkeypatch.delenv("STREAMLIT_SECRETS_FILES")
    assert serve.secrets_paths() == serve.SECRETS
