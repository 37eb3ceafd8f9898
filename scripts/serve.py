"""Start the dashboard (make run): on this computer only, unless sign-in is set up.

Without an [auth] section in .streamlit/secrets.toml the dashboard is single-user and listens on
127.0.0.1, whatever RETENTION_ADDRESS says. With one, the sign-in and roles settings are checked
first (a mistake is named and nothing starts), then it listens on RETENTION_ADDRESS (every
interface unless told otherwise), for the people the [roles] section allows. Streamlit runs in this process,
after scripts/guard.py has put the server's own guards in place (uploads, the cache-clear message and the
metrics are an admin's; a session whose browser has gone is shut down). docs/serving.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.surface import access  # noqa: E402
from analytics.common.errors import AccessConfigError  # noqa: E402

SECRETS = (Path.home() / ".streamlit" / "secrets.toml", ROOT / ".streamlit" / "secrets.toml")  # as Streamlit reads them


def secrets_paths() -> tuple[Path, ...]:
    """Where Streamlit reads the secrets: STREAMLIT_SECRETS_FILES (paths separated by spaces), else SECRETS."""
    named = os.environ.get("STREAMLIT_SECRETS_FILES", "").split()
    return tuple(Path(p) for p in named) if named else SECRETS


def read_secrets(paths=None) -> dict:
    paths = secrets_paths() if paths is None else paths
    merged: dict = {}
    for path in paths:
        if path.is_file():
            try:
                merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise AccessConfigError(f"{path} is not valid TOML: {exc}") from exc
    return merged


def address_for(secrets: dict, asked: str | None) -> tuple[str, str]:
    """Where to listen, and the sentence that says why."""
    if "auth" not in secrets:
        if asked and not access.is_loopback(asked):
            raise AccessConfigError(f"RETENTION_ADDRESS={asked} would let other computers in, but no sign-in is set "
                                    "up ([auth] in .streamlit/secrets.toml): set it up first (docs/serving.md).")
        return "127.0.0.1", ("Single-user: no sign-in is set up, so the dashboard answers on this computer only. "
                             "docs/serving.md says how to share it.")
    providers = access.check_auth(secrets["auth"])
    access.parse_roles(secrets.get("roles"))
    names = ", ".join(p for p in providers if p) or "your provider"
    return asked or "0.0.0.0", f"Sign-in is set up ({names}); roles from [roles] in .streamlit/secrets.toml."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", default=os.environ.get("PORT", "8501"))
    args = parser.parse_args(argv)
    try:
        address, why = address_for(read_secrets(), os.environ.get("RETENTION_ADDRESS"))
    except AccessConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = "localhost" if access.is_loopback(address) else address
    print(f"{why}\nDashboard: http://{shown}:{args.port}", flush=True)
    os.chdir(ROOT)
    from scripts import guard  # noqa: E402  (Streamlit is imported only once the settings are checked)
    from streamlit.web import cli

    try:
        guard.install()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.argv = ["streamlit", "run", "app.py", "--server.port", str(args.port), "--server.address", address]
    cli.main(prog_name="streamlit")  # as `python -m streamlit run app.py`, in this process; it exits when stopped
    return 0


if __name__ == "__main__":
    sys.exit(main())
