"""The input data contract: columns, header matching, value vocabularies (docs/design.md)."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from analytics.intake import languages
from analytics.intake.formats import as_shown


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | text | date | amount | rating | integer | flag (yes/no) | reason | program | change
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
    Column("employee_id", "id", required=True),
    Column("hire_date", "date", required=True),
    Column("termination_date", "date"),
    Column("termination_reason", "reason"),
    Column("department", "text"),
    Column("job_level", "text"),
    Column("location", "text"),
    Column("gender", "text"),
    Column("birth_year", "integer"),
    Column("manager_id", "id"),
    Column("salary", "amount"),
    Column("performance_rating", "rating"),
    # Workday's "Regrettable Termination" and its like: whether a leaver's exit was one the company regrets (no
    # value for a person still employed); the regrettable event reads it (docs/design.md, Definitions)
    Column("regrettable", "flag"),
))

MENTORSHIPS = TableSpec("mentorships", (
    Column("mentee_id", "id", required=True),
    Column("start_date", "date", required=True),
    Column("mentor_id", "id"),
    Column("program_type", "program"),
    Column("end_date", "date"),
    Column("meetings", "integer"),
))

# Optional: one dated row per change of a person's job, pay or rating (a NULL value: unchanged since their row
# before). Before a person's first row, the employees file's values stand.
JOB_HISTORY = TableSpec("job_history", (
    Column("employee_id", "id", required=True),
    Column("effective_date", "date", required=True),
    Column("job_level", "text"),
    Column("department", "text"),
    Column("location", "text"),
    Column("manager_id", "id"),
    Column("salary", "amount"),
    Column("performance_rating", "rating"),
    Column("change_reason", "change"),
))

TABLES = {spec.name: spec for spec in (EMPLOYEES, MENTORSHIPS, JOB_HISTORY)}

TERMINATION_REASONS = ("voluntary", "involuntary", "retirement", "other")
UNCLEAR = languages.UNCLEAR  # a wording whose meaning is asked about, never guessed: "other" until the user says
# HRIS wording read by keyword, first rule first ("Involuntary - Restructuring" is involuntary before
# "voluntary" is looked for; "Terminated - Resignation" is a resignation); anything else is "other". The other
# languages' rules (languages.py) stand beside the English ones: a death first, then the wordings that do not say
# who decided (a mutual agreement: asked about), ..., a bare word for leaving last (asked about).
REASON_RULES = (
    ("other", r"\bdeath\b|\bdeceased\b|\bdied\b|passed away|\bdeath in service"),
    *languages.REASONS_FIRST,
    ("retirement", r"\bretire"),
    ("involuntary", r"\binvoluntar|\b(?:non|not) ?voluntar"),
    ("voluntary", r"\bvoluntar|\bresign|\bquit|better opportunit|\brelocat|career change|left voluntarily"),
    ("involuntary", r"\bterminat|\bdismiss|\bfired\b|\blay ?off|\blaid off|\bredundan|\brestructur|"
                    r"end of (?:the )?(?:fixed term )?contract|\bcontract end|fixed term (?:contract )?end"),
    ("other", r"\bother\b"),
    *languages.REASONS_LAST,
)

PROGRAM_TYPES = ("traditional", "reverse", "lateral", "group", "external")
PROGRAM_MEANINGS = PROGRAM_TYPES + ("other",)  # a programme type no rule knows is kept as "other"
PROGRAM_RULES = (
    ("reverse", r"\breverse"),
    ("group", r"\bgroup|\bcircle|\bcohort"),
    ("lateral", r"\bpeer|\blateral|\bbuddy"),
    ("external", r"\bexternal|(?<!internal )\bcoach"),
    ("traditional", r"(?<!non )\btraditional|\b1 ?: ?1\b|\bone to one\b|\b1 on 1\b|\bone on one\b"),
    *languages.PROGRAMMES,
)

# Why a job history row was written, first in this order when two rows of one day give two reasons.
CHANGE_REASONS = ("hire", "promotion", "demotion", "transfer", "pay_change", "rating", "other")
CHANGE_RULES = (
    ("hire", r"\b(?:re)?hire|\bnew hire|\bonboard|\bnew starter|\bjoiner\b"),
    ("demotion", r"\bdemot|\bdowngrad"),
    ("promotion", r"\bpromot|\bupgrad"),
    ("transfer", r"\btransfer|\blateral|\brelocat|\breorg|\bmove\b|\breassign|\b(?:department|location|"
                 r"manager|supervisor|org(?:anization|anisation)?) change|\bchange (?:of )?(?:department|location|"
                 r"manager|supervisor)"),
    ("pay_change", r"\bmerit|\bpay\b|\bsalary|\bcompensation|\bcost of living|\bcola\b|\bmarket adjust|"
                   r"\bequity adjust|\braise\b|\bincrease|\bbase pay|\bpay rate"),
    ("rating", r"\breview|\bappraisal|\bperformance|\brating|\bcalibrat"),
)

# Header names of common HRIS exports (Workday, SAP SuccessFactors, BambooHR, ADP, Personio, HiBob),
# after each contract column's own name; an earlier name wins when a file has two of them.
HEADER_SYNONYMS = {
    "employees": {
        "employee_id": ("Worker ID", "Employee Number", "Employee No", "Employee #", "Emp #", "Person ID", "Personnel Number", "Person Number",
                        "Associate ID", "User ID", "Staff ID", "Staff Number", "Emp ID", "ID"),
        "hire_date": ("Hire Date", "Original Hire Date", "Start Date", "Date of Hire", "Date Hired", "Employment Start Date",
                      "Joining Date", "Date Joined", "Entry Date", "Seniority Date"),
        "termination_date": ("Termination Date", "Term Date", "Exit Date", "Leaving Date", "Date of Leaving",
                             "End Date", "Employment End Date", "Separation Date", "Last Day of Work"),
        "termination_reason": ("Termination Reason", "Primary Termination Reason", "Term Reason", "Reason for Leaving",
                               "Exit Reason", "Leaving Reason", "Termination Category", "Separation Reason",
                               "Event Reason", "Termination Type"),
        "department": ("Department", "Dept", "Department Name", "Supervisory Organization", "Organization",
                       "Org Unit", "Division", "Team"),
        "job_level": ("Job Level", "Level", "Grade", "Job Grade", "Pay Grade", "Management Level", "Band", "Career Level"),
        "location": ("Location", "Work Location", "Primary Work Location", "Office", "Site", "Country", "Work Country"),
        "gender": ("Gender", "Sex", "Legal Gender"),
        "birth_year": ("Birth Year", "Year of Birth", "YOB"),
        "manager_id": ("Manager ID", "Manager Employee ID", "Manager Worker ID", "Manager Number", "Supervisor ID",
                       "Reports To ID", "Line Manager ID", "Manager Employee Number", "Reports To"),
        "salary": ("Salary", "Annual Salary", "Base Salary", "Annual Base Salary", "Annual Base Pay", "Base Pay",
                   "Annual Salary Amount", "Total Base Pay", "Pay Rate Annual"),
        "performance_rating": ("Performance Rating", "Rating", "Last Performance Rating", "Overall Rating",
                               "Performance Score", "Performance"),
        "regrettable": ("Regrettable Termination", "Regrettable", "Regretted Termination", "Regrettable Leaver",
                        "Regretted Leaver", "Regrettable Loss", "Regretted Loss", "Regrettable Attrition",
                        "Regretted Attrition", "Regrettable Exit", "Regretted Exit", "Regrettable Separation",
                        "Regretted", "Is Regrettable", "Regrettable Termination Flag", "Regrettable Flag"),
    },
    "mentorships": {
        "mentee_id": ("Mentee ID", "Mentee Employee ID", "Mentee Worker ID", "Mentee Number", "Mentee Employee Number",
                      "Mentee"),
        "start_date": ("Start Date", "Mentorship Start Date", "Program Start Date", "Programme Start Date",
                       "Relationship Start Date", "Start", "Date Started"),
        "mentor_id": ("Mentor ID", "Mentor Employee ID", "Mentor Worker ID", "Mentor Number", "Mentor Employee Number",
                      "Mentor"),
        "program_type": ("Program Type", "Programme Type", "Program", "Programme", "Mentoring Type", "Mentorship Type",
                         "Program Name", "Programme Name", "Type"),
        "end_date": ("End Date", "Mentorship End Date", "Program End Date", "Programme End Date", "Relationship End Date",
                     "End", "Date Ended"),
        "meetings": ("Meetings", "Meetings Held", "Number of Meetings", "Sessions", "Sessions Held", "Session Count",
                     "Number of Sessions", "Meeting Count"),
    },
    # Workday worker and job history reports, SAP SuccessFactors employment and job history, BambooHR's Job
    # Information and Compensation tables
    "job_history": {
        "employee_id": ("Worker ID", "Employee #", "Employee Number", "Employee No", "Emp #", "Person ID External",
                        "Person ID", "Personnel Number", "Person Number", "Associate ID", "User ID", "Staff ID",
                        "Staff Number", "Emp ID", "ID"),
        "effective_date": ("Effective Date", "Event Date", "Effective Start Date", "Start Date", "Date",
                           "Change Date", "Valid From", "Effective From"),
        "job_level": ("Job Level", "Management Level", "Level", "Pay Grade", "Compensation Grade", "Grade",
                      "Job Grade", "Job Classification", "Band", "Career Level", "Job Title"),
        "department": ("Department", "Dept", "Department Name", "Supervisory Organization", "Organization",
                       "Org Unit", "Division", "Team"),
        "location": ("Location", "Work Location", "Primary Work Location", "Office", "Site", "Country",
                     "Work Country"),
        "manager_id": ("Manager ID", "Manager Employee ID", "Manager Worker ID", "Manager Number", "Supervisor ID",
                       "Reports To ID", "Line Manager ID", "Manager Employee Number", "Supervisor", "Reports To",
                       "Manager"),
        "salary": ("Salary", "Annual Salary", "Total Base Pay Annualized", "Annual Base Salary", "Base Salary",
                   "Annual Base Pay", "Base Pay", "Total Base Pay", "Pay Rate Annual", "Pay Rate", "Pay",
                   "Compensation"),
        "performance_rating": ("Performance Rating", "Rating", "Last Performance Rating", "Overall Rating",
                               "Performance Score", "Performance"),
        "change_reason": ("Change Reason", "Business Process Reason", "Event Reason", "Reason", "Reason for Change",
                          "Action Reason", "Business Process Type", "Business Process", "Event", "Action",
                          "Change Type"),
    },
}

# Pew Research Center generation boundaries by birth year.
GENERATIONS = (("Boomer", 1946, 1964), ("Gen X", 1965, 1980), ("Millennial", 1981, 1996), ("Gen Z", 1997, 2012))


def normalise_header(header: object) -> str:
    """'Employee ID', 'employee-id' and 'EMPLOYEE_ID' all become 'employeeid' (as they show: 'Employee\u200bID' too);
    accents, apostrophes and full stops aside ('Date d'entrée' is 'datedentree', 'Personal-Nr.' 'personalnr')."""
    return re.sub(r"[\s\-_.'’]+", "", languages.plain(as_shown(str(header))))


@functools.lru_cache(maxsize=None)
def header_names(table: str, column: str) -> tuple[str, ...]:
    """Every header a contract column is known by, its own name first, normalised: the English names of HR
    exports, then those of the other languages (languages.HEADERS)."""
    names = (column, *HEADER_SYNONYMS[table].get(column, ()), *languages.HEADERS[table].get(column, ()))
    return tuple(dict.fromkeys(normalise_header(n) for n in names))


def _by_rules(value: str, rules: tuple[tuple[str, str], ...], default: str) -> str:
    text = languages.plain(value)  # "Lay-off" is "lay off", "Kündigung" is "kundigung"
    return next((meaning for meaning, pattern in rules if re.search(pattern, text)), default)


def map_reason(value: str) -> str:
    """A termination reason as HR systems word it, read as voluntary, involuntary, retirement or other; or
    UNCLEAR, for a wording that does not say who decided (a mutual agreement), which the user is asked about."""
    return _by_rules(value, REASON_RULES, "other")


def map_program(value: str) -> str:
    """A programme type as HR systems word it, read as one of PROGRAM_MEANINGS ("other" when no rule fits)."""
    return _by_rules(value, PROGRAM_RULES, "other")


def map_change(value: str) -> str:
    """A job history row's reason as HR systems word it, read as one of CHANGE_REASONS ("other" when no rule fits)."""
    return _by_rules(value, CHANGE_RULES, "other")


def generation_of(birth_year: int | None) -> str | None:
    if birth_year is None:
        return None
    return next((name for name, lo, hi in GENERATIONS if lo <= birth_year <= hi), None)
