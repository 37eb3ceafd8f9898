"""Sign-in and roles: who may open what (analytics.surface.access), the pages each role is shown (AppTest), and
where the dashboard listens (scripts/serve.py). The browser tests against a real OpenID Connect
provider are in test_browser_sign_in.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.surface import access
from analytics.words import wording
from tests.test_app import shown
from analytics.common.errors import AccessConfigError
from scripts import serve

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s" * 40
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": SECRET,
        "client_id": "retention", "client_secret": "x", "server_metadata_url": "http://127.0.0.1:9/.well-known/x"}
ROLES = {"admins": ["ada@example.com"], "analysts": ["@analytics.example.com", "bo@example.com"]}


# ---------------------------------------------------------------- the rules

@pytest.mark.parametrize("email, verified, role", [
    ("ada@example.com", None, "admin"),
    ("ADA@Example.com ", True, "admin"),              # addresses match whatever their case and spaces
    ("ada@example.com", False, "viewer"),             # an unverified address earns no more than a viewer's role
    ("bo@example.com", None, "analyst"),
    ("cy@analytics.example.com", None, "analyst"),    # a whole domain
    ("cy@evil-analytics.example.com", None, "viewer"),  # not that domain
    ("cy@analytics.example.com.evil.io", None, "viewer"),
    ("dee@example.com", None, "viewer"),              # anyone else signed in
    (None, None, "viewer"),                           # signed in, no address given: a viewer
    ("not an address", None, "viewer"),
])
def test_roles_from_the_roles_section(email, verified, role):
    assert access.parse_roles(ROLES).role_for(email, verified) == role


def test_a_viewers_list_names_everyone_else_allowed_in():
    roles = access.parse_roles({**ROLES, "viewers": ["@example.com"]})
    assert roles.role_for("dee@example.com") == "viewer"
    assert roles.role_for("ada@example.com") == "admin"
    assert roles.role_for("eve@elsewhere.org") is None
    assert roles.role_for(None) is None


@pytest.mark.parametrize("section, words", [
    ({"admin": ["ada@example.com"]}, "takes only admins, analysts, viewers"),   # a misspelt list is not ignored
    ({"admins": "ada@example.com, bo@example.com"}, "'ada@example.com, bo@example.com' is not an email"),
    ({"admins": [42]}, "admins[0]: 42 is not"),
    ({"admins": {"a": 1}}, "must be a list"),
    ({"analysts": ["example"]}, "analysts[0]: 'example' is not"),
])
def test_a_mistake_in_the_roles_section_is_named(section, words):
    with pytest.raises(AccessConfigError, match="roles"):
        access.parse_roles(section)
    try:
        access.parse_roles(section)
    except AccessConfigError as exc:
        assert words in str(exc)


@pytest.mark.parametrize("change, words", [
    ({"cookie_secret": "short"}, "at least 32 characters"),
    ({"redirect_uri": "http://127.0.0.1:8501/"}, "/oauth2callback"),
    ({"client_id": ""}, "needs client_id"),
])
def test_sign_in_settings_that_cannot_work_are_named(change, words):
    with pytest.raises(AccessConfigError, match=words):
        access.check_auth({**AUTH, **change})


def test_named_providers_each_get_a_sign_in_button():
    section = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": SECRET,
               "okta": {"client_id": "a"}, "microsoft": {"client_id": "b"}}
    assert access.check_auth(section) == ["microsoft", "okta"]
    assert access.check_auth(AUTH) == [None]


@pytest.mark.parametrize("role, pages", [
    ("viewer", {"overview", "business_case"}),
    ("analyst", {"overview", "business_case", "cohorts", "methods", "exports"}),
    ("admin", set(access.NEEDS)),
    (None, set()), ("root", set()),
])
def test_what_each_role_may_open(role, pages):
    assert {what for what in access.NEEDS if access.allows(role, what)} == pages


# ---------------------------------------------------------------- where it listens

def test_without_sign_in_it_listens_on_this_computer_only():
    address, why = serve.address_for({}, None)
    assert address == "127.0.0.1" and "this computer only" in why
    assert serve.address_for({}, "127.0.0.1")[0] == "127.0.0.1"
    with pytest.raises(AccessConfigError, match="no sign-in is set up"):
        serve.address_for({}, "0.0.0.0")


def test_with_sign_in_it_listens_where_told_after_checking_the_settings():
    assert serve.address_for({"auth": AUTH, "roles": ROLES}, None)[0] == "0.0.0.0"
    assert serve.address_for({"auth": AUTH}, "10.1.2.3")[0] == "10.1.2.3"
    with pytest.raises(AccessConfigError, match="roles"):
        serve.address_for({"auth": AUTH, "roles": {"admin": ["x@y.z"]}}, None)
    with pytest.raises(AccessConfigError, match="cookie_secret"):
        serve.address_for({"auth": {**AUTH, "cookie_secret": ""}}, None)


def test_serve_refuses_a_broken_secrets_file(tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text("[auth\nredirect_uri = 1\n")
    with pytest.raises(AccessConfigError, match="not valid TOML"):
        serve.read_secrets((bad,))


def test_the_project_config_listens_on_this_computer_and_hides_the_tables_own_export():
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["disableDataExport"] is True
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text().split()


# ---------------------------------------------------------------- the pages each role sees

def signed_in_app(monkeypatch, db, user: dict | None, roles=ROLES, auth=AUTH) -> AppTest:
    monkeypatch.setenv("RETENTION_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if auth is not None:
        at.secrets["auth"] = auth
    if roles is not None:
        at.secrets["roles"] = roles
    at.user = {"is_logged_in": False} if user is None else {"is_logged_in": True, **user}
    return at.run()


def figures_shown(at: AppTest) -> bool:
    return bool(at.metric) or bool(at.get("plotly_chart")) or bool(at.dataframe) or bool(at.sidebar.multiselect)


def test_anonymous_sees_the_sign_in_screen_and_no_figures(monkeypatch, demo_db):
    at = signed_in_app(monkeypatch, demo_db, None)
    assert not at.exception
    assert at.title[0].value == "Mentoring & retention"
    assert [b.label for b in at.button] == ["Sign in"]
    assert not figures_shown(at)
    assert not any("people in scope" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("email, shown, hidden", [
    ("dee@example.com", ["views/overview.py", "views/business_case.py"],
     ["views/cohorts.py", "views/methods.py", "views/data.py"]),
    ("bo@example.com", ["views/overview.py", "views/business_case.py", "views/cohorts.py", "views/methods.py"],
     ["views/data.py"]),
    ("ada@example.com", ["views/overview.py", "views/data.py"], []),
])
def test_each_role_opens_its_pages_and_no_others(monkeypatch, demo_db, email, shown, hidden):
    at = signed_in_app(monkeypatch, demo_db, {"email": email, "name": "Someone"})
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert any("Signed in as **Someone**" in c.value for c in at.sidebar.caption)
    for page in shown:
        at.switch_page(page).run()
        assert not at.exception and not at.error
        assert not any("not part of your role" in w.value for w in at.warning), page
    for page in hidden:  # not listed in the navigation; opened by its address, its own guard stops it
        at.switch_page(page).run()
        assert any("not part of your role" in w.value for w in at.warning), page
        assert not at.metric and not at.dataframe and not at.get("download_button") and not at.get("file_uploader")
        alone = AppTest.from_file(str(ROOT / page), default_timeout=120)  # the page run on its own, too
        alone.secrets["auth"], alone.secrets["roles"] = AUTH, ROLES
        alone.user = {"is_logged_in": True, "email": email}
        alone.run()
        assert any("not part of your role" in w.value for w in alone.warning), page
        assert not alone.metric and not alone.dataframe and not alone.get("download_button")


def test_every_page_checks_the_role_before_anything_else():
    """A page's guard comes straight after its title: nothing is read or drawn for a role without it."""
    import ast
    for path, what in (("views/overview.py", "overview"), ("views/business_case.py", "business_case"),
                       ("views/cohorts.py", "cohorts"), ("views/methods.py", "methods"), ("views/data.py", "data")):
        body = [n for n in ast.parse((ROOT / path).read_text()).body
                if not isinstance(n, (ast.Import, ast.ImportFrom)) and not (isinstance(n, ast.Expr) and
                                                                            isinstance(n.value, ast.Constant))]
        first, second = (ast.unparse(n) for n in body[:2])
        assert first.startswith("st.title(") and second == f"ui.require('{what}')", path


def test_a_viewer_gets_no_export_and_an_analyst_gets_every_one(monkeypatch, demo_db):
    viewer = signed_in_app(monkeypatch, demo_db, {"email": "dee@example.com"})
    viewer.switch_page("views/business_case.py").run()
    assert not viewer.exception
    assert viewer.get("download_button") == []
    assert any("for analysts and admins" in c.value for c in viewer.caption)
    assert viewer.slider  # the assumptions stay adjustable
    analyst = signed_in_app(monkeypatch, demo_db, {"email": "bo@example.com"})
    analyst.switch_page("views/business_case.py").run()
    assert {b.label for b in analyst.get("download_button")} == {
        "Slides (PowerPoint)", "One-pager (HTML, prints to PDF)", "Every table (CSV, zipped)",
        "Download where next (CSV)"}


def test_one_row_per_person_is_for_admins_only(monkeypatch, demo_db):
    """The analysis data set holds each person's pay, rating and reason for leaving: analysts are told it is for
    admins and get no button for it; an admin gets all four files."""
    files = {"People (CSV)", "People (PARQUET)", "Intervals (CSV)", "Intervals (PARQUET)"}
    analyst = signed_in_app(monkeypatch, demo_db, {"email": "bo@example.com"})
    analyst.switch_page("views/methods.py").run()
    assert not analyst.exception
    labels = {b.label for b in analyst.get("download_button")}
    assert labels and not labels & files  # the tables' own downloads stay
    assert any(wording.ROW_EXPORTS_FOR_ADMINS.split(":")[0] in c.value for c in analyst.caption)
    admin = signed_in_app(monkeypatch, demo_db, {"email": "ada@example.com"})
    admin.switch_page("views/methods.py").run()
    assert files <= {b.label for b in admin.get("download_button")}


def test_someone_not_on_a_viewers_list_sees_nothing(monkeypatch, demo_db):
    at = signed_in_app(monkeypatch, demo_db, {"email": "eve@elsewhere.org"},
                       roles={**ROLES, "viewers": ["@example.com"]})
    assert "eve@elsewhere.org is not among the people allowed" in shown(at.info[0].value)
    assert [b.label for b in at.button] == ["Sign out"]
    assert not figures_shown(at)


def test_a_mistake_in_the_settings_shows_no_figures(monkeypatch, demo_db):
    at = signed_in_app(monkeypatch, demo_db, {"email": "ada@example.com"}, roles={"admin": ["ada@example.com"]})
    assert at.title[0].value == "Sign-in is not set up correctly"
    assert "takes only admins, analysts, viewers" in at.error[0].value.replace("\\", "")
    assert not figures_shown(at)


def test_without_sign_in_the_single_user_is_an_admin_and_is_told_so(monkeypatch, demo_db):
    at = signed_in_app(monkeypatch, demo_db, None, roles=None, auth=None)
    assert not at.exception
    assert any("Single-user" in c.value for c in at.sidebar.caption)
    at.switch_page("views/data.py").run()
    assert not at.exception and at.title[0].value == "Data"


def test_the_secrets_template_is_refused_until_filled_in_and_then_accepted():
    import tomllib
    template = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text())
    with pytest.raises(AccessConfigError, match="cookie_secret"):
        serve.address_for(template, None)
    filled = {"auth": {**template["auth"], "cookie_secret": SECRET, "client_id": "a", "client_secret": "b"},
              "roles": {"admins": ["ada@example.com"], "analysts": ["@people-analytics.example.com"]}}
    assert serve.address_for(filled, None)[0] == "0.0.0.0"
    assert access.parse_roles(filled["roles"]).role_for("cy@people-analytics.example.com") == "analyst"
