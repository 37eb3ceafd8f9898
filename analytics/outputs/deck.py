"""The slides a leadership team is shown: about ten, on the template's own layouts (a real title on each,
so PowerPoint's outline and a screen reader see it), in the product's palette, with speaker notes giving
the talking points and sources. Charts are native PowerPoint charts (editable, no images).

Plain words until the appendix: no slide before it speaks of models, ties or coefficients; the appendix
gives the assumptions with their sources and the method as an analyst would check it.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from analytics.case.business import coverage_scenarios
from analytics.case.summary import Assumptions, Headline, headline
from analytics.case.where_next import Segment, for_headline
from analytics.common.errors import InputFileError, NotEnoughData, RetentionError
from analytics.common.policy import MAX_LOGO_BYTES, MAX_LOGO_PIXELS, MIN_GROUP_SIZE, WHERE_NEXT_SHOWN
from analytics.estimation.models import ModelFit
from analytics.estimation.subgroups import (AGE_NOT_RECORDED, OUTSIDE_ROSTER, SubgroupEffect,
                                            mentor_manager_effects, mentor_own_effect, programme_effects,
                                            reverse_pair_effects)
from analytics.outputs import messages, palette
from analytics.outputs.tables import curve_table
from analytics.store.cohorts import Cohort
from analytics.words import lasting, regrettable, verdict, wording
from analytics.words.wording import hr_words, money, pct

APPENDIX = "Appendix"  # every slide whose title starts so is for analysts; jargon is allowed there only
WIDE, HIGH = 13.333, 7.5  # inches, 16:9


@dataclass(frozen=True)
class Briefing:
    """Everything the deck says, computed once from the store."""

    headline: Headline
    organisation: str | None = None
    logo: bytes | None = None
    what_works: dict[str, list[SubgroupEffect]] = field(default_factory=dict)
    mentors: ModelFit | None = None
    where_next: list[Segment] = field(default_factory=list)
    today: date = field(default_factory=date.today)


def contents(con, cohort: Cohort | None = None, as_of=None, event=None, assumptions: Assumptions = Assumptions(),
             organisation: str | None = None, logo: bytes | None = None, h: Headline | None = None,
             today: date | None = None) -> Briefing:
    """The headline plus what leadership asks next: which kind of mentoring works, do mentors gain too, where
    to extend; each left out when the data cannot give it."""
    h = h or headline(con, cohort, as_of, event, assumptions)
    fu = h.follow_up
    works: dict[str, list[SubgroupEffect]] = {}
    for title, make in (("Programme type", programme_effects), ("Mentor and line manager", mentor_manager_effects),
                        ("Mentor's age", reverse_pair_effects)):
        try:
            shown = [e for e in make(fu) if e.hazard_ratio is not None and e.people is not None]
        except RetentionError:
            shown = []
        if shown:
            works[title] = shown
    try:
        mentors = mentor_own_effect(con, fu)
    except (RetentionError, NotEnoughData):
        mentors = None
    segments = for_headline(h)
    return Briefing(h, organisation, logo, works, mentors, segments, today or date.today())


def checked_logo(data: bytes, name: str) -> bytes:
    """A logo for the title slide: a PNG or JPEG image of at most MAX_LOGO_BYTES and MAX_LOGO_PIXELS, its width and
    height read from its header before a pixel is decoded; else a message naming the file."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_LOGO_BYTES:
        raise InputFileError(name, f"{len(data):,} bytes; a logo must be under {MAX_LOGO_BYTES:,} bytes")
    size = _image_size(data)
    if size is not None and size[0] * size[1] > MAX_LOGO_PIXELS:
        raise _too_many_pixels(name, size)
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            kind, size = image.format, image.size
            if size[0] * size[1] <= MAX_LOGO_PIXELS:  # else refused below, never decoded
                image.verify()
    except Image.DecompressionBombError:  # larger still, in a header _image_size does not read
        raise _too_many_pixels(name, None) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    if kind not in ("PNG", "JPEG"):
        raise InputFileError(name, "a logo must be a PNG or JPEG image")
    if size[0] * size[1] > MAX_LOGO_PIXELS:
        raise _too_many_pixels(name, size)
    return data


def _too_many_pixels(name: str, size: tuple[int, int] | None) -> InputFileError:
    said = f"{size[0]:,} x {size[1]:,} pixels" if size else f"more than {MAX_LOGO_PIXELS:,} pixels"
    return InputFileError(name, f"{said}; a logo may have at most {MAX_LOGO_PIXELS:,} pixels (5,000 x 5,000): "
                                "save it smaller")


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk or a JPEG's start-of-frame header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    at = 2 if data[:2] == b"\xff\xd8" else len(data)
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:  # fill byte, or a marker without a length
            at += 1 if marker == 0xFF else 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame: height, then width
            return int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(data[at + 5:at + 7], "big")
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    return None


# ---------------------------------------------------------------- the file

class _Deck:
    """A 16:9 deck on the default template's layouts, widened, with the product's colours."""

    TITLE, TITLE_AND_BODY, SECTION, TITLE_ONLY = 0, 1, 2, 5

    def __init__(self):
        from pptx import Presentation
        from pptx.oxml.ns import qn
        from pptx.util import Inches

        self.prs = Presentation()
        scale = Inches(WIDE) / self.prs.slide_width
        self.prs.slide_width, self.prs.slide_height = Inches(WIDE), Inches(HIGH)
        for holder in [*self.prs.slide_master.placeholders,
                       *(p for layout in self.prs.slide_layouts for p in layout.placeholders)]:
            if holder._element.spPr.find(qn("a:xfrm")) is not None:  # its own box (others inherit the master's)
                holder.left, holder.width = int(holder.left * scale), int(holder.width * scale)

    def slide(self, title: str, notes: list[str], layout: int = TITLE_ONLY):
        from pptx.dml.color import RGBColor
        from pptx.util import Pt

        s = self.prs.slides.add_slide(self.prs.slide_layouts[layout])
        s.shapes.title.text = title
        s.shapes.title.text_frame.word_wrap = True
        for p in s.shapes.title.text_frame.paragraphs:
            for run in p.runs:
                run.font.size = Pt(40 if layout == self.TITLE else 28)
                run.font.bold = True
                run.font.color.rgb = RGBColor.from_string(palette.ACCENT[1:])
        s.notes_slide.notes_text_frame.text = "\n".join(n for n in notes if n)
        return s

    @staticmethod
    def body(s, lines: list[str], size: int = 20) -> None:
        """The layout's own text placeholder, one paragraph a line."""
        from pptx.util import Pt

        holder = next(p for p in s.placeholders if p.placeholder_format.idx == 1)
        tf = holder.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = line
            p.font.size = Pt(size)
            p.space_after = Pt(10)

    @staticmethod
    def text(s, lines: list[str], top: float, size: int = 18, height: float = 1.5, colour: str = palette.INK,
             left: float = 0.6, width: float = WIDE - 1.2):
        from pptx.dml.color import RGBColor
        from pptx.util import Inches, Pt

        box = s.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text, p.font.size = line, Pt(size)
            p.font.color.rgb = RGBColor.from_string(colour[1:])
            p.space_after = Pt(8)
        return box

    @staticmethod
    def table(s, header: list[str], rows: list[list[str]], top: float, widths: list[float], size: int = 14):
        from pptx.dml.color import RGBColor
        from pptx.util import Inches, Pt

        shape = s.shapes.add_table(len(rows) + 1, len(header), Inches(0.6), Inches(top), Inches(sum(widths)),
                                   Inches(0.45 * (len(rows) + 1)))
        table = shape.table
        for j, w in enumerate(widths):
            table.columns[j].width = Inches(w)
        for i, cells in enumerate([header, *rows]):
            for j, value in enumerate(cells):
                cell = table.cell(i, j)
                cell.text = value
                for p in cell.text_frame.paragraphs:
                    p.font.size = Pt(size)
                    p.font.bold = i == 0
                    p.font.color.rgb = RGBColor.from_string("FFFFFF" if i == 0 else palette.INK[1:])
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor.from_string(palette.ACCENT[1:] if i == 0 else
                                                                ("FFFFFF" if i % 2 else palette.LIGHT[1:]))
        return table

    @staticmethod
    def chart(s, kind, categories, series: dict[str, list], colours: list[str], top=1.5, height=4.6,
              number_format=wording.PPTX_PERCENT, legend=True, dashes: list[str] | None = None, left: float = 0.6,
              width: float = WIDE - 1.2):
        from pptx.chart.data import CategoryChartData
        from pptx.dml.color import RGBColor
        from pptx.enum.chart import XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
        from pptx.enum.dml import MSO_LINE_DASH_STYLE
        from pptx.util import Inches, Pt

        data = CategoryChartData()
        data.categories = categories
        for name, values in series.items():
            data.add_series(name, values)
        frame = s.shapes.add_chart(kind, Inches(left), Inches(top), Inches(width), Inches(height), data)
        c = frame.chart
        c.has_legend = legend
        if legend:
            c.legend.position, c.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        c.value_axis.tick_labels.number_format = number_format
        c.value_axis.tick_labels.number_format_is_linked = False
        c.value_axis.major_gridlines.format.line.color.rgb = RGBColor.from_string(palette.GRID[1:])
        c.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # below negative bars too
        c.font.size = Pt(14)
        c.font.color.rgb = RGBColor.from_string(palette.INK[1:])
        line_kinds = "LINE" in kind.name
        for i, plot_series in enumerate(c.plots[0].series):
            colour = RGBColor.from_string(colours[i % len(colours)][1:])
            if line_kinds:
                plot_series.format.line.color.rgb = colour
                plot_series.format.line.width = Pt(3)
                plot_series.smooth = False
                if dashes and dashes[i % len(dashes)] == "dash":
                    plot_series.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
            else:
                plot_series.format.fill.solid()
                plot_series.format.fill.fore_color.rgb = colour
        return c

    def bytes(self, title: str, author: str, subject: str) -> bytes:
        props = self.prs.core_properties
        now = datetime.now().replace(microsecond=0)
        props.title, props.author, props.subject = title, author, subject
        props.last_modified_by, props.created, props.modified, props.revision = author, now, now, 1
        props.keywords = "mentoring; retention; business case"
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


# ---------------------------------------------------------------- the slides

NOT_A_KIND = (AGE_NOT_RECORDED, OUTSIDE_ROSTER, "unspecified")  # what the records lack, not a kind of mentoring


def _alike(h: Headline) -> str:
    return wording.alike_words(h.adjusted.covariates if h.adjusted else ())


def _sources(h: Headline) -> str:
    fu = h.follow_up
    return (f"Source: the HR records loaded into the dashboard, {wording.total_words(fu.n_employees, fu.rounded)} "
            f"people, data as of "
            f"{fu.as_of:%d %B %Y}.")


def _title_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    from pptx.util import Inches

    s = deck.slide("Is mentoring keeping people?", [
        "Purpose: whether our mentoring programme keeps people, by how much, what it is worth, and how sure we are.",
        "Every figure here counts mentoring only from the day it began and compares like with like, so it is "
        "usually smaller than the figures quoted in articles, and it is the one to plan with.", msg["scope"],
        msg.get("demo", "")], layout=deck.TITLE)
    subtitle = next(p for p in s.placeholders if p.placeholder_format.idx == 1)
    subtitle.text = " · ".join(x for x in (b.organisation, f"{b.today:%d %B %Y}") if x)
    if "demo" in msg:
        p = subtitle.text_frame.add_paragraph()
        p.text = msg["demo"]
    if b.logo:
        s.shapes.add_picture(io.BytesIO(b.logo), Inches(WIDE - 2.6), Inches(0.4), height=Inches(1.0))


def _answer_title(h: Headline) -> str:
    if not h.adjusted:
        return "The answer: our data cannot say yet"
    return "The answer: " + wording.effect_title(h.adjusted.hazard_ratio)


def _answer_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Pt

    h = b.headline
    lines = [msg["effect"]] + [msg[k] for k in ("effect_note", "retention", "value") if k in msg]
    size = 18 if "effect_note" not in msg else 15  # a warning under the effect: the same box holds one more paragraph
    s = deck.slide(_answer_title(h), [
        "Say: " + msg["effect"], msg.get("effect_note", ""),
        "The range is the honest uncertainty: plan with the cautious end.",
        msg.get("retention", ""), "The chart: the share of each group still here, by months since hire; mentored "
        "people count from the day their mentoring began.", _sources(h)])
    if not h.curves:
        deck.text(s, lines, 1.6, size=size + 2, height=5.0)
        return

    deck.text(s, lines, 1.6, size=size, height=5.2, width=5.2)
    curves = curve_table(h)
    c = deck.chart(s, XL_CHART_TYPE.LINE, [str(m) for m in curves["month"]],
                   {f"{name}": [None if pd.isna(v) else float(v) for v in curves[name]]
                    for name in ("mentored", "unmentored")}, [palette.MENTORED, palette.UNMENTORED],
                   top=1.5, height=5.0, left=6.0, width=WIDE - 6.5, dashes=["solid", "dash"])
    c.category_axis.tick_labels.font.size = Pt(11)
    _every(c, 6)  # a label every six months
    c.value_axis.minimum_scale, c.value_axis.maximum_scale = 0.0, 1.0
    c.has_title = True
    c.chart_title.text_frame.text = "Still here, by months since hire"
    c.chart_title.text_frame.paragraphs[0].font.size = Pt(14)


def _every(chart, n: int) -> None:
    """Label and mark every n-th category only (python-pptx has no property for it)."""
    from lxml import etree
    from pptx.oxml.ns import qn

    axis = chart.category_axis._element
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        for old in axis.findall(qn(tag)):
            axis.remove(old)
    skip, mark = etree.SubElement(axis, qn("c:tickLblSkip")), etree.SubElement(axis, qn("c:tickMarkSkip"))
    skip.set("val", str(n))
    mark.set("val", str(n))
    no_multi = axis.find(qn("c:noMultiLvlLbl"))
    if no_multi is not None:  # the schema's order: the skips come before noMultiLvlLbl
        axis.remove(no_multi)
        axis.append(no_multi)


def _why_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE

    h = b.headline
    fits = [(label, hr) for label, hr in messages.model_effects(h).items() if hr]
    steps = wording.why_notes(h.naive, h.time_varying, h.adjusted)
    s = deck.slide(wording.why_title(h.naive.hazard_ratio if h.naive else None,
                                     h.adjusted.hazard_ratio if h.adjusted else None), [
        "A simple report compares people who were ever mentored with those who never were.", *steps,
        f"We count mentoring only from its first day, then compare people alike in {_alike(h)}.",
        msg.get("naive", ""), _sources(h)])
    colours = [palette.NAIVE if key == "naive" else palette.TIME_VARYING if key == "time_varying" else palette.ACCENT
               for key, hr in zip(messages.MODEL_KEYS, messages.model_effects(h).values()) if hr]
    c = deck.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, [f"{label}\n({_range_words(hr)})" for label, hr in fits],
                   {"How much less likely to leave in any given month": [1 - hr.estimate for _, hr in fits]},
                   [palette.ACCENT], top=1.5, height=3.6, legend=False)
    _colour_points(c, colours)
    _label_bars(c, wording.PPTX_LESS_MORE)
    lowest = min(1 - hr.estimate for _, hr in fits)
    if lowest < 0:  # a bar left of zero (more likely to leave): room for its label before the groups' names
        c.value_axis.minimum_scale = math.floor((lowest - 0.35) / 0.2) * 0.2
        c.value_axis.major_unit = 0.2
    deck.text(s, [msg.get("naive", ""), "We count mentoring only from the day it began and compare like with like: "
                  f"people alike in {_alike(h)}."], 5.3, size=15, height=1.9)
    del steps


def _range_words(hr) -> str:
    """'range 16% to 34% less', 'range 12% to 42% more', or 'range 16% more to 24% less' when it spans no effect."""
    words = hr_words(hr).split("(", 1)[1].rstrip(")")
    kind = verdict.effect(hr)
    return words if kind == verdict.UNCLEAR else f"{words} {'less' if kind == verdict.FEWER else 'more'}"


def _colour_points(chart, colours: list[str]) -> None:
    from pptx.dml.color import RGBColor

    series = chart.plots[0].series[0]
    for i, colour in enumerate(colours):
        point = series.points[i]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = RGBColor.from_string(colour[1:])


def _label_bars(chart, number_format: str = wording.PPTX_PERCENT) -> None:
    from pptx.enum.chart import XL_LABEL_POSITION
    from pptx.util import Pt

    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = number_format, False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    labels.font.size = Pt(14)


def _quoted_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    quoted = messages.quoted_beside_ours(b.headline)
    s = deck.slide("What is widely quoted, and what our own data says", [
        "These figures circulate in articles about mentoring; the room may have heard them. None is our finding.",
        *[f"Widely quoted: {figure} ({source}). {ours}" for figure, source, ours in quoted],
        "Where our honest figure is smaller than the quoted one, that is expected: quoted figures usually come from "
        "the simple comparison this analysis corrects."])
    rows = [[f"Widely quoted: {figure}", ours.removeprefix("Here, ")[:1].upper() + ours.removeprefix("Here, ")[1:]]
            for figure, _, ours in quoted]
    deck.table(s, ["What the room may have heard", "What our data says"], rows, 1.5, [5.4, 6.7], size=14)
    deck.text(s, ["Sources of the quoted figures: " + "; ".join(sorted({src for _, src, _ in quoted}))], 6.5, size=11,
              height=0.8, colour=palette.MUTED)


VALUE_TITLE = "Two questions: what mentoring done is still worth, and what more would return"


def _value_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE

    case = b.headline.business
    x, done, new, first, nothing = case.inputs, case.already_done, case.per_new, case.first_year, case.do_nothing
    loss = msg.get("loss", "")
    s = deck.slide(VALUE_TITLE, [
        messages.already_done_sentence(case), messages.new_mentees_sentence(case), messages.first_year_sentence(case),
        messages.reconcile_sentence(case), msg.get("lasting", ""), messages.horizon_note(), loss,
        "Full cost: the programme fee, and the mentor's and mentee's hours at a loaded hourly cost (the ROI "
        "Institute's fully loaded cost); later years' money is discounted. Ranges are 95% ranges: they carry the "
        "uncertainty of the effect and of how many leave at all, not of the assumptions (see the appendix for each "
        "assumption and its source)."])
    money_format = wording.pptx_money(x.currency)
    deck.chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED,
               ["Mentoring already done (no cost)", "100 new mentees", "100 new mentees, first year only",
                "Doing nothing"],
               {"Value of exits avoided": [done.value.estimate, new.savings.estimate, first.savings.estimate, 0.0],
                "Full cost": [0.0, new.programme_cost.estimate, first.programme_cost.estimate, 0.0],
                "Net": [done.value.estimate, new.net_benefit.estimate, first.net_benefit.estimate, 0.0]},
               [palette.TIME_VARYING, palette.NAIVE, palette.ACCENT], top=1.4, height=3.6, number_format=money_format)
    unit = x.currency
    roi = new.roi
    lines = [f"Already done: {money(done.value.estimate, unit)} still to come from it (range "
             f"{messages.money_range(done.value, unit)}), a credit with no cost: its cost is spent.",
             f"Each 100 new mentees: full cost {money(new.programme_cost.estimate, unit)}, net "
             f"{money(new.net_benefit.estimate, unit)} (range {messages.money_range(new.net_benefit, unit)})"
             + ("" if roi.estimate is None else f", return {pct(roi.estimate)} ({pct(roi.low)} to {pct(roi.high)})")
             + f"; first year only: net {money(first.net_benefit.estimate, unit)}.",
             f"Doing nothing: about {nothing.get('exits', 0):,.0f} of 100 such people leave "
             f"{wording.per_period(x.horizon_years, 'within a year')}; decide on more mentoring by the second answer. "
             f"Counted: {lasting.lasting_label(x.lasting_effect)}."]
    deck.text(s, lines, 5.1, size=14, height=1.4)
    if loss:
        deck.text(s, [loss], 6.6, size=14, height=0.6, colour=palette.WARNING)


def _scenario_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE

    x = b.headline.business.inputs
    scen = coverage_scenarios(x)
    sentence = messages.target_sentence(b.headline.business)
    s = deck.slide(f"If {pct(x.coverage_target)} were mentored instead of the {pct(x.coverage_now)} mentored now", [
        sentence, "Why this target: " + messages.WIDELY_QUOTED["want_a_mentor"][0] + " (widely quoted, " +
        messages.WIDELY_QUOTED["want_a_mentor"][1] + "); the target is an assumption anyone can change.",
        "New mentees are assumed to be like the people never mentored, with their own chances of leaving; each pays "
        "the full cost of a new mentee (fee and time)."])
    deck.chart(s, XL_CHART_TYPE.LINE, [pct(c) for c in scen["coverage"]],
               {label: [float(v) for v in scen[col]] for label, col in
                (("cautious", "net_benefit_low"), ("estimate", "net_benefit"), ("optimistic", "net_benefit_high"))},
               [palette.NAIVE, palette.ACCENT, palette.TIME_VARYING], top=1.5, height=4.5,
               number_format=wording.pptx_money(x.currency), dashes=["dash", "solid", "dash"])
    deck.text(s, [sentence or "Today's share already meets the target."], 6.2, size=15, height=0.9)


def _what_works_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    rows = []
    for title, effects in b.what_works.items():
        for e in (e for e in effects if e.group not in NOT_A_KIND):
            rows.append([title, wording.chart_text(e.group), wording.total_words(e.people, b.headline.follow_up.rounded),
                         hr_words(e.hazard_ratio)])
    s = deck.slide("Which kind of mentoring works", [
        "Each line compares mentored people in that group with people not mentored, counting mentoring from its "
        f"first day, and alike in {_alike(b.headline)}.",
        "Groups overlap and are smaller than the whole, so their ranges are wider: treat differences between them as "
        "leads to look into, not as proof.",
        f"Groups of fewer than {MIN_GROUP_SIZE} people, or with too few leavers to say, are not shown."])
    rows = rows[:9]
    deck.table(s, ["Looked at", "Group", "People", "Likely to leave, against not mentored"], rows, 1.5,
               [2.9, 3.6, 1.3, 4.3], size=13)
    deck.text(s, ["Exploratory: groups overlap and have wider ranges than the whole programme."], 6.6, size=12,
              height=0.5, colour=palette.MUTED)


def _mentors_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    hr = b.mentors.hazard_ratio
    sentence = (f"Employees who had mentored someone were {hr_words(hr)} to leave in any given month than those who "
                "had not, compared like with like and counting from the day they began mentoring"
                + ("; the range includes no difference." if verdict.effect(hr) == verdict.UNCLEAR else "."))
    gain = {verdict.FEWER: "A benefit to mentors is on top of the figures for mentees; the business case does not "
                           "count it.",
            verdict.MORE: "Mentors here left more often than comparable colleagues: worth asking what mentoring costs "
                          "them. The business case does not count it."}.get(verdict.effect(hr),
                                                                           "The business case does not count mentors.")
    s = deck.slide("Do mentors stay longer too?", [
        sentence, "Mentors are often chosen from people who were staying anyway; this compares them with colleagues "
                  f"alike in {_alike(b.headline)}, but it cannot rule out that choice entirely.",
        _sources(b.headline)], layout=deck.TITLE_AND_BODY)
    deck.body(s, [sentence, gain], size=22)


def _where_next_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    shown = b.where_next[:WHERE_NEXT_SHOWN]
    years = b.headline.business.inputs.horizon_years
    rounded = b.headline.follow_up.rounded
    rows = messages.where_next_table(shown, rounded, years, b.headline.business.inputs.currency).iloc[:, :4].values.tolist()  # the page's cells
    hr = b.headline.adjusted.hazard_ratio
    warning = wording.where_next_warning(hr)
    s = deck.slide("Where to extend the programme next" if not warning else "Where mentoring more people would do least harm"
                   if verdict.effect(hr) == verdict.MORE else "Where to extend next, if the effect holds", [
        warning,
        f"For each group, the exits that mentoring 100 more of its people (never mentored so far) would avoid "
        f"{wording.per_period(years, 'a year')}, from each person's own chance of leaving and the group's own effect, "
        "pulled toward the company-wide effect as far as the group's data are thin.",
        "Groups differ by who is in them (newer, more junior people are likelier to leave, so mentoring them avoids "
        "more exits) and by how well mentoring has worked there. The value is net of 100 new mentees' programme "
        "cost.",
        "Exploratory: a ranking to discuss, not a forecast for any one group."])
    deck.table(s, ["Group", "Never mentored", f"Exits avoided per 100 mentored {wording.per_period(years)}",
                   "Net value per 100"], rows, 1.5, [3.8, 2.0, 3.3, 3.0], size=13)
    deck.text(s, ([warning] if warning else []) + ["Exploratory ranking; ranges from the effect's range. Groups of "
                                                   f"fewer than {MIN_GROUP_SIZE} people are not shown."],
              5.7 if warning else 6.6, size=12, height=1.4, colour=palette.WARNING if warning else palette.MUTED)


def _how_sure_slide(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    h = b.headline
    hr = h.adjusted.hazard_ratio
    lines = [wording.how_sure_sentence(hr)]
    if h.adjusted.e_value is not None:
        lines.append(wording.e_value_sentence(h.adjusted.e_value, hr))
    lines.append(f"What we compared on: {_alike(h)}, as the records hold them. What we could not: motivation, a "
                 "manager's support, anything not in the records.")
    lines += list(h.warnings)
    s = deck.slide("How sure are we", [*lines, _sources(h)], layout=deck.TITLE_AND_BODY)
    deck.body(s, lines, size=18)


def _appendix_assumptions(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    frame = messages.assumptions_frame(b.headline.business.inputs)
    s = deck.slide(f"{APPENDIX}: assumptions and their sources", [
        "Each input of the business case, its value and range, and where it came from; change any of them on the "
        "dashboard's Business case page and the slides follow.",
        f"Widely quoted: {messages.WIDELY_QUOTED['replacement'][0]} ({messages.WIDELY_QUOTED['replacement'][1]})."])
    rows = [[r.input, r.value + (f" ({r.range})" if r.range else ""), r.source] for r in frame.itertuples()]
    deck.table(s, ["Input", "Value", "Source"], rows, 1.4, [5.6, 2.2, 4.3], size=11)


def _appendix_method(deck: _Deck, b: Briefing, msg: dict[str, str]) -> None:
    h = b.headline
    covariates = wording.covariate_words(h.adjusted.covariates) if h.adjusted else "nothing"
    lines = ["Time from hire to leaving, for everyone employed in the period; people still employed count up to the "
             "as-of date (survival analysis).",
             *([note] if (note := regrettable.NOTES.get(h.follow_up.regrettable_by)) else []),
             "Mentoring counts from the day it began (a time-varying covariate), so the months before it are not "
             "credited to it; this removes immortal-time bias.",
             f"The honest figure is a Cox proportional hazards model (Efron ties, as R's survival package) adjusted "
             f"for {covariates}; its hazard ratio is shown as '% less likely to leave in any given month'.",
             *([note] if (note := wording.covariates_note(h.follow_up.covariates_from, h.adjusted.covariates if
                                                           h.adjusted else ())) else []),
             "Each person's chance of leaving within the horizon comes from the same model, with other exits "
             "competing; the business case sums them.",
             *([lasting.method_line(h.business.inputs.lasting_effect)] if h.business else []),
             f"Groups under {MIN_GROUP_SIZE} people are never shown; ranges are 95% confidence intervals. The "
             "dashboard's Methods page has the model checks."]
    s = deck.slide(f"{APPENDIX}: method", [*lines, "Full methods and sources: docs/methods.md in the product."],
                   layout=deck.TITLE_AND_BODY)
    deck.body(s, lines, size=15)


def deck_pptx(b: Briefing | Headline) -> bytes:
    """About ten slides; a slide whose figures the data cannot give is left out."""
    if isinstance(b, Headline):
        b = Briefing(b)
    h = b.headline
    msg = messages.key_messages(h)
    deck = _Deck()
    slides = [(_title_slide, True), (_answer_slide, True), (_why_slide, h.naive or h.time_varying or h.adjusted),
              (_quoted_slide, bool(messages.quoted_beside_ours(h))), (_value_slide, h.business),
              (_scenario_slide, h.business), (_what_works_slide, b.what_works), (_mentors_slide, b.mentors),
              (_where_next_slide, b.where_next), (_how_sure_slide, h.adjusted),
              (_appendix_assumptions, h.business), (_appendix_method, True)]
    for make, shown in slides:
        if shown:
            make(deck, b, msg)
    author = b.organisation or "Mentoring & retention"
    return deck.bytes("Is mentoring keeping people?" + (f" ({b.organisation})" if b.organisation else ""), author,
                      "Mentoring and retention: the honest effect and what it is worth")
