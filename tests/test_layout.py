"""The design's boundaries (docs/design.md, Layout): analytics/ never imports streamlit; SQL lives in
the store package, words and number formats in words/wording.py (and the messages built on a headline in
outputs/messages.py), thresholds in common/policy.py, errors in common/errors.py; every setting a user can
give is documented in the README. The packages' order of imports is tests/test_architecture.py's."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANALYTICS = sorted((ROOT / "analytics").rglob("*.py"))
DASHBOARD = [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "views").glob("*.py"))]
PRODUCT = ANALYTICS + DASHBOARD
WORDS, MESSAGES = "analytics/words/wording.py", "analytics/outputs/messages.py"
POLICY = "analytics/common/policy.py"


def _code(path: Path) -> str:
    """The file without its comment lines and trailing comments (a '#' inside a string is rare enough)."""
    return "\n".join(line.split("  #")[0] for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))


def _is(path: Path, allowed: tuple[str, ...]) -> bool:
    """Whether a file is one of `allowed`: paths from the repository's root, a folder's ending in '/'."""
    where = path.relative_to(ROOT).as_posix()
    return any(where == a or (a.endswith("/") and where.startswith(a)) for a in allowed)


def offenders(paths, pattern: str, allowed: tuple[str, ...] = ()) -> list[str]:
    regex = re.compile(pattern, re.M)
    return [f"{p.relative_to(ROOT)}: {m.group(0)!r}" for p in paths if not _is(p, allowed)
            for m in regex.finditer(_code(p))]


def test_analytics_never_imports_streamlit():
    assert offenders(ANALYTICS, r"^\s*(import|from)\s+streamlit") == []


def test_pages_hold_no_sql_and_no_statistics():
    assert offenders(sorted((ROOT / "views").glob("*.py")),
                     r"\b(SELECT|INSERT|DELETE)\b|\.execute\(|fit_cox|PHReg|KaplanMeier\(") == []


def test_sql_lives_in_the_store_only():
    """ui.py and app.py ask the store; no other module writes a query (but the warehouse reader, whose
    SQL is PostgreSQL's)."""
    assert offenders(PRODUCT, r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE)\b\s|\.execute\(|\.sql\(",
                     allowed=("analytics/store/",)) == []


# A format spec ending in %: {x:.0%}, "{:.0%}", {100 * x:.{d}f}%; printf percents (%d%%); a currency sign
# written beside a number. Plotly's own templates (%{y:.0%}) are the chart's, not ours, and are left out.
PERCENT = r":[^{}'\"\n]*%\}|\}%|%%"
MONEY = r"\$\{|[\"']\$[{\d]|\"\$\"#"  # f"${x}", "$1,500", PowerPoint's '"$"#,##0' (a lone "$" is a regex's end)


def _without_plotly_templates(text: str) -> str:
    return re.sub(r"%\{[^}]*\}", "", text)


@pytest.mark.parametrize("kind, pattern, allowed", [
    ("percent", PERCENT, (WORDS, MESSAGES)),
    ("money", MONEY, (WORDS, MESSAGES, "analytics/store/")),  # the store's $names are DuckDB's bound parameters
])
def test_numbers_are_formatted_in_wording_only(kind, pattern, allowed):
    regex = re.compile(pattern)
    found = [f"{p.relative_to(ROOT)}: {m.group(0)!r}" for p in PRODUCT if not _is(p, allowed)
             for m in regex.finditer(_without_plotly_templates(_code(p)))]
    assert found == [], f"{kind} formatting outside {WORDS} and {MESSAGES}"


def test_wording_helpers_are_defined_once():
    names = r"def (pct|money|less_likely|hr_words|per_period|period_words|value_label|key_messages|briefing|naive_claim)\("
    assert offenders(PRODUCT, names, allowed=(WORDS, MESSAGES)) == []


def _module_assignments(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    names.add(leaf.id)
    return names


def test_thresholds_live_in_policy_only():
    """Every threshold policy.py sets is set nowhere else, and the month length and horizons are
    not written down as numbers elsewhere."""
    from analytics.common import policy

    thresholds = {name for name in vars(policy) if name.isupper()}
    elsewhere = [f"{p.relative_to(ROOT)}: {name}" for p in PRODUCT if not _is(p, (POLICY,))
                 for name in sorted(_module_assignments(p) & thresholds)]
    assert elsewhere == []
    assert offenders(PRODUCT, r"30\.4375|\b365\b|\b730\b", allowed=(POLICY, "analytics/intake/demo.py")) == []


def test_report_takes_no_constants_from_the_models():
    exports = [ROOT / "analytics" / "outputs" / "report.py", ROOT / "analytics" / "outputs" / "tables.py"]
    assert offenders(exports, r"from analytics\.estimation\.models import") == []


def test_errors_are_defined_in_errors_only():
    """No exception class outside errors.py, however it is written (nested, several bases, a dotted base)."""
    def is_error(base: ast.expr) -> bool:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        return name.endswith(("Error", "Exception", "Problem", "Warning")) or name == "NotEnoughData"

    found = [f"{p.relative_to(ROOT)}: {node.name}" for p in PRODUCT if not _is(p, ("analytics/common/errors.py",))
             for node in ast.walk(ast.parse(p.read_text())) if isinstance(node, ast.ClassDef)
             and any(is_error(b) for b in node.bases)]
    assert found == []


ENVIRONMENT = (r"environ\.(?:get|setdefault)\([\"'](\w+)", r"environ\[[\"'](\w+)", r"getenv\([\"'](\w+)",
               r"\$\{(\w+):-")  # Python's reads and writes, and a shell script's ${NAME:-default}


def _settings() -> set[str]:
    """Every environment variable the product reads or sets, and every variable the Makefile takes."""
    sources = PRODUCT + [ROOT / "scripts" / "ensure-test-tools.sh", ROOT / ".ci" / "run"]
    env = {name for p in sources for pattern in ENVIRONMENT for name in re.findall(pattern, p.read_text())}
    make = set(re.findall(r"^(\w+) \?=", (ROOT / "Makefile").read_text(), re.M))
    return env | make


def test_every_setting_is_documented_in_the_readme():
    settings = _settings()
    assert {"RETENTION_DB", "RETENTION_AUTO_DEMO"} <= settings  # the scan finds what is there
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Settings"):]
    documented = set(re.findall(r"^\| `(\w+)`", table, re.M))
    assert sorted(settings - documented) == []


def test_no_file_cites_a_design_outside_the_repository():
    """The design is docs/design.md; nothing points at a file the repository does not hold."""
    files = PRODUCT + [p for p in sorted((ROOT / "tests").glob("*.py")) if p.name != "test_layout.py"] + \
        [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    cited = [f"{p.relative_to(ROOT)}" for p in files if re.search(r"\bDESIGN(\.md)?\b", p.read_text())]
    assert cited == []
    assert (ROOT / "docs" / "design.md").exists()


def test_the_readme_states_the_defaults_the_code_uses():
    from analytics.common import policy
    from analytics.words import wording

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Settings"):]
    low, high = policy.REPLACEMENT_COST_RANGE
    first, last = policy.HORIZON_YEARS_RANGE
    for text in (f"{wording.pct(policy.COVERAGE_TARGET)}, never below", f"{wording.pct(policy.REPLACEMENT_COST_PCT)} of salary "
                 f"({wording.pct(low)} to {wording.pct(high)})", wording.money_exact(policy.PROGRAMME_COST_PER_MENTEE),
                 f"{wording.years_words(policy.HORIZON_YEARS)} ({first} to {last})",
                 f"fewer than {policy.MIN_GROUP_SIZE} people",
                 f"a hazard ratio needs {policy.MIN_EFFECT_PEOPLE} people\nmentored and {policy.MIN_EFFECT_PEOPLE} not"):
        assert text in table


def test_no_pages_folder_beside_the_app():
    """Streamlit serves a pages/ folder's scripts on their own to a first visitor who opens a page's
    address directly (no sidebar filters, another page list): the pages live in views/."""
    assert not (ROOT / "pages").exists() and (ROOT / "views" / "data.py").exists()
