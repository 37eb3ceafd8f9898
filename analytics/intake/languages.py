"""The words HR exports write in German, French, Spanish, Dutch, Italian and Portuguese, as data in one place:
headers (Personio, SAP SuccessFactors in German, Sage, Factorial, HiBob), termination reasons, programme names,
yes/no values, month names and the first cell of a totals row. schema.py and formats.py read them beside the
English ones; nothing here is code but the lookups at the end.

Text is compared as `plain` makes it: lower case, accents taken off ('Kündigung' is 'kundigung', 'Matrícula'
'matricula'), apostrophes, dashes and underscores as spaces.
"""
from __future__ import annotations

import re
import unicodedata

# ---------------------------------------------------------------- headers, after the English ones of schema.py

HEADERS = {
    "employees": {
        "employee_id": ("Personalnummer", "Personal-Nr", "Personalnr", "Mitarbeiter-ID", "Mitarbeiternummer",
                        "Mitarbeiter ID", "Benutzer-ID", "Personen-ID", "Matricule", "Matricule salarié",
                        "ID salarié", "ID employé", "Numéro de salarié", "Identifiant", "ID de empleado",
                        "Número de empleado", "Nº de empleado", "Código de empleado", "Personeelsnummer",
                        "Medewerkernummer", "Personeels-ID", "Matricola", "ID dipendente", "Codice dipendente",
                        "Matrícula", "Número do colaborador", "ID do colaborador", "Código do funcionário"),
        "hire_date": ("Eintrittsdatum", "Eintritt", "Beginn des Arbeitsverhältnisses", "Datum des Eintritts",
                      "Date d'entrée", "Date d'embauche", "Date d'arrivée", "Fecha de incorporación",
                      "Fecha de alta", "Fecha de contratación", "Fecha de ingreso", "Datum in dienst",
                      "Indiensttreding", "Datum indiensttreding", "Data di assunzione", "Data assunzione",
                      "Data de admissão", "Data de contratação", "Data de entrada"),
        "termination_date": ("Austrittsdatum", "Austritt", "Ende des Arbeitsverhältnisses", "Letzter Arbeitstag",
                             "Kündigungsdatum", "Date de sortie", "Date de départ", "Date de fin de contrat",
                             "Fecha de baja", "Fecha de salida", "Fecha de terminación", "Fecha de fin de contrato",
                             "Datum uit dienst", "Uitdiensttreding", "Datum uitdiensttreding", "Data di cessazione",
                             "Data cessazione", "Data di uscita", "Data de desligamento", "Data de saída",
                             "Data de demissão", "Data de rescisão"),
        "termination_reason": ("Austrittsgrund", "Kündigungsgrund", "Beendigungsgrund", "Grund des Austritts",
                               "Ereignisgrund", "Kündigungsart", "Austrittsart", "Motif de sortie",
                               "Motif de départ", "Motif de fin de contrat", "Motivo de baja", "Motivo de salida",
                               "Motivo de la baja", "Tipo de baja", "Reden uit dienst", "Reden van vertrek",
                               "Reden vertrek", "Ontslagreden", "Motivo cessazione", "Motivo della cessazione",
                               "Causa cessazione", "Motivo do desligamento", "Motivo de desligamento",
                               "Motivo da saída", "Motivo da rescisão"),
        "department": ("Abteilung", "Organisationseinheit", "Bereich", "Service", "Département", "Departamento",
                       "Área", "Afdeling", "Reparto", "Dipartimento", "Setor"),
        "job_level": ("Karrierestufe", "Stufe", "Ebene", "Hierarchieebene", "Entgeltgruppe", "Gehaltsstufe",
                      "Gehaltsband", "Niveau", "Échelon", "Coefficient", "Nivel", "Categoría", "Categoría profesional",
                      "Functieniveau", "Schaal", "Livello", "Inquadramento", "Nível", "Cargo nível"),
        "location": ("Standort", "Arbeitsort", "Büro", "Land", "Établissement", "Site de travail", "Lieu de travail",
                     "Pays", "Ubicación", "Centro de trabajo", "Oficina", "País", "Locatie", "Vestiging",
                     "Werklocatie", "Sede", "Sede di lavoro", "Paese", "Localização", "Local de trabalho",
                     "Unidade"),
        "gender": ("Geschlecht", "Sexe", "Genre", "Sexo", "Género", "Geslacht", "Sesso", "Genere", "Gênero"),
        "birth_year": ("Geburtsjahr", "Année de naissance", "Año de nacimiento", "Geboortejaar", "Anno di nascita",
                       "Ano de nascimento"),
        "manager_id": ("Vorgesetzter ID", "Vorgesetzte ID", "Vorgesetzte:r ID", "Vorgesetzten-ID",
                       "Personalnummer Vorgesetzter", "Führungskraft ID", "ID du manager", "Matricule du manager",
                       "ID del responsable", "ID del mánager", "Manager-ID", "ID leidinggevende",
                       "ID responsabile", "ID do gestor", "Matrícula do gestor"),
        "salary": ("Jahresgehalt", "Bruttojahresgehalt", "Jahresgrundgehalt", "Grundgehalt", "Festgehalt", "Gehalt",
                   "Salaire annuel", "Salaire annuel brut", "Salaire brut annuel", "Salaire de base", "Salaire",
                   "Salario anual", "Salario bruto anual", "Salario base", "Salario", "Jaarsalaris", "Bruto jaarsalaris",
                   "Salaris", "Retribuzione annua lorda", "RAL", "Stipendio annuo", "Stipendio", "Salário anual",
                   "Salário base", "Salário"),
        "performance_rating": ("Leistungsbeurteilung", "Leistungsbewertung", "Bewertung", "Évaluation",
                               "Note de performance", "Evaluación del desempeño", "Evaluación", "Beoordeling",
                               "Valutazione", "Valutazione della performance", "Avaliação de desempenho",
                               "Avaliação"),
        "regrettable": ("Bedauerlicher Austritt", "Bedauerlicher Abgang", "Départ regrettable",
                        "Baja lamentable", "Betreurenswaardig vertrek", "Uscita rimpianta", "Saída lamentável"),
    },
    "mentorships": {
        "mentee_id": ("Mentee Personalnummer", "Personalnummer Mentee", "Mentee-Personalnummer", "Matricule mentoré",
                      "ID mentoré", "Mentoré", "ID del mentee", "Mentorizado", "ID mentorado", "Mentorado",
                      "Personeelsnummer mentee", "Matricola mentee"),
        "start_date": ("Startdatum", "Beginn", "Beginndatum", "Date de début", "Début", "Fecha de inicio", "Inicio",
                       "Begindatum", "Data di inizio", "Data inizio", "Data de início", "Início"),
        "mentor_id": ("Mentor Personalnummer", "Personalnummer Mentor", "Mentor-Personalnummer", "Matricule mentor",
                      "ID del mentor", "ID mentor", "Personeelsnummer mentor", "Matricola mentor"),
        "program_type": ("Programm", "Programmart", "Mentoring-Programm", "Art des Mentorings", "Type de programme",
                         "Programa", "Tipo de programa", "Programma", "Tipo di programma", "Tipo de mentoria"),
        "end_date": ("Enddatum", "Ende", "Date de fin", "Fin", "Fecha de fin", "Einddatum", "Data di fine",
                     "Data fine", "Data de término", "Data de fim", "Término"),
        "meetings": ("Anzahl Treffen", "Treffen", "Termine", "Sitzungen", "Nombre de rencontres", "Rencontres",
                     "Séances", "Reuniones", "Sesiones", "Aantal gesprekken", "Gesprekken", "Sessies", "Incontri",
                     "Sessioni", "Reuniões", "Sessões"),
    },
    "job_history": {
        "employee_id": ("Personalnummer", "Personal-Nr", "Mitarbeiter-ID", "Benutzer-ID", "Matricule",
                        "ID de empleado", "Personeelsnummer", "Matricola", "Matrícula"),
        "effective_date": ("Gültig ab", "Gültigkeitsdatum", "Datum der Änderung", "Date d'effet",
                           "Fecha de efecto", "Ingangsdatum", "Data di decorrenza", "Data de vigência"),
        "job_level": ("Karrierestufe", "Stufe", "Entgeltgruppe", "Gehaltsstufe", "Niveau", "Nivel", "Functieniveau",
                      "Livello", "Nível"),
        "department": ("Abteilung", "Organisationseinheit", "Service", "Département", "Departamento", "Afdeling",
                       "Reparto", "Setor"),
        "location": ("Standort", "Arbeitsort", "Établissement", "Ubicación", "Locatie", "Sede", "Localização"),
        "manager_id": ("Vorgesetzter ID", "Vorgesetzte ID", "ID du manager", "ID del responsable",
                       "ID leidinggevende", "ID responsabile", "ID do gestor"),
        "salary": ("Jahresgehalt", "Gehalt", "Salaire annuel", "Salaire", "Salario anual", "Salario", "Jaarsalaris",
                   "Salaris", "Retribuzione annua lorda", "Stipendio", "Salário anual", "Salário"),
        "performance_rating": ("Leistungsbeurteilung", "Bewertung", "Évaluation", "Evaluación", "Beoordeling",
                               "Valutazione", "Avaliação"),
        "change_reason": ("Änderungsgrund", "Grund", "Motif", "Motivo", "Reden", "Motivo della modifica"),
    },
}

# ---------------------------------------------------------------- termination reasons

# Wordings whose meaning is not clear (a mutual agreement, a notice given by either side, a probation that ended):
# never guessed, read as "other" until the user says what each means (the Data page or --reason-map).
UNCLEAR = "unclear"

# (meaning, pattern) over the wording as `plain` gives it, first rule first; the English rules of schema.py keep
# their places between them (schema.REASON_RULES).
REASONS_FIRST = (
    ("other", r"\btod\b|\btodesfall|verstorben|\bdeces|\bfallecimiento|\bfallecid|\boverlijden|\boverleden|"
              r"\bdecesso|\bmorte\b|\bfalecimento|\bobito"),
    (UNCLEAR, r"aufhebung|einvernehmlich|\bmutual|rupture conventionnelle|\bmutuo acuerdo|\bmutuo acordo|"
              r"comum acordo|\bacordo\b|\bacuerdo\b|wederzijds goedvinden|vaststellingsovereenkomst|"
              r"risoluzione consensuale|\bconsensual|probezeit|periode d essai|periodo de prueba|proeftijd|"
              r"periodo di prova|periodo de experiencia|\bexcedencia"),
    ("retirement", r"ruhestand|\brente\b|\brenteneintritt|\bpensionier|\bretraite|\bjubilaci|\bjubilad|\bpensioen|"
                   r"\bpensionering|\bpensionament|\bpension|\baposenta|\bquiescenza"),
    ("involuntary", r"\bunfreiwillig|\bnicht freiwillig|\binvolontair|\bnon volontair|\bno voluntari|\bonvrijwillig|"
                    r"\binvolontari|\bnao voluntari"),
    ("voluntary", r"eigenkundigung|eigenkuendigung|arbeitnehmer|auf eigenen wunsch|mitarbeiterseitig|\bfreiwillig|"
                  r"\bdemission|\bvolontair|\bdimision|\brenuncia|\beigen verzoek|\bvrijwillig|\bdimissioni|"
                  r"\bvolontari|pedido de demissao|demissao a pedido|\bdemissao voluntaria|iniciativa do "
                  r"(?:colaborador|trabalhador|empregado|funcionario)|neue herausforderung|\bumzug|\bdemenagement|"
                  r"\bmudanza|\bverhuizing"),
    ("involuntary", r"arbeitgeber|betriebsbedingt|verhaltensbedingt|personenbedingt|\bfristlos|\bentlassung|"
                    r"\bentlassen|\bbefrist|\bvertragsende|\bende des (?:befristeten )?vertrag|\bablauf des vertrag|"
                    r"\blicenci|\bfin (?:de |du )?(?:cdd|contrat)|\bdespid|\bfin (?:de |del )?contrato|"
                    r"\bvencimiento|\bontslag door|\bgedwongen|\breorganisatie|\beinde (?:van )?(?:het )?"
                    r"(?:contract|arbeidsovereenkomst|dienstverband)|\bboventallig|\blicenziament|\bscadenza|"
                    r"\bfine (?:del )?contratto|\besubero|\bdispensa|justa causa|\bdemissao (?:sem|com)|"
                    r"\bdemitid|\bfim (?:de |do )?contrato|\btermino (?:de |do )?contrato|iniciativa da empresa|"
                    r"\bexpediente de regulacion|\breestructura|\bherstructurering|\bristruttura|\breestrutura"),
)
REASONS_LAST = (
    ("other", r"\bsonstig|\bandere\b|\bautres?\b|\botros?\b|\boverig|\baltr[oi]\b|\boutros?\b"),
    # a word for leaving that does not say who decided: asked about
    (UNCLEAR, r"\bkundigung|\bkuendigung|\baustritt|\bontslag|\bdemissao|\bbaja\b|\bcese\b|\brescisao|"
              r"\bdespedida|\bcessazione|\bsortie\b|\bdepart\b|\breforma\b"),
)

# ---------------------------------------------------------------- programme names

PROGRAMMES = (
    ("reverse", r"\bumgekehrt|\binverse|\binvers[oa]\b|\bomgekeerd|\breversa\b|\binverti"),
    ("group", r"\bgrupp|\bgrup[oa]|\bgroep|\bgroupe|\bkreis|\bcercle|\bcirculo|\bkring"),
    ("lateral", r"\bpeer|\bpair|\bpares\b|\biguales\b|\bcolleg|\bkollegial|\bcollega|\bpari\b|\bbuddy|\btandem"),
    ("external", r"\bextern"),
    ("traditional", r"\bklassisch|\btraditionnel|\btradicional|\btraditioneel|\btradizionale|\beins zu eins|"
                    r"\bindividuel|\bindividual|\bindividuale|\bun a un|\buno a uno|\bum a um|\bclassique|\bclasico"),
)

# ---------------------------------------------------------------- yes/no

YES = ("ja", "j", "oui", "si", "sí", "sì", "sim", "wahr", "vrai", "verdadero", "waar", "vero", "verdadeiro",
       "bedauerlich", "regrettable", "lamentable")
NO = ("nein", "non", "no", "nee", "não", "nao", "falsch", "faux", "falso", "onwaar", "nicht bedauerlich",
      "non regrettable", "no lamentable")

# ---------------------------------------------------------------- months

MONTHS = {
    1: ("january", "januar", "janner", "janvier", "enero", "januari", "gennaio", "janeiro"),
    2: ("february", "februar", "fevrier", "febrero", "februari", "febbraio", "fevereiro"),
    3: ("march", "marz", "maerz", "mrz", "mars", "marzo", "maart", "mrt", "marco"),
    4: ("april", "avril", "abril", "aprile"),
    5: ("may", "mai", "mayo", "mei", "maggio", "maio"),
    6: ("june", "juni", "juin", "junio", "giugno", "junho"),
    7: ("july", "juli", "juillet", "julio", "luglio", "julho"),
    8: ("august", "aout", "agosto", "augustus"),
    9: ("september", "septembre", "septiembre", "setiembre", "settembre", "setembro"),
    10: ("october", "oktober", "octobre", "octubre", "ottobre", "outubro"),
    11: ("november", "novembre", "noviembre", "novembro"),
    12: ("december", "dezember", "decembre", "diciembre", "dicembre", "dezembro"),
}

# ---------------------------------------------------------------- totals rows

# The first cell of a row that sums up the rows above it (at the bottom of a report), in any of the languages.
TOTALS = re.compile(r"^(?:grand |sub ?)?(?:totals?|totaal|totale|totali|totaux|sum|summe|gesamt|gesamtsumme|"
                    r"insgesamt|somme|suma|soma|som|subtotal|count|anzahl|average|mean|durchschnitt|moyenne|"
                    r"promedio|media|gemiddelde|headcount)\b")


def plain(text: object) -> str:
    """Text as the rules here read it: lower case, no accents, apostrophes, dashes and underscores as spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"['’`´\-_]", " ", bare).split())


def _month_names() -> dict[str, int]:
    return {name: month for month, names in MONTHS.items() for name in names}


MONTH_NAMES = _month_names()


def month_of(word: str) -> int | None:
    """The month a name or abbreviation of it stands for, in any of the languages ('Mar', 'März', 'mars.',
    'marzo', 'févr', 'Sept'): a name, or the start (three letters or more) of names that are all one month."""
    key = plain(word).rstrip(".")
    if key in MONTH_NAMES:
        return MONTH_NAMES[key]
    if len(key) < 3 or not key.isalpha():
        return None
    months = {month for name, month in MONTH_NAMES.items() if name.startswith(key)}
    return months.pop() if len(months) == 1 else None


def is_totals(cell: object) -> bool:
    """Whether a row's first cell says the row sums up the others ('Total', 'Summe', 'Gesamt:', 'Grand total')."""
    return bool(TOTALS.match(plain(cell))) if isinstance(cell, str) else False
