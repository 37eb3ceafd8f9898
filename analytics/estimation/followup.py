"""The follow-up every model starts from: one row per person and interval, read from the store for a cohort and
an as-of date, and the checks that a comparison can be made.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics.common import parallel
from analytics.common.errors import NotEnoughData, RetentionError
from analytics.common.policy import MIN_EFFECT_PEOPLE, MIN_GROUP_SIZE
from analytics.store import database, queries
from analytics.store.cohorts import Cohort


CAUSES = {"voluntary": 1, "involuntary": 2}  # anything else that ends employment is 3


@dataclass(frozen=True)
class FollowUp:
    """A cohort's follow-up: one row per employee and the counting-process rows."""

    episodes: pd.DataFrame
    rows: pd.DataFrame
    as_of: date
    event: str
    cohort: Cohort = field(default_factory=Cohort)
    own_as_of: bool = True  # the as-of date is the data's own (not one chosen)
    # where the rows' characteristics come from: "history" (as they were on each row's first day, from the job
    # history) or "snapshot" (each person's one value, as the employee file gives it now or at exit)
    covariates_from: str = "snapshot"
    # with the regrettable event, how a regrettable exit was told (queries.REGRETTABLE_BY: the file's flag, or the top
    # rating), for the words that say so
    regrettable_by: str | None = None
    # results worked out from it once and asked for again (the adjusted model, each person's risk): a
    # FollowUp's frames are never changed, so neither are these
    _kept: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def rounded(self) -> bool:
        """Whether its totals are shown rounded (policy.shown_total): a filtered group's, and any at an as-of
        date other than the data's own, so that two filters or two dates cannot be subtracted."""
        return not self.cohort.is_everyone() or not self.own_as_of

    @property
    def n_employees(self) -> int:
        return len(self.episodes)

    @property
    def n_mentored(self) -> int:
        return int(self.episodes["mentored"].sum())

    def people_among(self, rows: np.ndarray | pd.Series | None = None) -> int:
        """How many people the counting-process rows picked by a boolean mask are (all rows: None)."""
        codes = person_codes(self)
        picked = codes if rows is None else codes[np.asarray(rows, dtype=bool)]
        return int(np.count_nonzero(np.bincount(picked, minlength=1))) if picked.size else 0

    @property
    def n_events(self) -> int:
        return int(self.episodes["event"].sum())

    def subset(self, cohort: Cohort) -> "FollowUp":
        """The follow-up of a cohort within this one, cut out in memory (same rows as reading it)."""
        if cohort == self.cohort:
            return self
        if not self.cohort.is_everyone():
            raise RetentionError("a cohort can only be cut out of everyone's follow-up")
        chosen = cohort.mask(self.episodes)
        if self.covariates_from == "history":  # a cohort is its people as the employee file has them, whatever
            in_rows = self.rows["employee_id"].isin(self.episodes["employee_id"][chosen]).to_numpy()  # they were
        else:
            in_rows = cohort.mask(self.rows)
        episodes, rows = _picked(self.episodes, chosen), _picked(self.rows, in_rows)
        sub = FollowUp(episodes, rows, self.as_of, self.event, cohort, self.own_as_of, self.covariates_from,
                       self.regrettable_by)
        if "person_codes" in self._kept:  # each row's person, as numbered here (numbers left unused are harmless)
            sub._kept["person_codes"] = self._kept["person_codes"][in_rows]
        return sub

    def first_rows(self) -> np.ndarray:
        """Each person's first counting-process row (a boolean per row): their earliest interval."""
        return ~_person_duplicated(self, "first")

    def last_rows(self) -> np.ndarray:
        """The positions of each person's last counting-process row: their latest interval."""
        return np.flatnonzero(~_person_duplicated(self, "last"))

    def read_at(self, as_of: date | str | None, event: str | None) -> bool:
        """Whether this is everyone's follow-up at these settings (None: whatever the data gives)."""
        return (self.cohort.is_everyone() and (as_of is None or database.as_date(as_of) == self.as_of)
                and (event is None or event == self.event))


def follow_up(con, cohort: Cohort | None = None, as_of: date | str | None = None,
              event: str | None = None, base: FollowUp | None = None,
              columns: tuple[str, ...] | None = None, read: tuple | None = None) -> FollowUp:
    """Read a cohort's episodes and counting-process rows from the store.

    `base`, everyone's follow-up read earlier for the same as-of date and event definition
    (a dashboard keeps it cached), lets a cohort be cut out of it in memory instead of read again.
    `columns`: only these of the episodes' (queries.HEADLINE_COLUMNS: what the headline and where to extend next read),
    for work that needs no others. `read`: what queries.read_follow_up gave for this cohort at this as-of date
    and event definition (the CLI reads it while the models' libraries load).
    """
    cohort = cohort or Cohort()
    if base is not None and base.read_at(as_of, event):
        return base.subset(cohort)
    settled = queries.snapshot(con, as_of, event)
    episodes, rows, people = read or queries.read_follow_up(con, settled.as_of, settled.event, cohort, columns)
    parallel.give_back_memory()  # what reading them took and let go of, before the models take theirs
    fu = FollowUp(episodes, rows, settled.as_of, settled.event, cohort, settled.as_of == settled.data_as_of,
                  "history" if queries.has_history(con) else "snapshot", settled.regrettable_by)
    fu._kept["person_codes"] = people  # each row's person: their episode's position, known without hashing ids
    return fu


def require(fu: FollowUp, what: str) -> None:
    if fu.n_employees < MIN_GROUP_SIZE:
        who = "nobody" if fu.n_employees == 0 else f"fewer than {MIN_GROUP_SIZE} people"  # no exact small count
        raise NotEnoughData(f"not enough data for {what}: {who} in scope")
    if fu.n_events == 0:
        raise NotEnoughData(f"not enough data for {what}: no exits in scope")


def require_comparison(fu: FollowUp, what: str) -> None:
    """A mentoring effect needs both mentored and unmentored time to compare."""
    require(fu, what)
    mentored = fu.rows["mentored"]
    if not mentored.any():
        raise NotEnoughData(f"not enough data for {what}: nobody in scope was mentored during their "
                            "employment, so there is no one to compare")
    if mentored.all():
        raise NotEnoughData(f"not enough data for {what}: everyone in scope was mentored from their first "
                            "day, so there is no unmentored time to compare with")


def require_effect(fu: FollowUp, what: str) -> None:
    """A hazard ratio (naive, time-varying or adjusted) also needs enough people mentored and enough not, for the
    figure to be more than a handful of people's stories. How many of them left is not asked: a rule on exits
    hides most often the groups where mentoring kept the most people (policy.MIN_EFFECT_PEOPLE)."""
    require_comparison(fu, what)
    mentored = fu.rows["mentored"].to_numpy(bool)
    for people, who in ((fu.people_among(mentored), "were mentored"),
                        (fu.people_among(~mentored), "had time before any mentoring")):
        if people < MIN_EFFECT_PEOPLE:
            raise NotEnoughData(f"not enough data for {what}: fewer than {MIN_EFFECT_PEOPLE} people {who}")


def _picked(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of a frame a mask picks, numbered afresh (one copy of them, not two)."""
    out = frame.take(np.flatnonzero(mask))
    out.index = pd.RangeIndex(len(out))
    return out


def _person_duplicated(fu: FollowUp, keep: str) -> np.ndarray:
    """Whether each row's person has an earlier (keep="first") or later (keep="last") row: by the people's
    integer codes, worked out once per follow-up, not by their ids' strings."""
    key = ("duplicated", keep)
    if key not in fu._kept:
        fu._kept[key] = pd.Series(person_codes(fu)).duplicated(keep=keep).to_numpy()
    return fu._kept[key]


def person_codes(fu: FollowUp) -> np.ndarray:
    """Each counting-process row's person as an integer (worked out once per follow-up)."""
    if "person_codes" not in fu._kept:
        fu._kept["person_codes"] = pd.factorize(fu.rows["employee_id"])[0]
    return fu._kept["person_codes"]
