"""The follow-up's rows split where something changes, by sorted search in numpy rather than in SQL (the same rows,
values and order as the SQL templates in analytics/store/queries.py, which split what these cannot)."""
from __future__ import annotations

import numpy as np
import pandas as pd


_DAYS = 2 ** 32  # room for each person's days in one 64-bit key: person * _DAYS + day


def _sorted_search(a: np.ndarray, v: np.ndarray, side: str = "left") -> np.ndarray:
    """np.searchsorted(a, v, side), with v looked up in sorted order (each search starts near the last one's place,
    in memory the processor has at hand) unless it is in order already: several times faster for millions of keys
    spread over a large array."""
    if v.size < 2 or np.all(v[1:] >= v[:-1]):
        return np.searchsorted(a, v, side=side)
    order = np.argsort(v, kind="stable")
    out = np.empty(v.size, dtype=np.intp)
    out[order] = np.searchsorted(a, v[order], side=side)
    return out


def _row_people(rows: pd.DataFrame, person: np.ndarray | None) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Each row's person as a number, how many numbers, and the numbers used with their ids (each used number's id
    from its first row): from `person` when given, else by hashing the rows' ids."""
    if person is None:
        codes, ids = pd.factorize(rows["employee_id"].to_numpy())
        return codes, len(ids), np.arange(len(ids)), np.asarray(ids, dtype=object)
    person = np.asarray(person, dtype=np.int64)
    count = int(person.max(initial=-1)) + 1
    first = np.full(count, -1, dtype=np.int64)
    first[person[::-1]] = np.arange(len(person) - 1, -1, -1)
    used = np.flatnonzero(first >= 0)
    return person, count, used, rows["employee_id"].to_numpy(dtype=object)[first[used]]


def _phase_split(rows: pd.DataFrame, spells: pd.DataFrame, person: np.ndarray | None = None) -> pd.DataFrame | None:
    """PHASE_SPLIT_TEMPLATE's rows (the same rows, values and order) by sorted search over keys person * _DAYS +
    day; None where a day is not a whole number from 0 to 2^31 - 1 (then the SQL splits them). Only the rows of
    people with a mentorship are searched: the others' rows stay as they are, never mentored."""
    start, stop = rows["start"].to_numpy(), rows["stop"].to_numpy()
    s, e = spells["s"].to_numpy(), spells["e"].to_numpy()
    days = (start, stop, s, e)
    if not all(np.issubdtype(d.dtype, np.integer) for d in days) or \
            any(d.size and (d.min() < 0 or d.max() >= 2 ** 31) for d in days):
        return None
    person, n_people, used, ids = _row_people(rows, person)
    whose = pd.Index(ids).get_indexer(spells["employee_id"].to_numpy())
    mine = whose >= 0  # spells of people among the rows
    whose = np.where(mine, used[whose], -1)  # as the rows number them
    key = lambda who, day: np.asarray(who, dtype=np.int64) * _DAYS + day  # noqa: E731
    began, ended = np.sort(key(whose[mine], s[mine])), np.sort(key(whose[mine], e[mine]))
    cuts = np.unique(np.concatenate([began, ended]))  # each person's distinct days a spell starts or ends
    has = np.zeros(n_people, dtype=bool)
    has[whose[mine]] = True
    searched = np.flatnonzero(has[person])  # rows of people with a spell
    base = key(person[searched], 0)
    # the cuts inside each row (start < day < stop): a run of `cuts`
    count = np.zeros(len(rows), dtype=np.int64)
    first = _sorted_search(cuts, base + start[searched], side="right")
    count[searched] = np.maximum(_sorted_search(cuts, base + stop[searched], side="left") - first, 0)
    i = np.repeat(np.arange(len(rows)), count + 1)
    at = np.arange(i.size) - np.repeat(np.cumsum(count + 1) - (count + 1), count + 1)  # 0: the row's own start
    inner = np.flatnonzero(at > 0)
    first_of = np.zeros(len(rows), dtype=np.int64)
    first_of[searched] = first
    new_start = start[i].astype(np.int64)
    new_start[inner] = cuts[first_of[i[inner]] + at[inner] - 1] - key(person[i[inner]], 0)
    last = np.append(at[1:] == 0, True)  # a row's last part ends at its stop, the others at the next part's start
    new_stop = np.where(last, stop[i], np.append(new_start[1:], 0))
    # spells begun and ended by each part's first day: the person's own (each person's keys begin at person *
    # _DAYS), found for the parts of people with a spell
    parts = np.flatnonzero(has[person[i]])
    who = person[i[parts]]
    at_key, people = key(who, new_start[parts]), key(np.arange(n_people), 0)
    n_began = np.zeros(i.size, dtype=np.int64)
    n_ended = np.zeros(i.size, dtype=np.int64)
    n_began[parts] = _sorted_search(began, at_key, side="right") - np.searchsorted(began, people)[who]
    n_ended[parts] = _sorted_search(ended, at_key, side="right") - np.searchsorted(ended, people)[who]
    event = rows["event"].to_numpy(bool)[i] & last
    # by stop, then row (a row's parts have stops of their own), as one key (stop < 2^31, fewer than 2^32 rows):
    # mostly in order already (the rows come by their stop), which a stable sort takes in runs
    order = np.argsort((new_stop.astype(np.int64) << 32) | i, kind="stable")
    return pd.DataFrame({"i": i[order], "start": new_start[order].astype(start.dtype),
                         "stop": new_stop[order].astype(stop.dtype), "event": event[order],
                         "while_mentored": (n_began > n_ended)[order], "some_ended": (n_ended > 0)[order]})
