"""docs/clinical-safety.md stays true: every test its hazard log names exists, every row is
complete and scored on the document's own DCB0129 matrix, and the hazards the project must
cover each have a row.

The checker is plain functions over the markdown text, so the tests at the end can feed it a
small fake table and show that it does report what is wrong (a checker that never fails proves
nothing).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "clinical-safety.md"

SEVERITIES = ["minor", "significant", "considerable", "major", "catastrophic"]
LIKELIHOODS = ["very low", "low", "medium", "high", "very high"]
# The DCB0129 risk matrix, by likelihood then severity (the document must show this one).
DCB0129_MATRIX = {
    "very high": [3, 4, 4, 5, 5],
    "high": [2, 3, 3, 4, 5],
    "medium": [2, 2, 3, 3, 4],
    "low": [1, 2, 2, 3, 4],
    "very low": [1, 1, 2, 2, 3],
}
EXPECTED_MATRIX = {likelihood: dict(zip(SEVERITIES, ratings))
                   for likelihood, ratings in DCB0129_MATRIX.items()}

COLUMNS = ["id", "hazard", "cause", "effect", "severity", "likelihood", "mitigation", "tests",
           "residual"]
NO_TEST_YET = "none yet (open)"

# Hazards the log must cover. Each entry: what is required, and patterns that must all be
# found in the hazard and cause text of one and the same row.
REQUIRED_HAZARDS = [
    ("a missed red flag", [r"missed red flag"]),
    ("an emergency sign said as a euphemism", [r"euphemism"]),
    ("an emergency sign in a long narrative", [r"long narrative"]),
    ("a flag about someone else taken as the person's (over-triage)",
     [r"someone else", r"over-triage"]),
    ("a historical or hypothetical mention taken as current",
     [r"past|historical", r"what if|hypothetical"]),
    ("a current flag wrongly discounted", [r"wrongly discounted"]),
    ("the level lowered by a correction or start over", [r"lowered", r"correction|start over"]),
    ("the level lowered by a typed /restart", [r"lowered", r"/restart"]),
    ("'not sure' treated as no", [r"not sure", r"treated as .?no"]),
    ("advice not delivered when a server fails", [r"server", r"database"]),
    ("a wrong or missing emergency number", [r"emergency number", r"configuration"]),
    ("data shown to the wrong person across channels", [r"wrong person", r"channel"]),
    ("erasure incomplete", [r"erasure incomplete"]),
    ("overlong or hostile input", [r"overlong|hostile"]),
    ("a reply that diagnoses", [r"diagnos"]),
    ("contradictory advice", [r"contradict"]),
    ("non-English or emoji input", [r"non-english|other language", r"emoji"]),
    ("an under-18 user", [r"under-18|under 18"]),
    ("pregnancy", [r"pregnan"]),
    ("model retraining changes behaviour", [r"retrain", r"regression"]),
    ("clock or timezone errors", [r"clock|timezone"]),
    ("medicine doses", [r"dose"]),
]

_PY_REF = re.compile(r"(tests/[\w./-]+\.py)::((?:\w+::)*)(\w+)(\[[^\]]*\])?")
_YML_REF = re.compile(r"(tests/(dialogues|stories)/[\w.-]+\.ya?ml): (.+)")
_BACKTICKS = re.compile(r"`([^`]+)`")
_UNQUOTED_REF = re.compile(r"tests/\S+(?:::|\.ya?ml:)")


# --- reading the document ---------------------------------------------------------------------

def split_row(line: str) -> List[str]:
    """The cells of one markdown table line (a `\\|` inside a cell is a literal bar)."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body)]


def tables(text: str) -> List[List[List[str]]]:
    """Every markdown table in the text, as lists of rows of cells (separator rows dropped)."""
    found, current = [], []
    for line in text.splitlines():
        if line.strip().startswith("|"):
            cells = split_row(line)
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def parse_hazard_table(text: str) -> List[Dict[str, str]]:
    """The hazard log's rows as dicts keyed by COLUMNS (the table whose header begins ID)."""
    for table in tables(text):
        header = [cell.lower() for cell in table[0]]
        if header and header[0] == "id" and len(header) == len(COLUMNS):
            return [dict(zip(COLUMNS, row + [""] * (len(COLUMNS) - len(row))))
                    for row in table[1:]]
    raise AssertionError("no hazard table (header beginning '| ID |' with "
                         f"{len(COLUMNS)} columns) in the document")


def parse_risk_matrix(text: str) -> Dict[str, Dict[str, int]]:
    """The risk matrix table: {likelihood: {severity: rating}}."""
    for table in tables(text):
        header = [cell.lower() for cell in table[0]]
        if header and "likelihood" in header[0] and "catastrophic" in header:
            severities = header[1:]
            return {row[0].lower(): {sev: int(value) for sev, value in zip(severities, row[1:])}
                    for row in table[1:]}
    raise AssertionError("no risk matrix table (first header cell naming likelihood, "
                         "a column 'catastrophic') in the document")


# --- checking references ----------------------------------------------------------------------

def _python_test_exists(root: Path, path: str, name: str) -> Optional[str]:
    file = root / path
    if not file.is_file():
        return f"no file {path}"
    source = file.read_text(encoding="utf-8", errors="replace")
    if not re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", source,
                     re.MULTILINE):
        return f"no test function {name} in {path}"
    return None


def _yaml_names(file: Path, kind: str) -> List[str]:
    data = yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    section, key = ("dialogues", "name") if kind == "dialogues" else ("stories", "story")
    items = data.get(section) if isinstance(data, dict) else None
    return [" ".join(str(item[key]).split()) for item in items or []
            if isinstance(item, dict) and key in item]


def _yaml_entry_exists(root: Path, path: str, kind: str, name: str) -> Optional[str]:
    file = root / path
    if not file.is_file():
        return f"no file {path}"
    what = "dialogue" if kind == "dialogues" else "story"
    if " ".join(name.split()) not in _yaml_names(file, kind):
        return f"no {what} named {name!r} in {path}"
    return None


def reference_problems(reference: str, root: Path = ROOT) -> List[str]:
    """Why one backticked reference of the tests column does not name a test that exists."""
    reference = reference.strip()
    python = _PY_REF.fullmatch(reference)
    if python:
        problem = _python_test_exists(root, python.group(1), python.group(3))
        return [problem] if problem else []
    yml = _YML_REF.fullmatch(reference)
    if yml:
        problem = _yaml_entry_exists(root, yml.group(1), yml.group(2), yml.group(3))
        return [problem] if problem else []
    return [f"{reference!r} is not a test reference (path::test_name, "
            "tests/dialogues/<file>.yml: <name> or tests/stories/<file>.yml: <name>)"]


def check_tests_cell(cell: str, root: Path = ROOT) -> List[str]:
    problems = []
    references = _BACKTICKS.findall(cell)
    for reference in references:
        problems += reference_problems(reference, root)
    prose = _BACKTICKS.sub("", cell)
    if _UNQUOTED_REF.search(prose):
        problems.append("a test reference outside backticks (put each one in `...`)")
    if not references and NO_TEST_YET not in cell.lower():
        problems.append(f"names no test; write {NO_TEST_YET!r} when there is none")
    return problems


# --- checking scores and completeness ---------------------------------------------------------

def _likelihood_and_rating(cell: str):
    match = re.fullmatch(r"\s*(very high|very low|high|medium|low)\s*\(([1-5])\)\s*",
                         cell.lower())
    return (match.group(1), int(match.group(2))) if match else (None, None)


def _residual(cell: str):
    match = re.match(r"\s*(very high|very low|high|medium|low),\s*rating\s+([1-5])\b",
                     cell.lower())
    return (match.group(1), int(match.group(2))) if match else (None, None)


def scoring_problems(row: Dict[str, str], matrix: Dict[str, Dict[str, int]]) -> List[str]:
    """Missing text, words outside the scales, and ratings that disagree with the matrix."""
    problems = []
    for column in ("hazard", "cause", "effect"):
        if not row.get(column, "").strip():
            problems.append(f"no {column}")
    mitigation = row.get("mitigation", "").strip()
    if not mitigation or mitigation.lower() in ("-", "none", "n/a", "tbd", "todo"):
        problems.append("no mitigation")
    severity = row.get("severity", "").strip().lower()
    if severity not in SEVERITIES:
        problems.append(f"severity {row.get('severity')!r} is not one of {SEVERITIES}")
    likelihood, initial = _likelihood_and_rating(row.get("likelihood", ""))
    if likelihood is None:
        problems.append(f"likelihood {row.get('likelihood')!r} is not 'word (rating)' with a "
                        f"word of {LIKELIHOODS}")
    residual, rating = _residual(row.get("residual", ""))
    if residual is None:
        problems.append(f"residual risk {row.get('residual')!r} does not start with "
                        f"'<likelihood>, rating N' (likelihood one of {LIKELIHOODS})")
    if severity in SEVERITIES and likelihood and initial != matrix[likelihood][severity]:
        problems.append(f"initial rating {initial} disagrees with the matrix "
                        f"({likelihood} x {severity} = {matrix[likelihood][severity]})")
    if severity in SEVERITIES and residual and rating != matrix[residual][severity]:
        problems.append(f"residual rating {rating} disagrees with the matrix "
                        f"({residual} x {severity} = {matrix[residual][severity]})")
    if likelihood and residual and LIKELIHOODS.index(residual) > LIKELIHOODS.index(likelihood):
        problems.append(f"residual likelihood {residual!r} is higher than the initial "
                        f"{likelihood!r}")
    return problems


def check_rows(rows: List[Dict[str, str]], matrix: Dict[str, Dict[str, int]],
               root: Path = ROOT) -> List[str]:
    """Every problem of the hazard rows, each prefixed with its row's ID."""
    problems = []
    for index, row in enumerate(rows, start=1):
        label = row.get("id") or f"row {index}"
        for problem in (scoring_problems(row, matrix)
                        + check_tests_cell(row.get("tests", ""), root)):
            problems.append(f"{label}: {problem}")
    return problems


def id_problems(rows: List[Dict[str, str]]) -> List[str]:
    ids = [row.get("id", "") for row in rows]
    expected = [f"H{n:02d}" for n in range(1, len(rows) + 1)]
    return [] if ids == expected else [f"IDs must run H01, H02, ... in order; got {ids}"]


def missing_required_hazards(rows: List[Dict[str, str]]) -> List[str]:
    described = [f"{row.get('hazard', '')} {row.get('cause', '')}".lower() for row in rows]
    return [what for what, patterns in REQUIRED_HAZARDS
            if not any(all(re.search(p, text) for p in patterns) for text in described)]


# --- the document -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def text():
    assert DOC.is_file(), f"{DOC} is missing"
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows(text):
    return parse_hazard_table(text)


def test_the_risk_matrix_is_the_dcb0129_one(text):
    assert parse_risk_matrix(text) == EXPECTED_MATRIX


def test_every_test_the_hazard_log_names_exists(rows):
    problems = [f"{row['id']}: {problem}" for row in rows
                for problem in check_tests_cell(row["tests"])]
    assert not problems, "\n".join(problems)


def test_every_row_has_a_mitigation_and_is_scored_on_the_matrix(rows):
    problems = [f"{row['id']}: {problem}" for row in rows
                for problem in scoring_problems(row, EXPECTED_MATRIX)]
    assert not problems, "\n".join(problems)


def test_hazard_ids_run_in_order(rows):
    assert not id_problems(rows)


def test_the_required_hazards_each_have_a_row(rows):
    missing = missing_required_hazards(rows)
    assert not missing, "no hazard row for: " + "; ".join(missing)


# --- the checker can fail -----------------------------------------------------------------------

HEADER = ("| ID | Hazard | Cause | Effect | Severity | Likelihood (initial) | Mitigation | "
          "Tests | Residual risk |\n|---|---|---|---|---|---|---|---|---|\n")


def fake_table(*rows: str) -> str:
    return "# Fake\n\n" + HEADER + "\n".join(rows) + "\n\nAfter the table.\n"


def row(tests: str, mitigation: str = "A control", severity: str = "major",
        likelihood: str = "medium (3)", residual: str = "low, rating 3", hazard="Something",
        cause="A cause", ident="H01") -> str:
    return (f"| {ident} | {hazard} | {cause} | An effect | {severity} | {likelihood} | "
            f"{mitigation} | {tests} | {residual} |")


def test_the_checker_reports_a_test_that_does_not_exist():
    real = "`tests/unit/test_triage.py::test_no_flags_is_self_care`"
    bad = ("`tests/unit/test_triage.py::test_this_test_does_not_exist`<br>"
           "`tests/unit/test_no_such_file.py::test_anything`<br>"
           "`tests/dialogues/emergency.yml: a dialogue nobody wrote`<br>"
           "`tests/stories/test_dispositions.yml: a story nobody wrote`<br>"
           "`tests/unit/test_triage.py:test_one_colon_only`")
    rows = parse_hazard_table(fake_table(row(real), row(bad, ident="H02")))
    problems = check_rows(rows, EXPECTED_MATRIX)
    assert not [p for p in problems if p.startswith("H01")], problems
    assert any("test_this_test_does_not_exist" in p for p in problems), problems
    assert any("no file tests/unit/test_no_such_file.py" in p for p in problems), problems
    assert any("a dialogue nobody wrote" in p for p in problems), problems
    assert any("a story nobody wrote" in p for p in problems), problems
    assert any("is not a test reference" in p for p in problems), problems


def test_the_checker_accepts_real_dialogues_stories_and_parametrized_tests():
    tests = ("`tests/unit/test_triage.py::test_each_flag_reaches_its_level[fever-urgent]`<br>"
             "`tests/dialogues/emergency.yml: not sure about the saddle area twice escalates to "
             "emergency`<br>"
             "`tests/stories/test_dispositions.yml: emergency - not sure about the saddle area`")
    assert check_rows(parse_hazard_table(fake_table(row(tests))), EXPECTED_MATRIX) == []


def test_the_checker_reports_missing_mitigations_and_words_off_the_scales():
    rows = parse_hazard_table(fake_table(
        row(NO_TEST_YET, mitigation=""),
        row(NO_TEST_YET, severity="fatal", ident="H02"),
        row(NO_TEST_YET, likelihood="likely (3)", ident="H03"),
        row(NO_TEST_YET, residual="acceptable", ident="H04"),
        row(NO_TEST_YET, residual="very low, rating 3", ident="H05"),
        row(NO_TEST_YET, residual="high, rating 4", ident="H06"),
        row("", ident="H07"),
        row("see tests/unit/test_triage.py::test_no_flags_is_self_care", ident="H08"),
    ))
    problems = check_rows(rows, EXPECTED_MATRIX)
    assert any(p.startswith("H01: no mitigation") for p in problems), problems
    assert any(p.startswith("H02: severity 'fatal'") for p in problems), problems
    assert any(p.startswith("H03: likelihood 'likely (3)'") for p in problems), problems
    assert any(p.startswith("H04: residual risk 'acceptable'") for p in problems), problems
    assert any(p.startswith("H05: residual rating 3 disagrees") for p in problems), problems
    assert any(p.startswith("H06: residual likelihood 'high' is higher") for p in problems)
    assert any(p.startswith("H07: names no test") for p in problems), problems
    assert any(p.startswith("H08: a test reference outside backticks") for p in problems)


def test_the_checker_reports_missing_required_hazards_and_ids_out_of_order():
    rows = parse_hazard_table(fake_table(
        row(NO_TEST_YET, hazard="A flag about someone else (over-triage)"),
        row(NO_TEST_YET, hazard="Erasure incomplete", ident="H03")))
    missing = missing_required_hazards(rows)
    assert "a flag about someone else taken as the person's (over-triage)" not in missing
    assert "erasure incomplete" not in missing
    assert "'not sure' treated as no" in missing
    assert "a wrong or missing emergency number" in missing
    assert "data shown to the wrong person across channels" in missing
    assert "advice not delivered when a server fails" in missing
    assert id_problems(rows)


def test_a_document_without_the_tables_is_refused():
    with pytest.raises(AssertionError, match="no hazard table"):
        parse_hazard_table("# Nothing here\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    with pytest.raises(AssertionError, match="no risk matrix"):
        parse_risk_matrix("# Nothing here\n")
