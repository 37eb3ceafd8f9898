"""One palette, accessible: every text colour readable on white (WCAG 2.1 AA, 4.5:1), the dashboard's charts
drawing their text in it (not in Streamlit's theme greys), no colour written anywhere else, and groups listed
in their natural order (generations oldest to youngest)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from analytics.case.summary import compare_cohorts, diagnostics, headline
from analytics.intake.schema import GENERATIONS
from analytics.outputs import figures, messages, palette
from analytics.store import database, loads, queries
from analytics.store.cohorts import in_order

ROOT = Path(__file__).resolve().parent.parent
WHITE = "#ffffff"
AA = 4.5
TEXT = {"INK": palette.INK, "MUTED": palette.MUTED, "ACCENT": palette.ACCENT, "WARNING": palette.WARNING}


@pytest.mark.parametrize("name", list(TEXT))
def test_every_text_colour_is_readable_on_white(name):
    assert palette.contrast(TEXT[name], WHITE) >= AA
    assert palette.contrast(TEXT[name], palette.LIGHT) >= AA  # on the one-pager's headline panel too


def test_contrast_is_wcags():
    assert palette.contrast("#000000", WHITE) == pytest.approx(21)
    assert palette.contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)  # the classic just-too-light grey


@pytest.fixture(scope="module")
def con():
    c = database.connect(":memory:")
    loads.load_demo(c)
    yield c
    c.close()


@pytest.fixture(scope="module")
def every_figure(con):
    """Each figure the pages draw, on the demo company."""
    from analytics.case.business import coverage_scenarios

    h = headline(con)
    d = diagnostics(con)
    cohort = compare_cohorts(con, "generation")
    column = next(c for c in d.schoenfeld.columns if c == "mentored")
    return {
        "survival": figures.survival_figure({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                            horizon_days=h.horizon_days, max_months=60),
        "cohort curves": figures.survival_figure(cohort.curves, horizon_days=h.horizon_days, max_months=60),
        "naive vs honest": figures.hazard_ratio_figure(messages.model_effects(h)),
        "forest": figures.forest_figure(cohort.effects),
        "incidence": figures.incidence_figure(d.exit_causes, max_months=60),
        "schoenfeld": figures.schoenfeld_figure(d.schoenfeld, column),
        "scenario": figures.scenario_figure(coverage_scenarios(h.business.inputs)),
    }


def _text_colours(fig) -> dict[str, str | None]:
    """Where a figure writes text, and the colour it is written in (None: left to a theme)."""
    layout = fig.layout
    base = layout.font.color
    out = {"font": base, "legend": layout.legend.font.color or base, "title": layout.title.font.color or base}
    for axis in [a for a in dir(layout) if re.fullmatch(r"[xy]axis\d*", a)]:
        ax = layout[axis]
        out[f"{axis} ticks"] = ax.tickfont.color  # a theme's tick colour wins over the layout's font: set it
        out[f"{axis} title"] = ax.title.font.color or base
    for i, note in enumerate(layout.annotations):
        out[f"annotation {i} ({note.text[:20]})"] = note.font.color or base
    for i, trace in enumerate(fig.data):
        if getattr(trace, "text", None) is not None:
            out[f"trace {i} text"] = trace.textfont.color or base
    return out


def test_the_dashboards_charts_write_every_text_readably(every_figure):
    for name, fig in every_figure.items():
        for where, colour in _text_colours(fig).items():
            assert colour is not None, f"{name}: {where} is left to the theme"
            assert palette.contrast(colour, WHITE) >= AA, f"{name}: {where} {colour}"
        ticks = {c for w, c in _text_colours(fig).items() if w.endswith("ticks")}
        assert ticks <= {palette.MUTED, palette.INK}, name


def test_the_two_groups_part_in_greyscale(every_figure):
    lines = {t.name: t.line for t in every_figure["survival"].data if t.mode == "lines"}
    assert (lines["mentored"].color, lines["mentored"].dash) == (palette.MENTORED, "solid")
    assert (lines["unmentored"].color, lines["unmentored"].dash) == (palette.UNMENTORED, "dash")
    several = [(t.line.color, t.line.dash) for t in every_figure["cohort curves"].data if t.mode == "lines"]
    assert len(set(several)) == len(several) == len(GENERATIONS)
    assert {c for c, _ in several} <= set(palette.SERIES) and len({d for _, d in several}) == len(several)


HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b(?![0-9a-fA-F])")


def test_no_colour_is_written_outside_the_palette():
    """Colours come from analytics/outputs/palette.py (the Streamlit theme's from config.toml, checked below)."""
    product = sorted((ROOT / "analytics").glob("*.py")) + [ROOT / "ui.py", ROOT / "app.py",
                                                           *sorted((ROOT / "views").glob("*.py"))]
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in product if p.name != "palette.py"
             for line in p.read_text().splitlines() if not line.lstrip().startswith("#")
             for m in HEX.finditer(line.split("  #")[0])]
    assert found == []


def test_the_streamlit_theme_is_the_palette():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["primaryColor"] == palette.ACCENT and theme["textColor"] == palette.INK
    assert theme["secondaryBackgroundColor"] == palette.LIGHT
    assert theme["orangeTextColor"] == palette.WARNING  # a range that includes a loss, as on the one-pager
    assert theme["chartCategoricalColors"] == palette.SERIES


def test_the_pages_draw_the_charts_as_built(monkeypatch, demo_db):
    """theme=None: Streamlit's theme would grey the tick labels (#808495, 3.8:1 on white)."""
    from tests.test_app import open_app

    at = open_app(monkeypatch, demo_db, "views/overview.py")
    charts = at.get("plotly_chart")
    assert len(charts) == 2 and all(c.proto.theme == "" for c in charts)
    views = "\n".join(p.read_text() for p in sorted((ROOT / "views").glob("*.py")))
    assert "plotly_chart(" not in views  # every page draws through ui.chart


# ------------------------------------------------------------ the order groups are listed in

def test_generations_sort_oldest_first():
    names = [name for name, _, _ in GENERATIONS]
    assert names == ["Boomer", "Gen X", "Millennial", "Gen Z"]  # by birth year
    assert in_order("generation", ["Gen Z", "Millennial", "not recorded", "Boomer", "Gen X"]) == \
        ["Boomer", "Gen X", "Millennial", "Gen Z", "not recorded"]
    assert in_order("department", ["Sales", "Finance"]) == ["Finance", "Sales"]


def test_the_cohorts_page_lists_generations_oldest_first(con):
    c = compare_cohorts(con, "generation")
    order = [name for name, _, _ in GENERATIONS]
    assert list(c.table["group"]) == order
    assert list(c.curves) == order
    assert [e.group for e in c.effects] == order
    assert queries.filter_options(con)["generation"] == order
