"""Render a handover summary from its facts: chat text, a printable HTML page, a PDF.

The facts are what the action server stored when it gave the advice (ids, never sentences: the
answers, the flags, the rules that fired, the person's own words for the signs and symptoms, the
region's names). The words around them (headings, labels, each answer in plain words, each rule)
live in data/summary/wording.yml, and the page's layout in data/summary/summary.html.j2: a
reviewer changes the wording without touching code, and the three formats always say the same
thing, because all three are drawn from one list of sections built here.

The PDF is made with fpdf2 (pure Python, maintained; no system libraries, unlike WeasyPrint's
Pango and Cairo; ReportLab's open edition works too but is larger for the same result): real text
in an embedded Unicode font (DejaVu Sans when the system has it, so the person's own words print
as they typed them), a document title shown by viewers, a language tag, and headings as tagged
sections in the outline.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.clinical import triage

ROOT = Path(__file__).resolve().parents[2]
WORDING = ROOT / "data" / "summary" / "wording.yml"
TEMPLATE_DIR = ROOT / "data" / "summary"
HTML_TEMPLATE = "summary.html.j2"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# What the facts say about the person's own words, in this order, with the label's key.
OWN_WORDS = (("warning_signs", "warning_signs"), ("symptoms", "symptoms"), ("side", "side"),
             ("duration", "duration"))


class SummaryError(ValueError):
    """Facts that cannot be rendered (e.g. a level or rule with no wording)."""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    rows: Tuple[Tuple[str, str], ...] = ()   # (label, value); label "" for a plain line


@functools.lru_cache(maxsize=1)
def wording() -> Dict[str, Any]:
    with WORDING.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _fill(text: str, region: Mapping[str, str]) -> str:
    try:
        return text.format(**region)
    except KeyError as error:
        raise SummaryError(f"the summary has no region name {error} for: {text!r}") from None


def question_label(question_id: str) -> str:
    return wording()["questions"][question_id]["label"]


def answer_words(question_id: str, answer: str) -> str:
    words = wording()
    question = triage.QUESTION_BY_ID[question_id]
    if question.level_if_yes:
        return words["screen_answers"][answer]
    return words["questions"][question_id]["answers"][answer]


def rule_words(rule: str) -> str:
    rules = wording()["reasons"]
    if rule.startswith("flag:"):
        return rules["flag"].format(flag=wording()["flags"][rule.split(":", 1)[1]])
    if rule.endswith(":yes") or rule.endswith(":unsure"):
        question_id, answer = rule.split(":", 1)
        key = "screen_yes" if answer == "yes" else "screen_unsure"
        return rules[key].format(question=question_label(question_id))
    return rules[rule]


def _moment(value: str) -> str:
    moment = datetime.fromisoformat(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%d %B %Y, %H:%M")


def sections(facts: Mapping[str, Any], *, reference: str, created_at: str,
             expires_at: Optional[str] = None) -> List[Section]:
    """The summary as sections of (label, value) rows, the same for every format."""
    words = wording()
    labels, headings = words["labels"], words["headings"]
    region = facts.get("region") or {}
    level = facts.get("disposition")
    if level not in words["levels"]:
        raise SummaryError(f"no wording for the level {level!r}")
    try:
        reported = [(question_label(q), answer_words(q, a))
                    for q, a in (facts.get("answers") or {}).items()
                    if q in triage.QUESTION_BY_ID and a]
        reported += [(labels["warning_signs"], words["flags"][flag])
                     for flag in facts.get("flags") or []]
        reasons = [(f"[{rule}]", rule_words(rule)) for rule in facts.get("rules") or []]
        assumed = [question_label(q) for q in facts.get("assumed") or []]
    except KeyError as error:
        raise SummaryError(f"no summary wording for {error}") from None
    own = facts.get("own_words") or {}
    own_rows = [(labels[label], "; ".join(f"\u201c{w}\u201d" for w in own.get(key) or []))
                for key, label in OWN_WORDS if own.get(key)]
    advice = [("", _fill(words["levels"][level], region))]
    if facts.get("provisional"):
        advice.append(("", labels["provisional"]))
    if assumed:
        advice.append((labels["assumed"], "; ".join(assumed)))
    about = [(labels["rules_version"], str(facts.get("rules_version", ""))),
             ("", labels["reference_note"])]
    if expires_at:
        about.append((labels["expires"], _moment(expires_at)))
    found = [
        Section("when", headings["when"], ((labels["date"], _moment(created_at)),
                                           (labels["reference"], reference))),
        Section("reported", headings["reported"], tuple(reported)),
        Section("own_words", headings["own_words"], tuple(own_rows)),
        Section("advice", headings["advice"], tuple(advice)),
        Section("reasons", headings["reasons"], tuple(reasons)),
        Section("safety_net", headings["safety_net"],
                (("", _fill(words["safety_net"], region)),)),
        Section("about", headings["about"], tuple(about)),
    ]
    return [section for section in found if section.rows]


def as_text(parts: Sequence[Section]) -> str:
    lines = [wording()["title"], ""]
    for section in parts:
        lines.append(section.heading.upper())
        for label, value in section.rows:
            lines.append(f"- {label}: {value}" if label else f"- {value}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@functools.lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                              autoescape=select_autoescape(["html", "j2"]))
    return environment.get_template(HTML_TEMPLATE)


def as_html(parts: Sequence[Section], *, pdf_url: str, script_url: str) -> str:
    words = wording()
    return _template().render(
        words=words, sections=parts, pdf_url=pdf_url, script_url=script_url)


def _pdf_font(pdf) -> str:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu"
    return "Helvetica"  # the core font: Latin-1 only, other characters become '?'


def as_pdf(parts: Sequence[Section]) -> bytes:
    from fpdf import FPDF, ViewerPreferences
    from fpdf.fonts import TextStyle

    words = wording()
    pdf = FPDF(format="A4")
    pdf.set_title(words["title"])
    pdf.set_lang(words["language"])
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.set_creator("Back pain guide")
    pdf.set_author("Back pain guide")
    family = _pdf_font(pdf)

    def safe(text: str) -> str:
        return text if family != "Helvetica" else \
            text.encode("latin-1", "replace").decode("latin-1")

    pdf.set_section_title_styles(
        TextStyle(font_family=family, font_style="B", font_size_pt=16, t_margin=2, b_margin=3),
        TextStyle(font_family=family, font_style="B", font_size_pt=12, t_margin=4, b_margin=1))
    pdf.add_page()
    pdf.set_font(family, size=10)
    pdf.start_section(safe(words["title"]), level=0)
    pdf.set_font(family, size=10)
    pdf.multi_cell(0, 5, safe(words["intro"]), new_x="LMARGIN", new_y="NEXT")
    for section in parts:
        pdf.start_section(safe(section.heading), level=1)
        for label, value in section.rows:
            if label:
                pdf.set_font(family, "B", 10)
                pdf.multi_cell(0, 5, safe(label), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(family, "", 10)
            pdf.multi_cell(0, 5, safe(value), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    return bytes(pdf.output())
