"""Is a mention current and the writer's own? The ConText algorithm, by medspaCy.

A red flag counts only when it is affirmed, about the person writing, current and not
hypothetical (ConText: Harkema et al., J Biomed Inform 2009). medspaCy implements the algorithm
(triggers with a direction, scopes cut at sentence ends and terminations, pseudo-triggers that
block a shorter trigger inside them); its English rules come from clinical notes, so the project
adds the words of patients (`data/context/patient_rules.json`, medspaCy's own JSON format) and
drops the few note-writing rules that misfire on chat ("since I returned to the gym"), each with
its reason in that file.

Each entity gets one role, in this order of precedence:
- `negated`: our NegEx-style rules (negation.py) or ConText's NEGATED_EXISTENCE;
- `other_person`: ConText's FAMILY (family and any other experiencer: "my mate", "a guy at
  my gym"), unless the writer turns to themselves ("mine is just sore");
- `hypothetical`: "what if my legs go numb?", "should I worry about numbness?";
- `historical`: "years ago I couldn't pee after surgery" (not for flags that are a history by
  nature: a history of cancer, osteoporosis, long-term steroids);
- none: current and the writer's own. ConText's POSSIBLE_EXISTENCE ("I think my groin is numb")
  stays current on purpose: a doubted emergency sign must still be acted on.
"""

import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from bot.clinical.triage import HISTORICAL, HYPOTHETICAL, NEGATED, OTHER_PERSON
from bot.clinical.triage import NOT_CURRENT_ROLES as NOT_CURRENT
# Flags that are a history by their nature: "history of cancer" is the flag itself.
HISTORY_FLAGS = {"cancer_history", "osteoporosis", "immunosuppression"}

RULES_FILE = "context_rules.json"
# The entities whose context matters. Others (a duration, a side, an exercise) are no targets,
# so a trigger that overlaps one ("years ago" holds the duration "years") still applies.
TARGET_LABELS = {"red_flag", "risk_factor", "symptom", "body_part"}

if not Doc.has_extension("context_targets"):
    Doc.set_extension("context_targets", default=None)

if not Span.has_extension("context_role"):
    Span.set_extension("context_role", default=None)
if not Span.has_extension("negated"):
    Span.set_extension("negated", default=False)


def medspacy_default_rules() -> List[dict]:
    """medspaCy's packaged English ConText rules, as dictionaries."""
    import medspacy.context.context as module

    # Where ConText itself looks for them (its DEFAULT_RULES_FILEPATH).
    rules = Path(module.__file__).resolve().parents[2] / "resources" / "en" / "context_rules.json"
    return json.loads(rules.read_text())["context_rules"]


def combined_rules(patient_rules_path: Path) -> List[dict]:
    """medspaCy's rules less the excluded ones, then the project's patient-language rules."""
    project = json.loads(Path(patient_rules_path).read_text())
    excluded = set(project.get("exclude_default", {}))
    default = [rule for rule in medspacy_default_rules() if rule["literal"] not in excluded]
    rules = [dict(rule) for rule in default + list(project["context_rules"])]
    ended = set(project.get("terminate_at_clause_end", {}).get("categories", ()))
    for rule in rules:
        if rule["category"] in ended:
            rule["terminated_by"] = sorted(set(rule.get("terminated_by") or ()) | {"CLAUSE_END"})
    return rules


def role_of(ent: Span) -> Optional[str]:
    if ent._.negated or ent._.is_negated:
        return NEGATED
    if ent._.is_family:
        return OTHER_PERSON
    if ent._.is_hypothetical:
        return HYPOTHETICAL
    if ent._.is_historical and ent.ent_id_ not in HISTORY_FLAGS:
        return HISTORICAL
    return None


@Language.factory("triage_context")
class TriageContext:
    """medspaCy's ConText over the pipeline's entities, with the rules saved in the pipeline."""

    def __init__(self, nlp: Language, name: str):
        self.nlp = nlp
        self.name = name
        self.rules: List[dict] = []
        self._context = None

    def set_rules(self, rules: Iterable[dict]) -> None:
        from medspacy.context import ConText, ConTextRule

        self.rules = list(rules)
        # A cue inside a sign's own words is part of the sign ("can't pee", "doesn't ease
        # when I rest"): modifiers that overlap an entity are dropped, not applied to it.
        context = ConText(self.nlp, name=f"{self.name}_medspacy", rules=None,
                          prune_on_target_overlap=True)
        context.add([ConTextRule(**_rule_arguments(rule)) for rule in self.rules])
        self._context = context

    def __call__(self, doc: Doc) -> Doc:
        targets = [ent for ent in doc.ents if ent.label_ in TARGET_LABELS]
        if targets:
            doc._.context_targets = targets
            self._context(doc, targets="context_targets")
            doc._.context_targets = None
        for ent in targets:
            ent._.context_role = role_of(ent)
        # Only the roles are kept: ConText's graph holds spans, which cannot be pickled, and
        # Rasa deep-copies a parsed message (rasa test nlu, the fallback classifier).
        if doc.ents:
            doc._.context_graph = None
            for ent in doc.ents:
                ent._.modifiers = ()
        return doc

    def to_disk(self, path, exclude=()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / RULES_FILE).write_text(json.dumps({"context_rules": self.rules}))

    def from_disk(self, path, exclude=()):
        self.set_rules(json.loads((Path(path) / RULES_FILE).read_text())["context_rules"])
        return self


_RULE_KEYS = ("literal", "category", "pattern", "direction", "max_scope", "max_targets",
              "allowed_types", "excluded_types", "terminated_by")


def _rule_arguments(rule: Dict) -> Dict:
    arguments = {key: rule[key] for key in _RULE_KEYS if rule.get(key) is not None}
    for key in ("allowed_types", "excluded_types", "terminated_by"):
        if key in arguments:
            arguments[key] = set(arguments[key])
    return arguments
