"""Subgroup effects: the mentoring effect by programme, mentor, pairing, meetings and segment, with their
interaction tests, and mentors' own retention.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analytics.common.errors import EstimationError, NotEnoughData
from analytics.common.policy import (MEETING_BANDS, MIN_EFFECT_PEOPLE, MIN_GROUP_SIZE, SMALL_LEVEL, count_words,
                                     shown_total)
from analytics.estimation.cox import CoxResult
from analytics.estimation.followup import FollowUp, person_codes
from analytics.estimation.models import ModelFit, adjusted_model, headline_key, identified
from analytics.estimation.results import HazardRatio, TestResult
from analytics.store import queries
from analytics.store.cohorts import in_order


# ---------------------------------------------------------------- subgroups

@dataclass(frozen=True)
class SubgroupEffect:
    """The mentoring HR in one group, or the reason there is none."""

    dimension: str
    group: str
    people: int | None
    exits: int | None
    hazard_ratio: HazardRatio | None
    note: str | None = None

    def as_row(self, rounded: bool = False) -> dict:
        """A table row; with `rounded` (a filtered group, a chosen as-of date) its counts to the nearest 5."""
        hr = self.hazard_ratio.to_dict() if self.hazard_ratio else {"estimate": None, "lower": None,
                                                                     "upper": None, "p": None}
        count = lambda n: None if n is None else shown_total(n, rounded)  # noqa: E731
        return {"dimension": self.dimension, "group": self.group, "people": count(self.people),
                "exits": count(self.exits), **hr, "note": self.note}


def _suppressed(dimension: str, group: str, people: int, exits: int, why: str) -> SubgroupEffect:
    shown_people = people if people >= MIN_GROUP_SIZE else None
    shown_exits = exits if people >= MIN_GROUP_SIZE and exits >= MIN_GROUP_SIZE else None
    return SubgroupEffect(dimension, group, shown_people, shown_exits, None, f"not enough data: {why}")


def _indicator_effects(fu: FollowUp, dimension: str, labels: pd.Series,
                       fitted: list[ModelFit] | None = None) -> list[SubgroupEffect]:
    """Each kind of mentoring its own time-varying indicator against the unmentored, adjusted. `fitted`: a list
    the model is added to, where one is fitted (its mentoring columns: those not in the headline's)."""
    r = fu.rows
    if isinstance(labels.dtype, pd.CategoricalDtype):  # codes given: no strings hashed
        codes, names = labels.cat.codes.to_numpy(), list(labels.cat.categories)
        if (codes < 0).any():
            codes, names = np.where(codes < 0, len(names), codes), [*names, "not recorded"]
    else:
        values = labels.to_numpy(object)
        missing = pd.isna(values)
        if missing.any():
            values = np.where(missing, "not recorded", values)
        codes, names = pd.factorize(values)
    mentored, event, person = r["mentored"].to_numpy(bool), r["event"].to_numpy(bool), person_codes(fu)
    # people and exits of each kind, in one pass over the mentored rows (integer codes, not strings)
    m_codes, m_person, width = codes[mentored], person[mentored].astype(np.int64), int(person.max(initial=0)) + 1
    rows_of = np.bincount(m_codes, minlength=len(names))
    kinds = sorted((str(names[k]), k) for k in np.flatnonzero(rows_of))
    once = ~pd.Series(m_codes.astype(np.int64) * width + m_person).duplicated().to_numpy()  # each (kind, person)
    n_people = np.bincount(m_codes[once], minlength=len(names))
    n_exits = np.bincount(m_codes, weights=event[mentored], minlength=len(names))
    out, columns = [], {}
    for kind, k in kinds:
        on = mentored & (codes == k)
        people, exits = int(n_people[k]), int(n_exits[k])
        if people < MIN_EFFECT_PEOPLE:  # how many left is not asked (policy.MIN_EFFECT_PEOPLE)
            why = (f"{people:,} people mentored (at least {MIN_EFFECT_PEOPLE} needed)"
                   if people >= MIN_GROUP_SIZE else f"fewer than {MIN_GROUP_SIZE} people")
            out.append(_suppressed(dimension, kind, people, exits, why))
            columns[f"other mentoring ({kind})"] = on
        else:
            columns[kind] = on
            out.append(SubgroupEffect(dimension, kind, people, exits, None))
    small = [c for c in columns if c.startswith("other mentoring")]
    X = pd.DataFrame({k: v for k, v in columns.items() if k not in small})
    if small:
        X["other mentoring"] = np.logical_or.reduce([columns[c] for c in small])  # one kind each at a time
    if X.shape[1] == 0:
        return out
    head = fu._kept.get(headline_key("mentored", None))  # fitted already: each kind starts at its effect
    start = None if head is None else dict.fromkeys(X.columns, float(head.result.params_["mentored"]))
    fit = adjusted_model(fu, extra=X, effect=X.columns[0], start=start)
    if fitted is not None:
        fitted.append(fit)
    return [e if e.note else _effect_or_note(fit.result, e) for e in out]


def _effect_or_note(result: CoxResult, e: SubgroupEffect) -> SubgroupEffect:
    try:
        return SubgroupEffect(e.dimension, e.group, e.people, e.exits, identified(result, e.group))
    except EstimationError as exc:
        return SubgroupEffect(e.dimension, e.group, e.people, e.exits, None, f"not enough data: {exc}")


def programme_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "programme type", fu.rows["program_type"].fillna("unspecified"))


PAIR_LABELS = {
    "mentor_is_manager": {True: "mentor is the line manager", False: "mentor is not the line manager"},
    "reverse_pair": {True: "younger mentor", False: "older or same-age mentor"},
    "cross_generation": {True: "mentor from another generation", False: "mentor from the same generation"},
}
OUTSIDE_ROSTER = "mentor outside the roster (age unknown)"  # an external coach, or someone not in the HR file
AGE_NOT_RECORDED = "birth year not recorded"


def pair_labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """Boolean pair fields in words. Where an age comparison has no answer, it says why: the mentor is not in
    the roster (so their age is unknown), or a birth year is missing."""
    labels = frame[column].map(PAIR_LABELS[column]).astype("string")
    if "mentor_is_employee" in frame:
        outside = ~frame["mentor_is_employee"].astype("boolean").fillna(False).to_numpy(bool)
        labels = labels.mask(labels.isna() & outside, OUTSIDE_ROSTER)
    return labels.fillna(AGE_NOT_RECORDED)


def mentor_manager_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "mentor is manager", pair_labels(fu.rows, "mentor_is_manager"))


def reverse_pair_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "reverse pairs", pair_labels(fu.rows, "reverse_pair"))


def cross_generation_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "cross-generation pairs", pair_labels(fu.rows, "cross_generation"))


def meetings_effects(fu: FollowUp) -> list[SubgroupEffect]:
    """Dose-response by meetings held; meetings pile up while people stay, so this leans optimistic."""
    m = fu.rows["meetings"]
    names = [f"{lo}-{hi} meetings" if hi is not None else f"{lo}+ meetings" for lo, hi in MEETING_BANDS]
    edges = [MEETING_BANDS[0][0] - 1] + [hi if hi is not None else np.inf for _, hi in MEETING_BANDS]
    bands = pd.cut(m, edges, labels=names).astype("string").fillna("meetings not recorded")
    names.append("meetings not recorded")
    return sorted(_indicator_effects(fu, "meetings", bands), key=lambda e: names.index(e.group))


def group_effects(fu: FollowUp, dimension: str, interaction: bool = True
                  ) -> tuple[list[SubgroupEffect], TestResult | None]:
    """HR within each group of a dimension, and the LR test of the mentoring-by-group interaction (None when
    `interaction` is False: the test fits a model as large as the adjusted one with a term more per group)."""
    r = fu.rows
    labels = r[dimension].astype("string").fillna("not recorded")
    people_labels = fu.episodes[dimension].astype("string").fillna("not recorded")
    out = []
    for group in in_order(dimension, labels.unique()):
        part = r[labels == group]
        people, exits = part["employee_id"].nunique(), int(part["event"].sum())
        mentored = part.loc[part["mentored"], "employee_id"].nunique()
        if min(mentored, people - mentored) < MIN_EFFECT_PEOPLE:  # not how many left (policy.MIN_EFFECT_PEOPLE)
            out.append(_suppressed(dimension, group, people, exits,
                                   f"needs {MIN_EFFECT_PEOPLE}+ people mentored and {MIN_EFFECT_PEOPLE}+ not"))
            continue
        sub = FollowUp(fu.episodes[people_labels == group], part, fu.as_of, fu.event, fu.cohort)
        try:
            fit = adjusted_model(sub)
        except EstimationError as exc:
            out.append(_suppressed(dimension, group, people, exits, str(exc)))
            continue
        out.append(SubgroupEffect(dimension, group, people, exits, fit.hazard_ratio))
    return out, _interaction_test(fu, dimension, labels) if interaction else None


def segment_effects(fu: FollowUp, dimension: str, labels: pd.Series | None = None,
                    fitted: list[ModelFit] | None = None) -> list[SubgroupEffect]:
    """The mentoring HR in each group of a dimension from one adjusted model: a mentoring indicator per group
    (its coefficient the group's own log HR), the other characteristics' effects shared by all groups. One
    fit per dimension where fitting each group apart takes one per group; a group too small for an effect
    of its own is named with the reason. `fitted`: a list the model is added to, where one is fitted."""
    if labels is None:
        labels = fu.rows[dimension].astype("string").fillna("not recorded")
    return _indicator_effects(fu, dimension, labels, fitted)


def _interaction_test(fu: FollowUp, dimension: str, labels: pd.Series) -> TestResult | None:
    r = fu.rows.reset_index(drop=True)
    labels = labels.reset_index(drop=True)
    sizes = labels.value_counts()
    keep = sizes[sizes >= SMALL_LEVEL].index
    if len(keep) < 2:
        return None
    reference = sizes.index[0]
    mentored = r["mentored"].astype(float)
    inter = pd.DataFrame({f"mentored x {g}": mentored * (labels == g) for g in keep if g != reference})
    try:
        base = adjusted_model(fu)
        full = adjusted_model(fu, extra=pd.concat([mentored.rename("mentored"), inter], axis=1))
    except EstimationError:
        return None
    stat = max(0.0, 2 * (full.result.loglik_ - base.result.loglik_))
    df = inter.shape[1]
    return TestResult(stat, df, float(stats.chi2.sf(stat, df)), f"mentoring x {dimension} interaction")


# ---------------------------------------------------------------- mentors' own retention

def mentor_own_effect(con, fu: FollowUp) -> ModelFit:
    """Having mentored someone, as a time-varying covariate of the mentor's own exits (adjusted)."""
    rows = queries.split_episodes(con, fu.episodes, split_on="mentor", by_stop=True)
    rows["event"] = rows["event"].astype(bool)
    rows["mentored"] = rows["mentored"].astype(bool)  # here: has mentored someone by then
    if rows.loc[rows["mentored"], "employee_id"].nunique() < MIN_GROUP_SIZE:
        raise NotEnoughData(f"not enough data: fewer than {MIN_GROUP_SIZE} mentors in scope")
    sub = FollowUp(fu.episodes, rows, fu.as_of, fu.event, fu.cohort, fu.own_as_of)
    extra = pd.DataFrame({"has mentored": rows["mentored"].astype(float)})
    return adjusted_model(sub, extra=extra, effect="has mentored")
