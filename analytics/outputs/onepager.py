"""The one-pager: the headline, its charts and its assumptions on one printed page (A4 or US Letter).

Self-contained HTML with no script and no external reference: the charts are inline SVG (svg.py), the fonts
are the reader's own, and the colours and words are the dashboard's (palette.py, wording.py). Every value that
comes from the user's files is escaped.
"""
from __future__ import annotations

import html
from datetime import date

from analytics.case.summary import Headline
from analytics.common.policy import CURVE_MONTHS, MIN_GROUP_SIZE, shown_share, shown_total
from analytics.outputs import messages, palette, svg
from analytics.outputs.messages import key_messages
from analytics.words import verdict, wording
from analytics.words.wording import money, pct, pct_range

# No page size: the browser prints on the reader's paper, and the page is laid out to fit the narrower (A4)
# and the shorter (US Letter) of the two at once.
CSS = f"""
@page {{ margin: 6mm 12mm; }}
html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
body {{ font-family: {svg.FONT}; font-size: 8.2pt; line-height: 1.22; color: {palette.INK}; margin: 0 auto;
       max-width: 186mm; padding: 8mm 6mm; }}
@media print {{ body {{ padding: 0; max-width: none; }} }}
h1 {{ font-size: 17pt; margin: 0; line-height: 1.15; }}
h2 {{ font-size: 10pt; margin: 5px 0 1px; color: {palette.ACCENT}; }}
p {{ margin: 2px 0; }}
.scope, .small {{ color: {palette.MUTED}; font-size: 8pt; }}
.demo {{ color: {palette.WARNING}; border-left: 3px solid {palette.WARNING}; padding: 1px 6px; margin: 3px 0;
        font-size: 8.5pt; font-weight: bold; }}
.headline {{ font-size: 11pt; font-weight: bold; background: {palette.LIGHT}; border-left: 5px solid {palette.ACCENT};
            padding: 5px 10px; margin: 5px 0; }}
.headline.unclear {{ border-left-color: {palette.WARNING}; }}
.headline .note {{ font-size: 8.6pt; font-weight: normal; color: {palette.WARNING}; margin-top: 2px; }}
.kpis {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(28mm, 1fr)); gap: 6px; margin: 4px 0; }}
.kpi {{ border: 1px solid {palette.GRID}; border-radius: 4px; padding: 3px 7px; }}
.kpi .label {{ font-size: 8pt; color: {palette.MUTED}; }}
.kpi .value {{ font-size: 12pt; font-weight: bold; line-height: 1.2; }}
.kpi .range {{ font-size: 7.5pt; color: {palette.MUTED}; }}
.kpi .range.loss, .loss {{ color: {palette.WARNING}; }}
.charts {{ display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }}
.charts svg {{ width: 100%; height: auto; display: block; }}
.warn {{ color: {palette.WARNING}; font-weight: bold; }}
table {{ border-collapse: collapse; width: 100%; font-size: 7.1pt; line-height: 1.12; }}
th {{ text-align: left; color: {palette.MUTED}; font-weight: normal; border-bottom: 1px solid {palette.GRID}; }}
td, th {{ padding: 1.5px 5px 1.5px 0; vertical-align: top; }}
td {{ border-bottom: 1px solid {palette.GRID}; }}
td.num {{ white-space: nowrap; }}
.quoted td:first-child {{ width: 42%; }}
.assumptions td:first-child {{ width: 42%; }} .assumptions td.num {{ width: 11%; }}
.assumptions td {{ padding-top: 0.5px; padding-bottom: 0.5px; }}
.source {{ color: {palette.MUTED}; font-size: 7pt; }}
.block {{ break-inside: avoid; }}
"""


def _e(text) -> str:
    return html.escape(str(text))


def _kpi(label: str, value: str, rng: str = "", caution: bool = False) -> str:
    return (f'<div class="kpi"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
            f'<div class="range{" loss" if caution else ""}">{_e(rng) or "&nbsp;"}</div></div>')


def _kpis(h: Headline) -> str:
    """The Overview's cards, in its words."""
    fu = h.follow_up
    rounded = fu.rounded and shown_total(fu.n_employees, True) is not None
    cards = [_kpi("In scope", wording.total_words(fu.n_employees, fu.rounded), "people" + (", rounded" if rounded else "")),
             _kpi("Ever mentored", pct(shown_share(fu.n_mentored, fu.n_employees)), "leavers included")]
    if h.retention:
        for name, label in (("mentored", "Mentored"), ("unmentored", "Unmentored")):
            est = h.retention[name]
            if verdict.rate(est) == verdict.RATE:
                value, rng = pct(est.estimate), "range " + pct_range(est.lower, est.upper) + ", unadjusted"
            else:  # no exits (or no stayers): no range to give, and no certainty either
                value, rng = verdict.rate(est), wording.rate_words(est, rounded=fu.rounded).split("(", 1)[-1].rstrip(")")
            cards.append(_kpi(f"{label}: {wording.months(h.horizon_days)} mo", value, rng))
    if h.business:
        case, unit = h.business, h.business.inputs.currency
        done = case.already_done.value
        cards.append(_kpi("Done: still worth", money(done.estimate, unit), "range " + messages.money_range(done, unit),
                          caution=verdict.value(done) != verdict.GAIN))
    return f'<div class="kpis">{"".join(cards)}</div>'


def _charts(h: Headline, msg: dict[str, str]) -> str:
    fu = h.follow_up
    cells = []
    if h.curves:
        title = wording.staying_title(fu.event)
        cells.append(f"<div><h2>{_e(title)}, by months since hire</h2>"
                     + svg.survival_chart({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                          CURVE_MONTHS, h.horizon_days, y_title=title, height=140, rounded=fu.rounded)
                     + f'<p class="small">Mentored people count from the day their mentoring began. Shaded: 95% '
                       f"ranges; a line stops where fewer than {MIN_GROUP_SIZE} remain.</p></div>")
    effects = messages.model_effects(h)
    if any(effects.values()):
        colours = [palette.GROUPS[key] for key in messages.MODEL_KEYS]
        cells.append("<div><h2>How we know: naive and honest figures</h2>"
                     + svg.effects_chart(effects, colours)
                     + f"<p class='small'>{_e(msg.get('naive', ''))}</p></div>")
    return f'<div class="charts block">{"".join(cells)}</div>' if cells else ""


def _worth(h: Headline, msg: dict[str, str]) -> str:
    if not h.business:
        return (f"<h2>What it is worth</h2><p>No business case for this group: "
                f"{_e(h.missing.get('business_case', 'not enough data'))}.</p>")
    case = h.business
    head = "".join(f"<th>{_e(c)}</th>" for c in messages.TWO_QUESTIONS_HEADER)
    rows = "".join("<tr>" + "".join(f"<td{'' if i == 0 else ' class=num'}>{_e(c)}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in messages.two_questions_rows(case))
    period = wording.per_period(case.inputs.horizon_years, "over the next year")
    parts = [f"<h2>What it is worth {_e(period)}: what is done, and what more would return</h2>",
             f"<table class='worth'><tr>{head}</tr>{rows}</table>",
             f"<p class='small'>{_e(messages.reconcile_sentence(case))}"
             + (f' <span class="warn">{_e(msg["loss"])}</span>' if msg.get("loss") else "") + "</p>"]
    return "".join(parts)


def _quoted(h: Headline) -> str:
    """The figures leadership has heard, each beside this company's own; a source all of them share is given
    once, below."""
    rows, shared = [], False
    for quoted, source, ours in messages.quoted_beside_ours(h):
        if source.startswith(messages.QUOTED_SOURCE):
            source, shared = "*" + source[len(messages.QUOTED_SOURCE):].lstrip("; "), True
        rows.append(f"<tr><td>{_e(quoted[:1].upper() + quoted[1:])} <span class='source'>({_e(source)})</span></td>"
                    f"<td>{_e(ours)}</td></tr>")
    if not rows:
        return ""
    note = f"<p class='source'>* {_e(messages.QUOTED_SOURCE[:1].upper() + messages.QUOTED_SOURCE[1:])}.</p>" if shared else ""
    return ("<div class='block'><h2>What is widely quoted, and what your data says</h2>"
            f"<table class='quoted'><tr><th>widely quoted</th><th>your data</th></tr>{''.join(rows)}</table>{note}</div>")


def _assumptions(h: Headline) -> str:
    if not h.business:
        return ""
    # the effects counted without their ranges here (two side by side would squeeze the sources onto two lines)
    rows = "".join(f"<tr><td>{_e(r.input)}</td><td class='num'>{_e(r.value)}"
                   f"{f' ({_e(r.range)})' if r.range and r.input != messages.COUNTED_LABEL else ''}</td>"
                   f"<td>{_e(r.source)}</td></tr>" for r in messages.assumptions_frame(h.business.inputs).itertuples())
    return ("<div class='block'><h2>Assumptions and where they came from</h2>"
            f"<table class='assumptions'><tr><th>input</th><th>value</th><th>source</th></tr>{rows}</table></div>")


def one_pager_html(h: Headline, today: date | None = None) -> str:
    """Self-contained HTML that prints on one page: no script, no external reference."""
    msg = key_messages(h)
    demo = f"<div class='demo'>{_e(msg['demo'])}</div>" if "demo" in msg else ""
    unclear = "effect_note" in msg  # no clear effect, or harm: said under the effect (verdict.effect)
    note = f"<div class='note'>{_e(msg['effect_note'])}</div>" if unclear else ""
    body = "".join([
        f"<h1>Is mentoring keeping people?</h1>{demo}<div class='scope'>{_e(msg['scope'])}</div>",
        f"<div class='headline{' unclear' if unclear else ''}'>{_e(msg['effect'])}{note}</div>",
        _kpis(h), _charts(h, msg), _worth(h, msg), _quoted(h), _assumptions(h),
        f"<p class='scope'>{_e(messages.generated_on(today or date.today()))}</p>"])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Mentoring and retention</title><style>{CSS}</style></head><body>{body}</body></html>")
