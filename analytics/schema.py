"""The input data contract: columns, header matching, value vocabularies (docs/design.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | number | integer | reason | program
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


EMPLOYEES = TableSpec("employees", (
    Column("employee_id", "text", required=True),
    Column("hire_date", "date", required=True),
    Column("termination_date", "date"),
    Column("termination_reason", "reason"),
    Column("department", "text"),
    Column("job_level", "text"),
    Column("location", "text"),
    Column("gender", "text"),
    Column("birth_year", "integer"),
    Column("manager_id", "text"),
    Column("salary", "number"),
    Column("performance_rating", "number"),
))

MENTORSHIPS = TableSpec("mentorships", (
    Column("mentee_id", "text", required=True),
    Column("start_date", "date", required=True),
    Column("mentor_id", "text"),
    Column("program_type", "program"),
    Column("end_date", "date"),
    Column("meetings", "integer"),
))

TABLES = {spec.name: spec for spec in (EMPLOYEES, MENTORSHIPS)}

TERMINATION_REASONS = ("voluntary", "involuntary", "retirement", "other")
# Common HRIS wording, matched case-insensitively; anything else becomes "other".
REASON_SYNONYMS = {
    "voluntary": "voluntary", "resigned": "voluntary", "resignation": "voluntary", "quit": "voluntary",
    "voluntary resignation": "voluntary", "left voluntarily": "voluntary",
    "involuntary": "involuntary", "dismissed": "involuntary", "dismissal": "involuntary",
    "terminated": "involuntary", "fired": "involuntary", "laid off": "involuntary",
    "layoff": "involuntary", "redundancy": "involuntary", "redundant": "involuntary",
    "retirement": "retirement", "retired": "retirement",
    "other": "other",
}

PROGRAM_TYPES = ("traditional", "reverse", "lateral", "group", "external")
PROGRAM_SYNONYMS = {
    "traditional": "traditional", "one-to-one": "traditional", "1:1": "traditional",
    "reverse": "reverse", "reverse mentoring": "reverse",
    "lateral": "lateral", "peer": "lateral", "peer mentoring": "lateral",
    "group": "group", "group mentoring": "group",
    "external": "external", "external mentor": "external",
}

# Pew Research Center generation boundaries by birth year.
GENERATIONS = (("Boomer", 1946, 1964), ("Gen X", 1965, 1980), ("Millennial", 1981, 1996), ("Gen Z", 1997, 2012))


def normalise_header(header: object) -> str:
    """'Employee ID', 'employee-id' and 'EMPLOYEE_ID' all become 'employeeid'."""
    return re.sub(r"[\s\-_]+", "", str(header)).lower()


def map_reason(value: str) -> str:
    return REASON_SYNONYMS.get(" ".join(value.lower().split()), "other")


def map_program(value: str) -> str | None:
    return PROGRAM_SYNONYMS.get(" ".join(value.lower().split()))


def generation_of(birth_year: int | None) -> str | None:
    if birth_year is None:
        return None
    return next((name for name, lo, hi in GENERATIONS if lo <= birth_year <= hi), None)
