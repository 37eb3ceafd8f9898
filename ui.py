"""Streamlit-only helpers: the cached connection and results, the shared sidebar, the error boundary.

Pages import from here and from analytics/; nothing in analytics/ imports this.
"""
from __future__ import annotations

import contextlib
import html
import itertools
import logging
import os
import re
import threading
import time
from datetime import date
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from analytics.case import summary, where_next
from analytics.common import progress
from analytics.common.errors import AccessConfigError, InputFileError, NotEnoughData, RetentionError
from analytics.common.policy import (DISCOUNT_RATE, INPUTS_SETTLED_SECONDS, MENTEE_HOURS_PER_MONTH,
                                     MENTOR_HOURS_PER_MONTH, MIN_GROUP_SIZE, SALARY_IF_NOT_IN_DATA,
                                     STATUS_AFTER_SECONDS, shown_count)
from analytics.estimation.followup import FollowUp, follow_up
from analytics.estimation.trial import TargetTrial, target_trial
from analytics.outputs import deck, messages, onepager, palette, report, tables
from analytics.store import database, loads, queries
from analytics.store.cohorts import Cohort
from analytics.surface import access
from analytics.words import wording

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Building the demo company…", max_entries=4)
def _first_run(path: str) -> bool:
    """Once per database: open on the demo company when it is empty (unless told not to)."""
    if os.environ.get("RETENTION_AUTO_DEMO", "1") != "0":
        loads.ensure_demo(path)
    return True


_run = threading.local()  # the connection of the script run on this thread


@contextlib.contextmanager
def connection_for_this_run() -> Iterator[None]:
    """The dashboard opens the database for each page it draws and closes it when done, so between
    runs it holds no lock: the CLI can load while a browser has the page open, and the next run
    shows the new data."""
    path = str(database.default_db_path())
    _first_run(path)
    _run.con = database.connect(path)
    try:
        yield
    finally:
        con, _run.con = _run.con, None
        con.close()


@st.cache_resource(show_spinner=False)
def favicon():
    """The tab's icon, drawn here and served by the app itself (an icon name would be fetched from the
    internet, which an offline dashboard cannot reach): two people, one guiding the other."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, 62, 62), fill=palette.ACCENT)
    for x, y, r in ((24, 22, 8), (42, 28, 6)):
        draw.ellipse((x - r, y - r, x + r, y + r), fill="white")
    draw.pieslice((10, 32, 38, 60), 180, 360, fill="white")
    draw.pieslice((31, 38, 53, 58), 180, 360, fill="white")
    return image


# ---------------------------------------------------------------- who is looking

@dataclass(frozen=True)
class Visitor:
    role: str
    name: str | None = None
    email: str | None = None
    signed_in: bool = False  # False: single-user (no sign-in set up), on this computer only


def _secrets_section(name: str) -> Mapping | None:
    """A section of .streamlit/secrets.toml, or None when it (or the file) is not there."""
    try:
        return st.secrets[name] if name in st.secrets else None
    except FileNotFoundError:  # no secrets file at all
        return None
    except Exception as exc:  # a file that is not valid TOML: fail closed, say where
        log.exception("secrets.toml could not be read")
        raise AccessConfigError(f"The secrets file (.streamlit/secrets.toml) could not be read: {exc}") from exc


def _stop_with(title: str, message: str, *, sign_out: bool = False, error: bool = False) -> None:
    st.title(title)
    (st.error if error else st.info)(message, icon=":material/lock:")
    if sign_out:
        st.button("Sign out", on_click=st.logout, key="sign_out_refused")
    st.stop()


def visitor() -> Visitor:
    """Who is looking and what they may see (analytics.access). Nobody signed in, a mistake in the sign-in
    settings, or a visitor from another computer without sign-in: a screen that says so, and no figures."""
    try:
        auth = _secrets_section("auth")
        if auth is None:
            if not access.is_loopback(st.context.ip_address):
                _stop_with("Mentoring & retention", wording.SINGLE_USER_REMOTE)
            return Visitor(access.ADMIN)
        providers = access.check_auth(auth)
        roles = access.parse_roles(_secrets_section("roles"))
    except AccessConfigError as exc:
        _stop_with("Sign-in is not set up correctly", f"{wording.md(exc)} {wording.ASK_AN_ADMIN}", error=True)
    if not st.user.is_logged_in:
        sign_in_screen(providers)
        st.stop()
    verified = st.user.get("email_verified")
    if isinstance(verified, str):
        verified = verified.strip().lower() == "true"
    email = st.user.get("email")
    role = roles.role_for(email, verified)
    if role is None:
        _stop_with("Mentoring & retention", wording.not_allowed(email), sign_out=True)
    return Visitor(role, name=st.user.get("name"), email=email, signed_in=True)


def sign_in_screen(providers: list[str | None]) -> None:
    st.title("Mentoring & retention")
    st.markdown(wording.SIGN_IN_NOTE)
    for provider in providers:
        label = "Sign in" if provider is None else f"Sign in with {wording.label(provider)}"
        st.button(label, type="primary", icon=":material/login:", key=f"sign_in_{provider}",
                  on_click=st.login, args=() if provider is None else (provider,))


def allowed(what: str) -> bool:
    """Whether the person looking may open this page or take this action (analytics.access.NEEDS)."""
    return access.allows(visitor().role, what)


def require(what: str) -> None:
    """A page's own guard (the navigation already lists only what the visitor may open)."""
    if not allowed(what):
        st.warning(wording.NOT_FOR_YOUR_ROLE, icon=":material/lock:")
        st.stop()


def who_is_signed_in(me: Visitor) -> None:
    """The sidebar's last lines: who is signed in and as what, or that this is a single-user dashboard."""
    with st.sidebar:
        if me.signed_in:
            st.caption(f"Signed in as **{wording.md(me.name or me.email or 'unknown')}** · "
                       f"{access.ROLE_WORDS[me.role]}", help=wording.ROLE_HELP[me.role])
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
        else:
            st.caption(wording.SINGLE_USER_NOTE)


def cursor() -> duckdb.DuckDBPyConnection:
    """The database, for this script run (a page drawn on its own, as in tests, opens one and keeps it)."""
    if getattr(_run, "con", None) is None:
        path = str(database.default_db_path())
        _first_run(path)
        _run.con = database.connect(path)
    return _run.con


def data_version() -> str:
    """Changes whenever a load replaces the data (or the database file); part of every cache key."""
    return f"{database.default_db_path()}#{database.data_version(cursor())}"


def clear_caches() -> None:
    st.cache_data.clear()


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def filter_options(version: str) -> dict[str, list]:
    return queries.filter_options(cursor())


@st.cache_data(ttl=3600, max_entries=16, show_spinner=False)
def _snapshot(version: str, as_of: date | None, event: str | None) -> queries.Snapshot:
    return queries.snapshot(cursor(), as_of, event)


def settings() -> queries.Snapshot:
    """The as-of date and event definition every page uses: as chosen on the Data page, else as the
    data gives them (queries.snapshot settles both, for the CLI too). Regrettable exits chosen for data that
    cannot give them (no ratings or no reasons, as after a new load) go back to the default."""
    try:
        return _snapshot(data_version(), st.session_state.get("as_of"), st.session_state.get("event"))
    except RetentionError:
        if st.session_state.get("event") != "regrettable":
            raise
        st.session_state["event"] = None
        return _snapshot(data_version(), st.session_state.get("as_of"), None)


def has_data() -> bool:
    return database.has_data(cursor())


def require_data() -> None:
    """Analysis pages on an empty store or an empty or too small cohort: say what to do instead."""
    if not has_data():
        if allowed("data"):
            st.info("No data is loaded yet. Load your employees and mentorships files, or restore the demo "
                    "company, on the Data page.", icon=":material/database:")
            st.page_link("views/data.py", label="Go to the Data page", icon=":material/arrow_forward:")
        else:
            st.info("No data is loaded yet. " + wording.ASK_AN_ADMIN, icon=":material/database:")
        st.stop()
    cohort, settled = st.session_state.get("cohort", Cohort()), settings()
    as_of, latest = settled.as_of, settled.data_as_of
    if as_of > latest:
        st.warning(f"The as-of date, {as_of:%d %B %Y}, is after the latest date in the data ({latest:%d %B %Y}): "
                   "everyone still employed is counted as staying until then. Use the data's own date unless "
                   "you know nobody left in between (Data page).", icon=":material/event_busy:")
    n = people_in_scope(data_version(), cohort, as_of)
    if n == 0:
        if cohort.is_everyone():
            st.info(f"Nobody had been hired by the as-of date, {as_of:%d %B %Y}. Choose a later date "
                    "on the Data page.", icon=":material/event_busy:")
        else:
            st.info("Nobody is in scope. Widen the filters in the sidebar.", icon=":material/filter_alt_off:")
        st.stop()
    if shown_count(n) is None:
        st.info(f"Fewer than {MIN_GROUP_SIZE} people are in scope, so nothing is shown, to protect their "
                "privacy. Widen the filters in the sidebar.", icon=":material/visibility_off:")
        st.stop()
    near = one_step_from_few(data_version(), cohort, as_of)
    if near is not None:  # two results one step apart would single out 1-4 people: neither filtered one is shown
        st.info(wording.one_step_from_few(near), icon=":material/visibility_off:")
        st.stop()


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def offered_values(version: str, cohort: Cohort, as_of: date, dimension: str) -> list:
    try:
        return summary.offered_values(cursor(), cohort, as_of, dimension)
    except RetentionError:
        return []


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def one_step_from_few(version: str, cohort: Cohort, as_of: date) -> str | None:
    return summary.one_step_from_few(cursor(), cohort, as_of)


SIDEBAR_FILTERS = ("department", "job_level", "location", "generation", "gender")


def sidebar() -> Cohort:
    """The shared filters; every page works on the cohort they describe."""
    if not has_data():
        return Cohort()
    options = filter_options(data_version())
    with st.sidebar:
        st.subheader("Who is in scope")
        scope_line = st.empty()  # filled below, once the filters are read: seen without scrolling
        if is_demo(data_version()):  # above the filters, so that it is seen without scrolling (1366 x 768)
            st.info(wording.DEMO_NOTE, icon=":material/science:")
        years = options.get("hire_years") or []
        settled = settings()
        before = chosen_cohort(st.session_state, years)  # as the filters stand, for which values each may offer
        for dim in SIDEBAR_FILTERS:  # a value adding or taking away 1-4 people is not offered (privacy)
            offered = set(offered_values(data_version(), before, settled.as_of, dim))
            picked = st.session_state.get(f"filter_{dim}") or []
            st.multiselect(wording.DIMENSION_LABELS[dim], [v for v in options.get(dim, []) if v in offered or v in picked],
                           key=f"filter_{dim}", placeholder="All", help=wording.OFFERED_NOTE)
        if len(years) == 2 and years[0] < years[1]:
            st.slider("Hire year", years[0], years[1], (years[0], years[1]), key="filter_hire_years")
        cohort = chosen_cohort(st.session_state, years)
        rounded = not cohort.is_everyone() or settled.as_of != settled.data_as_of  # as followup.FollowUp.rounded
        in_scope = people_in_scope(data_version(), cohort, settled.as_of)
        scope_line.caption(f"**{wording.total_words(in_scope, rounded)}** people in scope · "
                           f"{wording.md(cohort.describe())}", help=wording.ROUNDING_NOTE)
    return cohort


def chosen_cohort(state: Mapping, years: list) -> Cohort:
    """The cohort the sidebar's filters describe, from their values in `state` (the session's state, as the page
    draws or as a download is clicked); `years`: the data's first and last hire year."""
    chosen = {dim: tuple(state.get(f"filter_{dim}") or ()) for dim in SIDEBAR_FILTERS}
    lo, hi = state.get("filter_hire_years") or (None, None)
    if len(years) != 2 or years[0] >= years[1] or (lo, hi) == tuple(years):
        lo = hi = None
    return Cohort(hire_year_from=lo, hire_year_to=hi, **chosen)


@st.cache_data(ttl=3600, max_entries=8, show_spinner=False)
def is_demo(version: str) -> bool:
    return database.is_demo(cursor())


@st.cache_data(ttl=3600, max_entries=64, show_spinner=False)
def people_in_scope(version: str, cohort: Cohort, as_of: date) -> int:
    try:
        return queries.people_in_scope(cursor(), as_of, cohort)  # counted, not read
    except RetentionError:
        return 0


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """One error boundary: a user-caused problem becomes a clear message, never a traceback."""
    try:
        yield
    except RetentionError as exc:  # messages quote the user's files; a load's files each in a box of their own
        for each in exc.each() if isinstance(exc, InputFileError) else (exc,):
            st.error(wording.md(each), icon=":material/error:")
    except Exception:  # anything unexpected still ends in words on the page; the log keeps the trace
        log.exception("unexpected error on a page")
        st.error(wording.UNEXPECTED, icon=":material/error:")  # its text may hold a path or a database's words


def cached(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bounded result cache keyed on the data version and the arguments."""
    return st.cache_data(ttl=3600, max_entries=64, show_spinner=False)(func)


# The business case's assumptions, kept while the user moves between pages (streamlit forgets
# a widget's value when its page is left, so each is saved under its own key as it changes).
_DEFAULT = summary.Assumptions()
ASSUMPTION_DEFAULTS = {"bc_target": round(100 * _DEFAULT.coverage_target),
                       "bc_replacement": round(100 * _DEFAULT.replacement_cost_pct),
                       "bc_cost": round(_DEFAULT.programme_cost_per_mentee), "bc_years": _DEFAULT.horizon_years,
                       "bc_salary": SALARY_IF_NOT_IN_DATA,  # asked for only when the data has none
                       # the fully loaded cost and the money's time (business.py); each default is an assumption
                       "bc_mentor_hours": MENTOR_HOURS_PER_MONTH, "bc_mentee_hours": MENTEE_HOURS_PER_MONTH,
                       "bc_discount": round(100 * DISCOUNT_RATE), "bc_currency": ""}  # "": the data's own, or $


def remembered(key: str, lowest: float | None = None) -> dict:
    """Keyword arguments for a widget whose value outlives its page (pass no default value)."""
    saved = f"saved_{key}"
    st.session_state.setdefault(saved, ASSUMPTION_DEFAULTS[key])
    if key not in st.session_state:
        st.session_state[key] = st.session_state[saved]
    if lowest is not None and st.session_state[key] < lowest:
        st.session_state[key] = st.session_state[saved] = lowest
    return {"key": key, "on_change": _save_widget, "args": (key,)}


def assumptions_changed() -> bool:
    """Whether the business case's assumptions differ from the defaults (set on its page)."""
    return any(st.session_state.get(f"saved_{k}", v) != v for k, v in ASSUMPTION_DEFAULTS.items())


def _save_widget(key: str) -> None:
    st.session_state[f"saved_{key}"] = st.session_state[key]


def assumptions(state: Mapping | None = None) -> summary.Assumptions:
    """The business-case assumptions as last set on the Business case page, the defaults before: the same on
    every page from the first one drawn, whichever it is. `state`: the session's state (default: this run's).
    A default is labelled an assumption (the salary's too, used only when the data has none) until changed."""
    state = st.session_state if state is None else state
    value = {k: state.get(f"saved_{k}", v) for k, v in ASSUMPTION_DEFAULTS.items()}
    changed = {k: value[k] != v for k, v in ASSUMPTION_DEFAULTS.items()}
    return summary.Assumptions(
        coverage_target=value["bc_target"] / 100, replacement_cost_pct=value["bc_replacement"] / 100,
        programme_cost_per_mentee=float(value["bc_cost"]), horizon_years=int(value["bc_years"]),
        salary_if_missing=float(value["bc_salary"]),
        salary_source=wording.YOUR_INPUT if changed["bc_salary"] else wording.ASSUMED_SALARY,
        cost_source=wording.YOUR_INPUT if changed["bc_cost"] else _DEFAULT.cost_source,
        mentor_hours_per_month=float(value["bc_mentor_hours"]) if changed["bc_mentor_hours"] else None,
        mentee_hours_per_month=float(value["bc_mentee_hours"]) if changed["bc_mentee_hours"] else None,
        discount_rate=value["bc_discount"] / 100 if changed["bc_discount"] else None,
        currency=(str(value["bc_currency"]).strip() or None) if changed["bc_currency"] else None)


@st.cache_resource(ttl=3600, max_entries=4, show_spinner=False)
def base_follow_up(version: str, as_of: date, event: str) -> FollowUp:
    """The base data: everyone's follow-up, read once per data version and settings; each cohort
    the filters pick is cut out of it in memory."""
    return follow_up(cursor(), Cohort(), as_of, event)


@st.cache_resource(ttl=3600, max_entries=32, show_spinner=False)
def headline(version: str, cohort: Cohort, as_of: date, event: str,
             assumptions: summary.Assumptions = summary.Assumptions()) -> summary.Headline:
    """The shared headline for a cohort; results are immutable, so they are shared, not copied."""
    return summary.headline(cursor(), cohort, as_of, event, assumptions,
                            base=base_follow_up(version, as_of, event))


@contextlib.contextmanager
def working(step: str, **details: Any) -> Iterator[Callable[..., None]]:
    """What the dashboard is doing while it works, instead of a silent spinner: a status box (st.status) naming
    the step under way and what the earlier ones took. It appears once the work has run STATUS_AFTER_SECONDS
    (so nothing flashes for what is cached) and is gone when the work is done. Yields `then(step, **details)`,
    to say the next step has begun (steps: wording.PROGRESS_STEPS)."""
    box = st.empty()
    lock = threading.Lock()
    now = {"words": wording.progress_words(step, details), "since": time.perf_counter(), "status": None,
           "open": True, "done": []}

    def show() -> None:  # on a timer's thread, with this run's context (as st.spinner does)
        with lock:
            if now["open"] and now["status"] is None:
                now["status"] = box.status(now["words"], expanded=True)
                for line in now["done"]:
                    now["status"].caption(line)

    def then(next_step: str, **more: Any) -> None:
        with lock:
            took = wording.step_took(now["words"], time.perf_counter() - now["since"])
            now["done"].append(took)
            now["words"], now["since"] = wording.progress_words(next_step, more), time.perf_counter()
            if now["status"] is not None:
                now["status"].caption(took)
                now["status"].update(label=now["words"])

    timer = threading.Timer(STATUS_AFTER_SECONDS, show)
    add_script_run_ctx(timer)
    timer.start()
    try:
        yield then
    finally:
        timer.cancel()
        with lock:
            now["open"] = False
            box.empty()


@contextlib.contextmanager
def engine_steps(step: str, **details: Any) -> Iterator[None]:
    """working(), with each step the engine says it starts (analytics.progress: reading, checking so many rows,
    writing) shown as it comes; for work done on this run, not inside a cached function."""
    with working(step, **details) as then, progress.listening(lambda name, more: then(name, **more)):
        yield


def current_headline(assumptions: summary.Assumptions = summary.Assumptions()) -> summary.Headline:
    s = settings()
    version = data_version()
    with working("follow_up") as then:
        base_follow_up(version, s.as_of, s.event)  # the base data, then the cohort's figures cut from it
        then("headline")
        return headline(version, st.session_state.get("cohort", Cohort()), s.as_of, s.event, assumptions)


@st.cache_data(ttl=3600, max_entries=4, show_spinner=False)
def _analysis_files(version: str, cohort: Cohort, as_of: date, event: str) -> dict[tuple[str, str], bytes]:
    fu = follow_up(cursor(), cohort, as_of, event, base=base_follow_up(version, as_of, event))
    return {(rows, fmt): report.analysis_data(fu, rows, fmt) for rows, fmt in ANALYSIS_FILES}


ANALYSIS_FILES = tuple((rows, fmt) for rows in report.ANALYSIS_SETS for fmt in ("csv", "parquet"))


def analysis_files() -> None:
    """Build the analysis data set of the cohort in scope, as CSV and Parquet (analysts and admins), so that a
    click on its downloads (analysis_file) finds it ready."""
    s = settings()
    with working("analysis_files"):
        _analysis_files(data_version(), st.session_state.get("cohort", Cohort()), s.as_of, s.event)


def analysis_file(rows: str, fmt: str) -> Callable[[], bytes]:
    """One analysis file, as a download's data: built at the click, for the cohort and settings then."""
    def build(state: Mapping) -> bytes:
        version = data_version()
        s = _snapshot(version, state.get("as_of"), state.get("event"))
        return _analysis_files(version, _cohort_at(state, version), s.as_of, s.event)[rows, fmt]
    return at_click(build)


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _where_next(version: str, cohort: Cohort, as_of: date, event: str, assumptions: summary.Assumptions,
                dimensions: tuple) -> list:
    return where_next.for_headline(headline(version, cohort, as_of, event, assumptions), dimensions)


def current_where_next(assumptions: summary.Assumptions, dimensions: tuple = where_next.DIMENSIONS) -> list:
    """Where to extend the programme next under the Business case page's assumptions, best first."""
    s = settings()
    with working("where_next_page"):
        return _where_next(data_version(), st.session_state.get("cohort", Cohort()), s.as_of, s.event, assumptions,
                           tuple(dimensions))


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _diagnostics(version: str, cohort: Cohort, as_of: date, event: str, choices: tuple = ()) -> summary.Diagnostics:
    return summary.diagnostics(cursor(), cohort, as_of, event, base=base_follow_up(version, as_of, event),
                               **dict(choices))


def current_diagnostics(**choices) -> summary.Diagnostics:
    """The Methods page's analyses; `choices`: an analyst's covariates, horizon_days and tau_days."""
    s = settings()
    with working("diagnostics"):
        return _diagnostics(data_version(), st.session_state.get("cohort", Cohort()), s.as_of, s.event,
                            tuple(sorted(choices.items())))


@st.cache_resource(ttl=3600, max_entries=32, show_spinner=False)
def _comparison(version: str, cohort: Cohort, as_of: date, event: str,
                dimension: str) -> summary.CohortComparison:
    return summary.compare_cohorts(cursor(), dimension, cohort, as_of, event,
                                   base=base_follow_up(version, as_of, event))


def current_comparison(dimension: str) -> summary.CohortComparison:
    s = settings()
    with working("compare"):
        return _comparison(data_version(), st.session_state.get("cohort", Cohort()), s.as_of, s.event, dimension)


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _outcomes(version: str, cohort: Cohort, as_of: date, event: str) -> summary.Outcomes:
    return summary.outcomes(cursor(), cohort, as_of, event, base=base_follow_up(version, as_of, event))


def current_outcomes() -> summary.Outcomes:
    """Promotions and internal moves for the cohort in scope (the Cohorts page), as summary --json gives them."""
    s = settings()
    with working("outcomes"):
        return _outcomes(data_version(), st.session_state.get("cohort", Cohort()), s.as_of, s.event)


@st.cache_resource(ttl=3600, max_entries=8, show_spinner=False)
def _trial(version: str, cohort: Cohort, as_of: date, event: str) -> TargetTrial:
    return target_trial(cursor(), as_of, event, cohort)


def current_trial() -> tuple[TargetTrial | None, str | None]:
    """The target trial for the cohort in scope (Methods' credibility panel): a TargetTrial, or None and why."""
    s = settings()
    try:
        with working("trial"):
            return _trial(data_version(), st.session_state.get("cohort", Cohort()), s.as_of, s.event), None
    except NotEnoughData as exc:
        return None, str(exc)


EXPORTS = ("deck", "html", "csv")  # the slides, the one-pager, every table zipped


@st.cache_data(ttl=3600, max_entries=24, show_spinner=False)
def _export(kind: str, version: str, cohort: Cohort, as_of: date, event: str, assumptions: summary.Assumptions,
            organisation: str | None, logo: bytes | None) -> bytes:
    h = headline(version, cohort, as_of, event, assumptions)
    if kind == "deck":
        return deck.deck_pptx(deck.contents(cursor(), h=h, organisation=organisation, logo=logo))
    return onepager.one_pager_html(h).encode("utf-8") if kind == "html" else tables.tables_zip(h)


def _export_now(kind: str, state: Mapping) -> bytes:
    """One export for the inputs in `state` as they are now: filters, settings, assumptions and the organisation
    (the Data page's setting)."""
    version = data_version()
    s = _snapshot(version, state.get("as_of"), state.get("event"))
    cohort = _cohort_at(state, version)
    near = one_step_from_few(version, cohort, s.as_of)
    if near is not None:  # as the pages: no file of a withheld selection
        raise RetentionError(wording.one_step_from_few(near))
    org = database.organisation(cursor())
    return _export(kind, version, cohort, s.as_of, s.event, assumptions(state), org["name"], org["logo"])


def exports() -> None:
    """Build the exports of what the page shows, so that a click on their downloads (export) finds them ready."""
    with working("exports"):
        for kind in EXPORTS:
            _export_now(kind, st.session_state)


def export(kind: str) -> Callable[[], bytes]:
    """An export (EXPORTS), as a download's data: built at the click, from the inputs then."""
    return at_click(lambda state: _export_now(kind, state))


# ---------------------------------------------------------------- files built at the click

# A download button holds no file (st.download_button with a callable): the file is built when the button is
# clicked, from the session's inputs as they are then, so none carries an earlier input, even one typed just before
# the click, before the page has redrawn. Such a value reaches the server ahead of the click, on the same
# connection, and is in the session's state once the run it starts has begun, on another thread, a few milliseconds
# later: the build waits policy.INPUTS_SETTLED_SECONDS first. The click asks for no run of its own (on_click="ignore").


class _StateAtClick:
    """The session's state read from the thread a file is built on, which st.session_state cannot see."""

    def __init__(self, state: Any):
        self._state = state

    def get(self, key: str, default: Any = None) -> Any:
        return self._state[key] if key in self._state else default


def at_click(build: Callable[[Mapping], bytes]) -> Callable[[], bytes]:
    """A download's data: `build(state)` when the button is clicked, with the session's state as it is then and a
    connection of its own to the database."""
    ctx = get_script_run_ctx(suppress_warning=True)
    state = _StateAtClick(ctx.session_state) if ctx is not None else st.session_state

    def make() -> bytes:
        time.sleep(INPUTS_SETTLED_SECONDS)
        with connection_for_this_run():
            return build(state)
    return make


def _cohort_at(state: Mapping, version: str) -> Cohort:
    if not has_data():
        return Cohort()
    return chosen_cohort(state, filter_options(version).get("hire_years") or [])


# The dashboard's own style, in the palette's colours: a keyboard focus ring on the page links that does not
# look like the current page (WCAG 2.4.7), captions in the palette's secondary text colour (Streamlit's own faded
# grey is 4.1:1 on white, under the 4.5:1 WCAG 1.4.3 asks), and figure cards whose labels, values and ranges wrap
# or shrink in a narrow window instead of being cut short with an ellipsis.
PAGE_CSS = f"""
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{
    color: {palette.MUTED} !important; opacity: 1 !important; }}
[data-testid="stSidebarNavLink"]:focus-visible {{
    outline: 3px solid {palette.ACCENT} !important; outline-offset: -3px; }}
[data-testid="stSidebarNavLink"]:not([aria-current="page"]):focus-visible {{ background-color: transparent !important; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p,
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p,
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) {{
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto; }}
[data-testid="stMetricValue"] {{ font-size: clamp(1.3rem, 3.3vw, 2.25rem) !important; }}
[data-testid="stColumn"]:has([data-testid="stMetric"]) {{ min-width: 7.5rem; }}
"""


def page_style() -> None:
    """The dashboard's own CSS (PAGE_CSS), once per page draw; it takes no space on the page."""
    st.html(f"<style>{PAGE_CSS}</style>")


def chart(fig, where: Any = None, name: str = "chart") -> None:
    """A figure as analytics.figures drew it: its own colours (theme=None, so Streamlit's theme does not grey
    the ticks), no plotly logo; for analysts and admins, links under it to download it as SVG or PNG. No toolbar
    of zoom and pan buttons (each one a stop for the Tab key, eight a chart): for those who may download, only its
    image button, which the links below it press."""
    place = where or st
    exports = allowed("exports")
    place.plotly_chart(fig, theme=None, config={"displaylogo": False, **(
        {"modeBarButtons": [["toImage"]]} if exports else {"displayModeBar": False})})
    # its text alternative, on the chart itself (role img, for a screen reader; the one-pager's charts have theirs)
    place.html(_CHART_LABEL.replace("{id}", f"label-{next(_CHART_IDS)}")
               .replace("{label}", html.escape(messages.chart_description(fig, name), quote=True)),
               unsafe_allow_javascript=True)
    if exports:
        place.html(_CHART_DOWNLOADS.replace("{file}", re.sub(r"[^a-z0-9_]+", "_", name.lower())[:60] or "chart")
                   .replace("{muted}", palette.MUTED)
                   .replace("{id}", f"downloads-{next(_CHART_IDS)}"), unsafe_allow_javascript=True)


_CHART_IDS = itertools.count()
_CHART_LABEL = """<span id="{id}" hidden data-label="{label}"></span>
<script>
(() => {
  const me = document.getElementById("{id}");
  if (!me) return;
  // the chart just above this element: labelled once drawn, and again whenever it is drawn anew, while this is here
  const label = () => {
    if (!document.contains(me)) { clearInterval(timer); return; }
    const block = me.closest('[data-testid="stElementContainer"]');
    for (let prev = block && block.previousElementSibling; prev; prev = prev.previousElementSibling) {
      const chart = prev.querySelector(".js-plotly-plot");
      if (chart) {
        if (chart.getAttribute("aria-label") !== me.dataset.label) {
          chart.setAttribute("role", "img"); chart.setAttribute("aria-label", me.dataset.label);
        }
        return;
      }
    }
  };
  const timer = setInterval(label, 400);
  label();
})();
</script>"""
# The chart just above, saved by plotly's own image export (as its camera button does) as SVG or PNG: drawn
# in this browser from the chart on the page, so nothing leaves the computer and no other program is needed.
_CHART_DOWNLOADS = """<div id="{id}" class="chart-downloads" style="font-size:0.85rem;color:{muted};margin-top:-0.5rem">
Download this chart: <a href="#" data-format="svg">SVG</a> · <a href="#" data-format="png">PNG</a></div>
<script>
(() => {
  const me = document.getElementById("{id}");
  if (!me) return;
  me.querySelectorAll("a").forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    let block = me.closest('[data-testid="stElementContainer"]');
    let chart = null;
    for (let prev = block && block.previousElementSibling; prev && !chart; prev = prev.previousElementSibling) {
      chart = prev.querySelector(".js-plotly-plot");
    }
    const bar = chart && chart._fullLayout && chart._fullLayout._modeBar;
    const save = bar && bar.buttons.flat().find((b) => b.name === "toImage");
    if (!save) return;
    const before = chart._context.toImageButtonOptions;
    chart._context.toImageButtonOptions = Object.assign({}, before, {format: link.dataset.format, filename: "{file}",
                                                                      scale: link.dataset.format === "png" ? 2 : 1});
    try { save.click(chart); } finally { chart._context.toImageButtonOptions = before; }
  }));
})();
</script>"""


def range_delta(text: str, prefix: str = "range ", caution: bool = False) -> dict:
    """A metric's range (or a short note, prefix="") shown under its value without an arrow: grey, or
    orange when it should give pause (a range that includes a loss)."""
    return {"delta": f"{prefix}{text}", "delta_color": "orange" if caution else "off", "delta_arrow": "off"}


TABLE_ALL_ROWS = 25


def table(frame, name: str, **kwargs) -> None:
    """A table, and for those whose role has exports the product's own CSV of it (formulas neutralised,
    wording.to_csv): the table's built-in download is off (client.disableDataExport). A table of up to
    TABLE_ALL_ROWS rows shows them all (Streamlit's own height shows ten, and hides the rest behind a scroll)."""
    kwargs.setdefault("height", "content" if len(frame) <= TABLE_ALL_ROWS else "auto")
    st.dataframe(frame, **kwargs)
    if allowed("exports"):
        st.download_button(f"Download {name} (CSV)", wording.to_csv(frame.reset_index(drop=kwargs.get("hide_index", False))),
                           file_name=f"{name.replace(' ', '_')}.csv", mime="text/csv", icon=":material/download:",
                           key=f"table_{name}", type="tertiary")


HR_COLUMNS = {"estimate": st.column_config.NumberColumn("hazard ratio", format="%.2f"),
              "lower": st.column_config.NumberColumn(format="%.2f"),
              "upper": st.column_config.NumberColumn(format="%.2f"),
              "p": st.column_config.NumberColumn(format="%.2g")}
