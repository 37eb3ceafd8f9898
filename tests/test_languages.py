"""HR exports in the languages they come in load as they are, or ask what cannot be told.

Two exports are built in code from the clean company of test_hr_exports (the demo simulation): a German Personio
export (CSV with semicolons, German headers, reasons, "53.900,00 €" salaries, dotted dates, mentoring dates with
the month in German words) and a HiBob-like workbook whose people are on its third sheet, after a cover and a
summary, with dates written "Mar 5, 2021" and a totals row at the bottom. Each must give the clean company's
counts, hazard ratios and retention to 1e-9: anything read differently (a date, a reason, a salary, a totals row
taken for a person) would move them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.common.errors import InputFileError
from analytics.intake.prepare import prepare_load
from analytics.intake.schema import map_reason
from analytics.intake.validation import ReadOptions
from analytics.surface.cli import main
from tests.test_hr_exports import REASONS, _text, clean_files, company, figures  # noqa: F401 (company: a fixture)

GERMAN_REASONS = {"voluntary": ("Eigenkündigung", "Kündigung durch Arbeitnehmer", "Arbeitnehmerseitige Kündigung"),
                  "involuntary": ("Arbeitgeberseitige Kündigung", "Betriebsbedingte Kündigung", "Ende der Befristung"),
                  "retirement": ("Ruhestand",), "other": ("Tod",)}
GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember")
GERMAN_PROGRAMMES = {"traditional": "Klassisches 1:1-Mentoring", "group": "Gruppenmentoring",
                     "external": "Externes Coaching", "reverse": "Reverse Mentoring", "lateral": "Peer-Mentoring"}
RATINGS = {1: "1 - unzureichend", 2: "2 - teilweise erfüllt", 3: "3 - erfüllt", 4: "4 - übertroffen",
           5: "5 - herausragend"}


def _reworded(values: pd.Series, words: dict[str, tuple[str, ...]]) -> list[str]:
    return ["" if pd.isna(v) else words[v][i % len(words[v])] for i, v in enumerate(values)]


def _german_day(day) -> str:
    return "" if pd.isna(day) else f"{day.day}. {GERMAN_MONTHS[day.month - 1]} {day.year}"


def _euros(amount: float) -> str:
    """53900.0 as '53.900,00 €'."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def personio(emp, men, tmp):
    """Personio's German export, as Excel saves it in Germany: semicolons, a byte-order mark, German headers and
    reasons, dotted dates, salaries as '53.900,00 €'; the mentoring list with the month in German words."""
    e = pd.DataFrame({
        "Personalnummer": emp["employee_id"], "Vorname": [f"Person {i}" for i in range(len(emp))],
        "Eintrittsdatum": emp["hire_date"].dt.strftime("%d.%m.%Y"),
        "Austrittsdatum": emp["termination_date"].dt.strftime("%d.%m.%Y").fillna(""),
        "Austrittsgrund": _reworded(emp["termination_reason"], GERMAN_REASONS), "Abteilung": emp["department"],
        "Karrierestufe": emp["job_level"], "Standort": emp["location"], "Geschlecht": emp["gender"],
        "Geburtsjahr": emp["birth_year"], "Vorgesetzter ID": _text(emp["manager_id"]),
        "Jahresgehalt": [_euros(s) for s in emp["salary"]],
        "Leistungsbeurteilung": emp["performance_rating"].map(RATINGS)})
    m = pd.DataFrame({
        "Mentee Personalnummer": men["mentee_id"], "Mentor Personalnummer": _text(men["mentor_id"]),
        "Programm": men["program_type"].map(GERMAN_PROGRAMMES), "Beginn": men["start_date"].map(_german_day),
        "Ende": men["end_date"].map(_german_day), "Anzahl Treffen": men["meetings"]})
    (tmp / "Personio_Mitarbeiter.csv").write_text(e.to_csv(index=False, sep=";"), encoding="utf-8-sig")
    (tmp / "Mentoring.csv").write_text(m.to_csv(index=False, sep=";"), encoding="utf-8-sig")
    return tmp / "Personio_Mitarbeiter.csv", tmp / "Mentoring.csv"


def _cell(v):
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def hibob(emp, men, tmp):
    """A HiBob-like workbook: a cover, a summary by department, then the people (dates written 'Mar 5, 2021', a
    totals row at the bottom), then the mentoring relationships."""
    import openpyxl

    def day(values: pd.Series) -> list:
        return [None if pd.isna(d) else f"{d:%b} {d.day}, {d.year}" for d in values]

    people = pd.DataFrame({
        "Employee ID": emp["employee_id"], "Start date": day(emp["hire_date"]),
        "Termination date": day(emp["termination_date"]),
        "Termination reason": _reworded(emp["termination_reason"], REASONS), "Department": emp["department"],
        "Level": emp["job_level"], "Site": emp["location"], "Gender": emp["gender"], "Birth year": emp["birth_year"],
        "Manager ID": _text(emp["manager_id"]), "Base salary": emp["salary"],
        "Performance rating": emp["performance_rating"]})
    mentoring = pd.DataFrame({
        "Mentee ID": men["mentee_id"], "Mentor ID": _text(men["mentor_id"]), "Program": men["program_type"],
        "Start date": day(men["start_date"]), "End date": day(men["end_date"]), "Meetings": men["meetings"]})
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    for line in (["People report"], ["Generated by HiBob"], ["Includes employees and leavers"]):
        cover.append(line)
    summary = book.create_sheet("Summary")
    summary.append(["Department", "Location", "Headcount"])  # two names the contract knows, fewer than the data's
    for (department, location), n in emp.groupby(["department", "location"]).size().items():
        summary.append([department, location, int(n)])
    sheet = book.create_sheet("People")
    sheet.append(list(people.columns))
    for row in people.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    sheet.append(["Total", None, None, None, None, None, None, None, None, None, float(emp["salary"].sum()), None])
    relationships = book.create_sheet("Mentoring")
    relationships.append(list(mentoring.columns))
    for row in mentoring.itertuples(index=False):
        relationships.append([_cell(v) for v in row])
    book.save(tmp / "HiBob_People.xlsx")
    return tmp / "HiBob_People.xlsx"


@pytest.fixture(scope="module")
def clean(company, tmp_path_factory):
    return figures(*clean_files(*company, tmp_path_factory.mktemp("clean")))


def _same_figures(got: dict, clean: dict) -> None:
    assert clean["rejects"] == 0 and clean["warnings"] == [] and clean["exits"] > 100
    for key, value in clean.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert got[key] == value, key


def test_a_german_personio_export_loads_with_no_flags_and_gives_the_clean_figures(company, clean, tmp_path, capsys):
    employees, mentorships = personio(*company, tmp_path)
    plan = prepare_load(employees, mentorships)
    report = plan.report()
    assert report["warnings"] == []  # every column found, every reason understood: nothing to ask
    written = _reworded(company[0]["termination_reason"], GERMAN_REASONS)
    assert {m["given"]: m["mapped_to"] for m in report["reason_mapping"]} == {
        w: meaning for w, meaning in zip(written, company[0]["termination_reason"]) if w}
    assert {m["given"] for m in report["reason_mapping"]} >= {"Arbeitgeberseitige Kündigung", "Ruhestand"}
    assert report["date_formats"]["mentorships"] == {"start_date": "D Mon YYYY", "end_date": "D Mon YYYY"}
    assert report["ignored_columns"]["employees"] == ["Vorname"]
    assert report["salary_currency"] == "EUR"  # kept for whoever shows the salaries' currency
    _same_figures(figures(employees, mentorships, plan), clean)

    db = tmp_path / "cli.duckdb"
    assert main(["load", "--db", str(db), "--employees", str(employees), "--mentorships", str(mentorships),
                 "--check"]) == 0
    out = capsys.readouterr().out
    assert "employees columns: employee_id <- 'Personalnummer', hire_date <- 'Eintrittsdatum'" in out
    assert "termination_reason <- 'Austrittsgrund'" in out and "salary <- 'Jahresgehalt'" in out
    assert "Warning" not in out and not db.exists()


def test_a_workbook_with_its_people_on_the_third_sheet_and_a_totals_row(company, clean, tmp_path, capsys):
    book = hibob(*company, tmp_path)
    plan = prepare_load(book, book)  # one workbook: each table finds its own sheet
    report = plan.report()
    assert report["sheets"] == {"employees": "People", "mentorships": "Mentoring"}
    assert report["date_formats"]["employees"] == {"hire_date": "Mon D, YYYY", "termination_date": "Mon D, YYYY"}
    last_row = len(company[0]) + 2  # header on row 1
    assert [w for w in report["warnings"] if "sums up the rows above" in w] == [
        f"HiBob_People.xlsx: row {last_row} ('Total') sums up the rows above and was left out."]
    assert any("The sheet 'People' of HiBob_People.xlsx was read, found by its column names" in w
               for w in report["warnings"])
    _same_figures(figures(book, book, plan), clean)

    named = ["load", "--db", str(tmp_path / "n.duckdb"), "--employees", str(book), "--mentorships", str(book),
             "--sheet", "employees=People", "--sheet", "mentorships=Mentoring", "--check"]
    assert main(named) == 0
    out = capsys.readouterr().out
    assert "employees: sheet 'People' read" in out and "hire_date <- 'Start date'" in out
    assert main(named[:-2] + ["mentorships=Pipeline", "--check"]) == 2
    assert "has no sheet 'Pipeline'; its sheets are 'Cover', 'Summary', 'People', 'Mentoring'" in capsys.readouterr().err


def test_a_mutual_agreement_is_asked_about_and_a_german_reason_map_with_a_header_answers(tmp_path, capsys):
    (tmp_path / "e.csv").write_text("Personalnummer;Eintrittsdatum;Austrittsdatum;Austrittsgrund\n"
                                    "1;01.02.2019;;\n2;01.03.2019;30.06.2021;Aufhebungsvertrag\n"
                                    "3;01.04.2019;31.07.2021;Eigenkündigung\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text("Mentee Personalnummer;Beginn\n1;5. März 2020\n", encoding="utf-8")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.employees.frame["termination_reason"].tolist() == [None, "other", "voluntary"]  # not guessed
    asked = [w for w in plan.report()["warnings"] if "'Aufhebungsvertrag' (1 row)" in w]
    assert len(asked) == 1 and "--reason-map" in asked[0] and "What each termination reason means" in asked[0]
    (tmp_path / "gründe.csv").write_text("Austrittsgrund;Bedeutung\nAufhebungsvertrag;involuntary\n", encoding="utf-8")
    files = ["--employees", str(tmp_path / "e.csv"), "--mentorships", str(tmp_path / "m.csv")]
    assert main(["load", "--db", str(tmp_path / "d.duckdb"), *files, "--reason-map", str(tmp_path / "gründe.csv")]) == 0
    out = capsys.readouterr().out
    assert "'Aufhebungsvertrag' read as involuntary (1 rows, your choice)" in out and "is not clear" not in out
    (tmp_path / "typo.csv").write_text("Aufhebungsvertrag;involuntry\n", encoding="utf-8")  # no header: a misspelling
    assert main(["load", "--db", str(tmp_path / "d.duckdb"), *files, "--reason-map", str(tmp_path / "typo.csv")]) == 2
    assert "'involuntry'" in capsys.readouterr().err


@pytest.mark.parametrize("wording, meaning", [
    ("Eigenkündigung", "voluntary"), ("Arbeitgeberseitige Kündigung", "involuntary"), ("Ruhestand", "retirement"),
    ("Aufhebungsvertrag", "unclear"), ("Kündigung", "unclear"), ("Démission", "voluntary"),
    ("Licenciement économique", "involuntary"), ("Rupture conventionnelle", "unclear"),
    ("Départ à la retraite", "retirement"), ("Baja voluntaria", "voluntary"), ("Despido disciplinario", "involuntary"),
    ("Jubilación", "retirement"), ("Ontslag op eigen verzoek", "voluntary"), ("Ontslag", "unclear"),
    ("Pensioen", "retirement"), ("Dimissioni", "voluntary"), ("Licenziamento", "involuntary"),
    ("Risoluzione consensuale", "unclear"), ("Pedido de demissão", "voluntary"),
    ("Demissão sem justa causa", "involuntary"), ("Aposentadoria", "retirement"), ("Fallecimiento", "other"),
    ("Sonstiges", "other")])
def test_termination_reasons_in_six_languages(wording, meaning):
    assert map_reason(wording) == meaning


@pytest.mark.parametrize("written", ["Mar 5, 2021", "March 5th, 2021", "5 March 2021", "05-Mar-2021",
                                     "5. März 2021", "5 mars 2021", "5 de marzo de 2021", "5 maart 2021",
                                     "5 marzo 2021", "5 de março de 2021"])
def test_dates_with_the_month_in_words(tmp_path, written):
    (tmp_path / "e.csv").write_text(f"Employee ID;Hire Date\nA;{written}\nB;{written}\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.employees.frame["hire_date"].tolist() == [pd.Timestamp("2021-03-05")] * 2


def test_leaving_out_the_exit_columns_is_said_with_what_it_changes(company, tmp_path):
    employees, mentorships = personio(*company, tmp_path)
    no_reason = prepare_load(employees, mentorships, mapping={"employees": {"termination_reason": None}})
    exits = int(company[0]["termination_date"].notna().sum())
    assert any(w.startswith(f"No column of Personio_Mitarbeiter.csv was read as termination_reason: every exit "
                            f"({exits:,}) counts as leaving") and "--map employees.termination_reason=HEADER" in w
               for w in no_reason.report()["warnings"])
    no_exits = prepare_load(employees, mentorships, mapping={"employees": {"termination_date": None,
                                                                            "termination_reason": None}})
    assert any("read as termination_date" in w and "no exit is counted at all" in w
               for w in no_exits.report()["warnings"])


def test_a_missing_column_names_the_file_and_points_to_the_mapping(tmp_path):
    (tmp_path / "e.csv").write_text("Nummer;Eintrittsdatum\n1;01.02.2019\n", encoding="utf-8")
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\n1,2021-06-01\n")
    with pytest.raises(InputFileError) as refused:
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    said = str(refused.value)
    assert said.startswith("file 'e.csv', column 'employee_id': required column missing")
    assert "under 'Columns of e.csv' on the Data page, or give --map employees.employee_id=HEADER" in said
    (tmp_path / "e.csv").write_text("Personalnummer;Eintrittsdatum\n1;im Februar\n2;später\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="column 'Eintrittsdatum', row 2: read as hire_date; no value"):
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", options=ReadOptions())


def test_the_data_page_finds_the_sheet_and_asks_what_a_mutual_agreement_means(monkeypatch, tmp_path):
    """A workbook with a cover before its people: the sheet offered first is the one holding them, its totals row is
    left out, and a reason that does not say who decided is asked about, with nothing chosen for it, until answered."""
    import openpyxl

    from tests.test_app import open_app, shown

    book = openpyxl.Workbook()
    book.active.title = "Deckblatt"
    book.active.append(["Mitarbeiterbericht"])
    people = book.create_sheet("Mitarbeiter")
    for row in (["Personalnummer", "Eintrittsdatum", "Austrittsdatum", "Austrittsgrund"], ["1", "01.02.2019"],
                ["2", "01.03.2019", "30.06.2021", "Aufhebungsvertrag"],
                ["3", "01.04.2019", "31.07.2021", "Eigenkündigung"], ["Gesamt", None, None, None]):
        people.append(row)
    book.save(tmp_path / "export.xlsx")
    at = open_app(monkeypatch, tmp_path / "page.duckdb", "views/data.py", auto_demo=False)
    at.file_uploader(key="upload_employees").set_value(("export.xlsx", (tmp_path / "export.xlsx").read_bytes(), "x"))
    at.file_uploader(key="upload_mentorships").set_value(("m.csv", "Mentee Personalnummer;Beginn\n1;5. März 2020\n"
                                                          .encode(), "text/csv"))
    at.run()
    sheet = next(s for s in at.selectbox if s.label == "Sheet of export.xlsx")
    assert sheet.value == "Mitarbeiter" and sheet.options == ["Deckblatt", "Mitarbeiter"]
    at.button[0].click().run()  # check the files
    said = [shown(w.value) for w in at.warning]
    assert any("The sheet 'Mitarbeiter' of export.xlsx was read, found by its column names" in w for w in said)
    assert "export.xlsx: row 5 ('Gesamt') sums up the rows above and was left out." in said
    assert any("'Aufhebungsvertrag' (1 row)" in w and "--reason-map" in w for w in said)
    asked = next(s for s in at.selectbox if s.label == "Aufhebungsvertrag")
    assert asked.value is None  # not guessed: nothing chosen for it
    asked.set_value("involuntary").run()
    assert not any("Aufhebungsvertrag" in shown(w.value) for w in at.warning)
    assert at.session_state["plan"].employees.frame["termination_reason"].tolist() == [None, "involuntary",
                                                                                        "voluntary"]
    next(s for s in at.selectbox if s.label == "Sheet of export.xlsx").set_value("Deckblatt").run()
    at.button[0].click().run()  # the cover checked: no column to read, and where to choose them
    assert any("choose its column under 'Columns of export.xlsx' on the Data page" in shown(e.value) for e in at.error)


@pytest.mark.parametrize("export, employees, mentorships, reason, meaning", [
    ("sage", "Matricule;Date d'entrée;Date de sortie;Motif de sortie;Service;Établissement;Sexe;Année de naissance;"
             "Salaire annuel brut", "Matricule mentoré;Date de début;Type de programme",
     "Démission", "voluntary"),
    ("factorial", "ID de empleado;Fecha de incorporación;Fecha de baja;Motivo de baja;Departamento;Ubicación;Género;"
                  "Año de nacimiento;Salario", "ID del mentee;Fecha de inicio;Programa", "Despido", "involuntary"),
    ("dutch", "Personeelsnummer;Datum in dienst;Datum uit dienst;Reden uit dienst;Afdeling;Locatie;Geslacht;"
              "Geboortejaar;Salaris", "Personeelsnummer mentee;Startdatum;Programma", "Pensioen", "retirement"),
    ("italian", "Matricola;Data di assunzione;Data di cessazione;Motivo cessazione;Reparto;Sede;Sesso;"
                "Anno di nascita;Retribuzione annua lorda", "Matricola mentee;Data inizio;Programma",
     "Dimissioni", "voluntary"),
    ("portuguese", "Matrícula;Data de admissão;Data de desligamento;Motivo do desligamento;Departamento;Localização;"
                   "Gênero;Ano de nascimento;Salário", "ID mentorado;Data de início;Programa",
     "Demissão sem justa causa", "involuntary"),
])
def test_exports_in_other_languages_find_every_column(tmp_path, export, employees, mentorships, reason, meaning):
    (tmp_path / "e.csv").write_text(f"{employees}\nA;01.02.2019;;;Vendas;Lisboa;F;1990;41.000,00 €\n"
                                    f"B;01.03.2019;30.06.2021;{reason};Vendas;Porto;M;1985;52.500,00 €\n",
                                    encoding="utf-8")
    (tmp_path / "m.csv").write_text(f"{mentorships}\nA;5 mars 2020;Mentoring\n", encoding="utf-8")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert list(plan.employees.notes["header_map"]) == ["employee_id", "hire_date", "termination_date",
                                                        "termination_reason", "department", "location", "gender",
                                                        "birth_year", "salary"]
    assert list(plan.mentorships.notes["header_map"]) == ["mentee_id", "start_date", "program_type"]
    assert plan.employees.frame["termination_reason"].tolist() == [None, meaning]
    assert plan.employees.frame["salary"].tolist() == [41000.0, 52500.0] and plan.rejects.empty
