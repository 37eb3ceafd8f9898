"""Report files that carry the business case out of the app: the one-pager (HTML) or the deck (PPTX) written
for the CLI, and the analysis data sets (one row per person, or the models' intervals).

All are built from the same Headline the pages use, work offline, and need nothing but
this package to open: the one-pager (onepager.py) is HTML with inline SVG charts and no script; the
deck's charts are native PowerPoint charts (editable, no images); the CSV zip (tables.py) carries a
README.txt that describes every table and column.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.case.summary import Assumptions, headline
from analytics.common.errors import RetentionError
from analytics.estimation.followup import FollowUp
from analytics.outputs.deck import contents, deck_pptx
from analytics.outputs.onepager import one_pager_html
from analytics.store import database
from analytics.words import wording


# ---------------------------------------------------------------- the analysis data set

ANALYSIS_SETS = {"people": "one row per employee: follow-up from hire to leaving or the as-of date",
                 "intervals": "the counting-process rows the models fit: (start, stop] days since hire, split "
                              "where mentoring began"}


def analysis_data(fu, kind: str = "people", fmt: str = "csv") -> bytes:
    """The rows the analysis uses, for analysts to take elsewhere (R, Python, a BI tool): `people` (one row per
    employee) or `intervals` (the models' counting-process rows), as CSV (formulas neutralised) or Parquet."""
    if kind not in ANALYSIS_SETS:
        raise RetentionError(f"rows must be one of {tuple(ANALYSIS_SETS)}, but was {kind!r}")
    if fmt not in ("csv", "parquet"):
        raise RetentionError(f"format must be one of ('csv', 'parquet'), but was {fmt!r}")
    frame = (fu.episodes if kind == "people" else _by_person(fu)).reset_index(drop=True)
    if fmt == "csv":
        return wording.to_csv(frame).encode("utf-8")
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    return out.getvalue()


def _by_person(fu: FollowUp) -> pd.DataFrame:
    """The counting-process rows with each person's together, in the people's order, earliest first (the
    models hold them ordered by when each interval ends)."""
    person = pd.Index(fu.episodes["employee_id"]).get_indexer(fu.rows["employee_id"])
    return fu.rows.iloc[np.lexsort((fu.rows["start"].to_numpy(), person))]


# ---------------------------------------------------------------- CLI entry

def write_report(con, fmt: str, out: str | Path, as_of=None, event=None,
                 assumptions: Assumptions = Assumptions(), organisation: str | None = None,
                 logo: bytes | None = None) -> Path:
    """The one-pager or the deck as a file; the organisation's name and logo are the stored ones unless given."""
    if fmt not in ("html", "pptx"):
        raise RetentionError(f"format must be one of ('html', 'pptx'), but was {fmt!r}")
    h = headline(con, None, as_of, event, assumptions)
    path = Path(out)
    stored = database.organisation(con)
    name, picture = organisation or stored["name"], logo or stored["logo"]
    try:
        if fmt == "html":
            path.write_text(one_pager_html(h), encoding="utf-8")
        else:
            path.write_bytes(deck_pptx(contents(con, h=h, organisation=name, logo=picture)))
    except OSError as exc:
        raise RetentionError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    return path
