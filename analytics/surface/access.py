"""Who may see what: roles from the [roles] section of secrets.toml, and what each role may open.

Three roles, each seeing everything the one before it sees:

- viewer: the Overview and the Business case (its assumptions can be changed; nothing is saved for others);
- analyst: also the Cohorts and Methods pages and every export (slides, one-pager, CSV);
- admin: also the Data page (load, undo, restore the demo, settings, rows set aside).

The [roles] section names admins and analysts by email address or by domain ("@example.com");
anyone else who signs in is a viewer, unless a `viewers` list is given, which then names everyone
else allowed in. An address counts only when the sign-in provider has not said it is unverified.
Without sign-in ([auth] absent) the dashboard is single-user: it answers on this computer only,
and its one user is an admin. Nothing here imports streamlit: the dashboard and the tests share it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from analytics.common.errors import AccessConfigError

VIEWER, ANALYST, ADMIN = "viewer", "analyst", "admin"
ROLES = (VIEWER, ANALYST, ADMIN)  # each sees everything the ones before it see

# The least role each page and action needs.
NEEDS = {
    "overview": VIEWER, "business_case": VIEWER,
    "cohorts": ANALYST, "methods": ANALYST, "exports": ANALYST,
    "data": ADMIN,
    "row_exports": ADMIN,  # one row per person (salary, rating, reason for leaving): no group rule protects it
}
ROLE_WORDS = {VIEWER: "Viewer", ANALYST: "Analyst", ADMIN: "Admin"}

_LISTS = ("admins", "analysts", "viewers")
_EMAIL = re.compile(r"^[^@\s]+@([^@\s]+\.[^@\s]+)$")
_DOMAIN = re.compile(r"^(?:\*?@)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)$")
MIN_COOKIE_SECRET = 32  # characters: the cookie that holds a signed-in identity is signed with it


@dataclass(frozen=True)
class Entry:
    """One address (alice@example.com) or one whole domain (@example.com)."""
    email: str | None = None
    domain: str | None = None

    def matches(self, email: str) -> bool:
        if self.email is not None:
            return email == self.email
        return email.rsplit("@", 1)[-1] == self.domain


@dataclass(frozen=True)
class Roles:
    admins: tuple[Entry, ...] = ()
    analysts: tuple[Entry, ...] = ()
    viewers: tuple[Entry, ...] | None = None  # None: anyone who signs in may view

    def role_for(self, email: str | None, verified: bool | None = None) -> str | None:
        """The role of a signed-in person, or None when they may not see the dashboard at all.

        An address the provider marks unverified (email_verified false) is given no more than a
        viewer's role: anyone can type an address into a self-service account."""
        address = normalise_email(email)
        if address is not None and verified is not False:
            if any(e.matches(address) for e in self.admins):
                return ADMIN
            if any(e.matches(address) for e in self.analysts):
                return ANALYST
            if self.viewers is None or any(e.matches(address) for e in self.viewers):
                return VIEWER
            return None
        return VIEWER if self.viewers is None else None


def normalise_email(email: Any) -> str | None:
    if not isinstance(email, str):
        return None
    address = email.strip().lower()
    return address if _EMAIL.match(address) else None


def parse_entry(text: Any, where: str) -> Entry:
    if not isinstance(text, str) or not text.strip():
        raise AccessConfigError(f"[roles] {where}: {text!r} is not an email address or a domain.")
    value = text.strip().lower()
    if _EMAIL.match(value) and not value.startswith("*@"):
        return Entry(email=value)
    found = _DOMAIN.match(value)
    if found:
        return Entry(domain=found.group(1))
    raise AccessConfigError(f"[roles] {where}: {text!r} is not an email address (alice@example.com) "
                            "or a domain (@example.com).")


def parse_roles(section: Mapping[str, Any] | None) -> Roles:
    """The [roles] section as written; a mistake in it is named, never read as 'nobody'."""
    section = dict(section or {})
    unknown = sorted(set(section) - set(_LISTS))
    if unknown:
        raise AccessConfigError(f"[roles] has {', '.join(unknown)}; it takes only "
                                f"{', '.join(_LISTS)} (lists of email addresses or domains).")
    lists = {}
    for name in _LISTS:
        if name not in section:
            continue
        value = section[name]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise AccessConfigError(f"[roles] {name} must be a list, as in {name} = [\"alice@example.com\"].")
        lists[name] = tuple(parse_entry(item, f"{name}[{i}]") for i, item in enumerate(value))
    return Roles(admins=lists.get("admins", ()), analysts=lists.get("analysts", ()), viewers=lists.get("viewers"))


def check_auth(section: Mapping[str, Any]) -> list[str]:
    """Named providers ([auth.NAME] sections), or [None] for the one described in [auth] itself.

    Streamlit's st.login checks the rest; what is checked here is what it would accept silently."""
    secret = section.get("cookie_secret")
    if not isinstance(secret, str) or len(secret) < MIN_COOKIE_SECRET:
        raise AccessConfigError(f"[auth] cookie_secret must be a random text of at least {MIN_COOKIE_SECRET} "
                                "characters (python -c \"import secrets; print(secrets.token_hex(32))\").")
    redirect = section.get("redirect_uri")
    if not isinstance(redirect, str) or not redirect.endswith("/oauth2callback"):
        raise AccessConfigError("[auth] redirect_uri must be the dashboard's own address followed by "
                                "/oauth2callback, as in https://retention.example.com/oauth2callback.")
    providers = sorted(k for k, v in section.items() if isinstance(v, Mapping))
    if providers:
        return providers
    missing = [k for k in ("client_id", "client_secret", "server_metadata_url") if not section.get(k)]
    if missing:
        raise AccessConfigError(f"[auth] needs {', '.join(missing)} from your sign-in provider "
                                "(or one [auth.NAME] section per provider).")
    return [None]


def allows(role: str | None, what: str) -> bool:
    """Whether a role may open a page or take an action (see NEEDS)."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(NEEDS[what])


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_loopback(address: str | None) -> bool:
    return address is None or address in LOOPBACK or address.startswith("127.")
