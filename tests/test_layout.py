"""The design card's boundaries: analytics/ never imports streamlit; pages hold no SQL or fitting."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_analytics_never_imports_streamlit():
    offenders = [p.name for p in (ROOT / "analytics").glob("*.py")
                 if re.search(r"^\s*(import|from)\s+streamlit", p.read_text(), re.M)]
    assert offenders == []


def test_pages_hold_no_sql_and_no_statistics():
    pattern = re.compile(r"\b(SELECT|INSERT|DELETE)\b|\.execute\(|fit_cox|PHReg|KaplanMeier\(")
    offenders = [p.name for p in (ROOT / "pages").glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
