"""The safety report: how the bot triages messages it was not written for, measured as the
symptom-checker literature measures it.

    python -m bot safety-report --url http://localhost:5005 [--sets vignettes heldout]
                                [--out results/safety]

Each case is a conversation with a simulated person, played against a running bot (its REST
channel, and its HTTP API to read which question is open). The person starts with the case's
message and then answers every question truthfully for the case: yes to an emergency or urgent
question that covers one of the case's current red flags (a grouped "any of these?" question
covers all of its level's), no to the others, and for the other
questions the case's own answers where it gives them, else the mildest (mild, getting better,
under a week, no spread, nothing makes it worse, aged 18-49). Offered a check, the person
takes it (everyone in the sets has back pain). The case's level is what a clinician following
the project's clinical notes would give.

Sets:
- `vignettes` (tests/safety/vignettes.yml): the project's vignettes, a first message and the
  person's answers, one per rule of the clinical notes and per known pitfall;
- `heldout` (tests/safety/heldout.yml): messages written the way real people write and never
  used for training (docs/language-phenomena.md says what they reproduce).

Figures, per set: emergency sensitivity at the first message and by the end of the
conversation; strict safety (never below the expected level); lenient safety (at most one level
below: Gilbert et al., BMJ Open 2020); exact accuracy; over-triage; median turns to a
recommendation; and red-flag recall and precision of the NLU by phenomenon (negated, other
person, historical, hypothetical, long, euphemism...). The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from bot.clinical import triage

ROOT = Path(__file__).resolve().parents[2]
SETS = {
    "vignettes": ROOT / "tests" / "safety" / "vignettes.yml",
    "heldout": ROOT / "tests" / "safety" / "heldout.yml",
}
MAX_TURNS = 25
# Which screen question covers which red flag (what a truthful person says yes to): the
# emergency screens as the triage rules map them, and the urgent screens' flags.
SCREEN_OF_FLAG = {
    **triage.SCREEN_OF_FLAG,
    "fever": "ur_fever",
    "cancer_history": "ur_history", "immunosuppression": "ur_history",
    "osteoporosis": "ur_history",
    "night_pain": "ur_pattern", "weight_loss": "ur_pattern", "back_deformity": "ur_pattern",
    "thoracic_pain": "ur_pattern", "one_leg_weakness": "ur_pattern",
}
# Answers a person gives when the case says nothing else: the mildest for each question.
MILDEST = {"severity": "mild", "trend": "better", "duration": "under_1_week",
           "spread": "none", "aggravators": "movement", "age_band": "18_49"}
# Aliases the test sets may use for a flag id.
FLAG_ALIASES = {"foot_drop_one_leg": "one_leg_weakness", "foot_drop": "one_leg_weakness"}


@dataclass
class Case:
    set_name: str
    id: str
    text: str
    expected: str
    flags: Tuple[str, ...] = ()
    phenomena: Tuple[str, ...] = ()
    answers: Dict[str, str] = field(default_factory=dict)
    then: Tuple[str, ...] = ()      # more messages the person sends before answering


@dataclass
class Outcome:
    case: Case
    first: Optional[str]            # the level given in reply to the first message
    final: Optional[str]            # the last level given
    turns: Optional[int]            # user turns until the first recommendation
    questions: List[str]
    nlu_flags: Tuple[str, ...] = ()
    error: Optional[str] = None
    hints: Tuple[str, ...] = ()     # screens the learned detector was unsure of


def load_cases(set_name: str, path: Path) -> List[Case]:
    data = yaml.safe_load(Path(path).read_text())
    items = data.get("messages") or data.get("vignettes") or []
    cases = []
    for item in items:
        expected = item["expected"]
        if expected not in triage.LADDER:
            raise ValueError(f"{path}: {item.get('id')}: expected {expected!r} is not a level")
        flags = tuple(FLAG_ALIASES.get(f, f) for f in item.get("flags") or ())
        answers = item.get("answers") or {}
        wrong = {k: v for k, v in answers.items() if not isinstance(v, str)}
        if wrong:
            raise ValueError(f"{path}: {item.get('id')}: answers {wrong} are not text; quote "
                             f"them (YAML reads 50_69 as the number 5069)")
        cases.append(Case(set_name, str(item["id"]), str(item["text"]), expected, flags,
                          tuple(item.get("phenomena") or ()),
                          dict(answers),
                          tuple(str(m) for m in item.get("then") or ())))
    return cases


class Bot:
    """The running bot: its REST channel, and its HTTP API to read the tracker."""

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 60):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, path: str, body: Optional[dict] = None):
        url = self.url + path + (("&" if "?" in path else "?") + f"token={self.token}"
                                 if self.token else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"null")

    def send(self, sender: str, text: str) -> list:
        return self._call("/webhooks/rest/webhook", {"sender": sender, "message": text}) or []

    def requested(self, sender: str) -> Optional[str]:
        # The REST channel keeps a sender's conversation as rest:<sender> (bot.channels.rest).
        tracker = self._call(f"/conversations/rest:{sender}/tracker")
        return (tracker.get("slots") or {}).get("requested_slot")

    def parse(self, text: str) -> dict:
        return self._call("/model/parse", {"text": text})


def _level_in(messages: list) -> Optional[str]:
    found = [m["custom"]["disposition"] for m in messages
             if isinstance(m.get("custom"), dict) and "disposition" in m["custom"]]
    return found[-1] if found else None


def _offers_a_check(messages: list) -> bool:
    return any(button.get("payload") == "/affirm" for m in messages
               for button in m.get("buttons") or [])


def _screen_answer(case: Case, question: str) -> str:
    """A truthful person's answer to a screen: yes when they have a sign it lists."""
    covered = {SCREEN_OF_FLAG.get(flag) for flag in case.flags}
    members = triage.GROUPED_SCREENS.get(question, (question,))
    said = [case.answers.get(q) or ("yes" if q in covered else "no") for q in members]
    if case.answers.get(question):
        return case.answers[question]
    # "Any of these?" gets a yes for any one of them; unsure when unsure of one and no other.
    return "yes" if "yes" in said else "unsure" if "unsure" in said else "no"


def _answer(case: Case, question: str, buttons: list) -> str:
    """What the simulated person answers: a button's payload where one fits, else text."""
    if question in triage.QUESTION_BY_ID and triage.QUESTION_BY_ID[question].level_if_yes:
        payloads = {"yes": "/affirm", "no": "/deny", "unsure": "/not_sure"}
        return payloads[_screen_answer(case, question)]
    wanted = case.answers.get(question) or MILDEST.get(question)
    for button in buttons:
        if f'"{wanted}"' in (button.get("payload") or ""):
            return button["payload"]
    return f'/inform{{"{question}": "{wanted}"}}'


def play(case: Case, bot: Bot) -> Outcome:
    sender = f"safety-{case.set_name}-{case.id}-{uuid.uuid4().hex[:8]}"
    questions: List[str] = []
    first = final = None
    turns = None
    try:
        messages = bot.send(sender, case.text)
        first = final = _level_in(messages)
        sent = 1
        for extra in case.then:
            if final:
                break
            messages = bot.send(sender, extra)
            final = _level_in(messages) or final
            sent += 1
        if final:
            turns = sent
        while final is None and sent < MAX_TURNS:
            question = bot.requested(sender)
            if not question:
                if _offers_a_check(messages):
                    # Everyone in the sets has back pain: they take the offer of a check.
                    messages = bot.send(sender, "/affirm")
                    sent += 1
                    final = _level_in(messages) or final
                    if bot.requested(sender):
                        continue
                break  # no question open and no recommendation: the bot stopped
            questions.append(question)
            buttons = [b for m in messages for b in (m.get("buttons") or [])]
            messages = bot.send(sender, _answer(case, question, buttons))
            sent += 1
            final = _level_in(messages)
            if final:
                turns = sent
        nlu = bot.parse(case.text)
        flags = tuple(sorted({e["value"] for e in nlu.get("entities") or []
                              if e.get("entity") == "red_flag" and not e.get("role")}))
        hints = tuple(sorted({e["value"] for e in nlu.get("entities") or []
                              if e.get("entity") == "screen_hint"
                              and e.get("role") == "possible"}))
        return Outcome(case, first, final, turns, questions, flags, hints=hints)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return Outcome(case, first, final, turns, questions, error=str(error))


def _rank(level: Optional[str]) -> int:
    return triage.level_rank(level)


def _ratio(hits: int, total: int) -> Optional[float]:
    return round(hits / total, 4) if total else None


def figures(outcomes: Sequence[Outcome]) -> dict:
    emergencies = [o for o in outcomes if o.case.expected == triage.EMERGENCY]
    below = [o for o in outcomes if _rank(o.final) < _rank(o.case.expected)]
    lenient_miss = [o for o in outcomes if _rank(o.final) < _rank(o.case.expected) - 1]
    turns = [o.turns for o in outcomes if o.turns is not None]
    result = {
        "cases": len(outcomes),
        "emergency_cases": len(emergencies),
        "emergency_sensitivity_first": _ratio(
            sum(o.first == triage.EMERGENCY for o in emergencies), len(emergencies)),
        "emergency_sensitivity": _ratio(
            sum(o.final == triage.EMERGENCY for o in emergencies), len(emergencies)),
        "strict_safety": _ratio(len(outcomes) - len(below), len(outcomes)),
        "lenient_safety": _ratio(len(outcomes) - len(lenient_miss), len(outcomes)),
        "exact": _ratio(sum(o.final == o.case.expected for o in outcomes), len(outcomes)),
        "over_triage": _ratio(sum(_rank(o.final) > _rank(o.case.expected) for o in outcomes),
                              len(outcomes)),
        "no_recommendation": sum(o.final is None for o in outcomes),
        "errors": sum(o.error is not None for o in outcomes),
        "median_turns": statistics.median(turns) if turns else None,
        # By the level the case should get: the whole-set median is mostly emergencies found
        # in one turn; a self-care result needs every question the message did not answer.
        "median_turns_by_level": {
            level: statistics.median(by_level) for level in triage.LADDER
            if (by_level := [o.turns for o in outcomes
                             if o.turns is not None and o.case.expected == level])},
        "under_triaged": [o.case.id for o in below],
    }
    result["flags_by_phenomenon"] = flag_figures(outcomes)
    result["learned_detector"] = detector_figures(outcomes)
    return result


def detector_figures(outcomes: Sequence[Outcome]) -> dict:
    """What the learned detector adds: of the emergency cases whose first message the
    patterns read no current emergency sign in, how many it read as one (the flag counts)
    and how many it was unsure of (that question asked first)."""
    described = set(triage.DESCRIBED_FLAG_OF_SCREEN.values())
    pattern_emergency = set(triage.EMERGENCY_FLAGS) - described
    missed = [o for o in outcomes if o.case.expected == triage.EMERGENCY and o.error is None
              and not set(o.nlu_flags) & pattern_emergency]
    caught = [o for o in missed if set(o.nlu_flags) & described]
    unsure = [o for o in missed if not set(o.nlu_flags) & described and o.hints]
    false = [o for o in outcomes if o.case.expected != triage.EMERGENCY
             and set(o.nlu_flags) & described]
    return {"emergencies_patterns_missed": len(missed), "detector_flagged": len(caught),
            "detector_unsure": len(unsure),
            "detector_false_flags_on_non_emergencies": len(false)}


def flag_figures(outcomes: Sequence[Outcome]) -> dict:
    """Red-flag recall and precision of the NLU's current flags, by phenomenon tag."""
    by_tag = defaultdict(lambda: {"expected": 0, "found": 0, "correct": 0, "cases": 0})
    described = set(triage.DESCRIBED_FLAG_OF_SCREEN.values())
    for outcome in outcomes:
        expected = {f for f in outcome.case.flags if f in triage.FLAG_LEVEL}
        found = set(outcome.nlu_flags)
        # The detector's flag names a screen, not a sign: it is right when a sign of that
        # screen is there (and then it stands for that sign).
        for flag in found & described:
            screen = triage.SCREEN_OF_FLAG[flag]
            same = {f for f in expected if triage.SCREEN_OF_FLAG.get(f) == screen} - found
            found.discard(flag)
            found.add(next(iter(sorted(same)), flag))
        for tag in set(outcome.case.phenomena) | {"all"}:
            row = by_tag[tag]
            row["cases"] += 1
            row["expected"] += len(expected)
            row["found"] += len(found)
            row["correct"] += len(found & expected)
    return {tag: {"cases": row["cases"],
                  "recall": _ratio(row["correct"], row["expected"]),
                  "precision": _ratio(row["correct"], row["found"]),
                  "false_flags": row["found"] - row["correct"]}
            for tag, row in sorted(by_tag.items())}


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["emergency_sensitivity_first", "emergency_sensitivity", "strict_safety",
             "lenient_safety", "exact", "over_triage"]
    labels = ["emergency\nat 1st message", "emergency\nby the end", "strict\nsafety",
              "lenient\nsafety", "exact", "over-\ntriage"]
    sets = list(report["sets"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2),
                                      gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / max(1, len(sets))
    for i, name in enumerate(sets):
        values = [report["sets"][name][n] or 0 for n in names]
        bars = left.bar([x + i * width for x in range(len(names))], values, width, label=name)
        left.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7)
    left.set_xticks([x + width * (len(sets) - 1) / 2 for x in range(len(names))], labels,
                    fontsize=8)
    left.set_ylim(0, 1.1)
    left.set_title("Triage of whole conversations")
    left.legend(fontsize=8)
    tags = [t for t in report["sets"].get("heldout", {}).get("flags_by_phenomenon", {})
            if t != "all"]
    rows = report["sets"].get("heldout", {}).get("flags_by_phenomenon", {})
    recall = [rows[t]["recall"] if rows[t]["recall"] is not None else 0 for t in tags]
    precision = [rows[t]["precision"] if rows[t]["precision"] is not None else 0 for t in tags]
    ys = range(len(tags))
    right.barh([y - 0.2 for y in ys], recall, 0.4, label="recall")
    right.barh([y + 0.2 for y in ys], precision, 0.4, label="precision")
    right.set_yticks(list(ys), tags, fontsize=8)
    right.set_xlim(0, 1.05)
    right.set_title("Red flags read from the first message (held-out)")
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(url: str, set_names: Sequence[str], out: Path, token: Optional[str] = None,
        progress=print) -> dict:
    bot = Bot(url, token)
    report = {"sets": {}, "rules_version": triage.RULES_VERSION}
    all_outcomes = {}
    for name in set_names:
        cases = load_cases(name, SETS[name])
        started = time.monotonic()
        outcomes = []
        for number, case in enumerate(cases, 1):
            outcomes.append(play(case, bot))
            if number % 25 == 0 or number == len(cases):
                progress(f"  {name}: {number}/{len(cases)} conversations "
                         f"({time.monotonic() - started:.0f} s)", flush=True)
        report["sets"][name] = figures(outcomes)
        all_outcomes[name] = outcomes
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    with (out / "conversations.jsonl").open("w") as handle:
        for name, outcomes in all_outcomes.items():
            for o in outcomes:
                handle.write(json.dumps({"set": name, "id": o.case.id, "expected": o.case.expected,
                                         "first": o.first, "final": o.final, "turns": o.turns,
                                         "questions": o.questions, "nlu_flags": o.nlu_flags,
                                         "hints": o.hints, "error": o.error}) + "\n")
    plot(report, out / "safety.png")
    return report


def summary(report: dict) -> dict:
    """The last line: the figures over every set played together (the worst where it matters)."""
    sets = list(report["sets"].values())

    def worst(key, high_is_good=True):
        values = [s[key] for s in sets if s[key] is not None]
        if not values:
            return None
        return min(values) if high_is_good else max(values)

    return {"emergency_sensitivity": worst("emergency_sensitivity"),
            "emergency_sensitivity_first": worst("emergency_sensitivity_first"),
            "strict_safety": worst("strict_safety"),
            "lenient_safety": worst("lenient_safety"),
            "exact": worst("exact"),
            "over_triage": worst("over_triage", high_is_good=False),
            "median_turns": {name: s["median_turns"] for name, s in report["sets"].items()}}


def add_arguments(parser) -> None:
    parser.add_argument("--url", default="http://localhost:5005",
                        help="the Rasa server, started with --enable-api")
    parser.add_argument("--token", default=None,
                        help="the API token, if the server has one (default: RASA_API_TOKEN)")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--out", default="results/safety", type=Path)
    parser.add_argument("--copy-plot", type=Path, default=None,
                        help="also copy the plot here (make safety-report: docs/safety-report.png)")


def main_from_args(args) -> int:
    import os

    token = args.token or os.environ.get("RASA_API_TOKEN") or None
    try:
        report = run(args.url, args.sets, args.out, token)
    except urllib.error.URLError as error:
        print(f"error: no bot answers at {args.url} ({error.reason}); start one with "
              f"`make safety-report` or `make run`", file=sys.stderr)
        return 2
    for name, figures_ in report["sets"].items():
        shown = {k: v for k, v in figures_.items()
                 if k not in ("flags_by_phenomenon", "learned_detector")}
        print(f"{name}: {json.dumps(shown)}")
        print(f"  learned detector: {json.dumps(figures_['learned_detector'])}")
        for tag, row in figures_["flags_by_phenomenon"].items():
            print(f"  flags {tag:22} recall {row['recall']}  precision {row['precision']}  "
                  f"cases {row['cases']}")
    print(f"report, conversations and plot in {args.out}/")
    if args.copy_plot:
        import shutil

        shutil.copyfile(args.out / "safety.png", args.copy_plot)
        print(f"plot copied to {args.copy_plot}")
    print(json.dumps(summary(report)))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return main_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
