"""NegEx-style negation of entities: "no numbness", "not feverish", "fever? no".

A cue negates an entity that follows it within a short window, until a word that closes the
scope ("but", "however", a full stop). "Not sure" and "don't know" are not negations: an
uncertain red flag must still count, because over-triage is preferred to a miss. A cue inside
an entity ("can't pee") is part of the sign, not a negation of it.
"""

from spacy.language import Language
from spacy.tokens import Doc, Span

# Keys as produced by the normalizer (dictionary forms of the token norms).
PRE_CUES = {"no", "not", "never", "without", "none", "deny", "nor", "neither", "nothing",
            "nope", "nah", "zero", "negative"}
# A cue followed by one of these is an expression of doubt, not a denial.
PSEUDO_FOLLOWERS = {"sure", "certain", "know", "idea", "tell", "only", "just", "better",
                    "change", "improve", "improving", "think", "remember", "yet", "mind",
                    "matter", "doubt"}
SCOPE_END = {"but", "however", "although", "though", "except", "yet", "still", "apart",
             "besides", "whereas", "while", ".", ";", "!", "?", "because", "cause", "just",
             "only", "mainly", "mostly", "otherwise", "instead"}
# "and" closes the scope when a new clause starts after it ("no fever and I can't pee").
CLAUSE_STARTERS = {"i", "my", "it", "now", "then", "also", "suddenly", "since", "today"}
POST_PUNCT = {":", "?", "-", "=", "—"}
POST_CUES = {"no", "none", "nope", "nah", "negative", "not"}
WINDOW = 6

# A history that belongs to someone else ("my mum had cancer") is family history, not the
# person's own red flag. Only for flags that are about a history: "my dad can't pee since he
# hurt his back" is someone asking on another's behalf, and must still count.
FAMILY = {"mum", "mom", "mother", "dad", "father", "brother", "sister", "grandma", "grandad",
          "grandpa", "granny", "nan", "aunt", "uncle", "cousin", "grandmother", "grandfather",
          "family", "parent", "relative"}
HISTORY_FLAGS = {"cancer_history"}

if not Span.has_extension("negated"):
    Span.set_extension("negated", default=False)


def _same_label_between(doc: Doc, ent: Span, comma: int, entity_tokens: set) -> bool:
    """Whether an entity of `ent`'s label stands before the comma, within the window."""
    for other in doc.ents:
        if other.label_ == ent.label_ and other.end <= comma and other.end >= comma - WINDOW:
            return True
    return False


def is_someone_elses_history(doc: Doc, ent: Span) -> bool:
    if ent.ent_id_ not in HISTORY_FLAGS:
        return False
    return any(doc[i].norm_ in FAMILY for i in range(max(0, ent.start - WINDOW), ent.start))


def is_negated(doc: Doc, ent: Span, entity_tokens: set) -> bool:
    if is_someone_elses_history(doc, ent):
        return True
    start = ent.start
    for i in range(start - 1, max(-1, start - 1 - WINDOW), -1):
        token = doc[i]
        key = token.norm_
        if i in entity_tokens:
            # A previous entity: negation may run through a list ("no fever or chills").
            continue
        if key in SCOPE_END or token.text in SCOPE_END:
            break
        if token.text == "," and not _same_label_between(doc, ent, i, entity_tokens):
            # "no numbness, back is sore": a comma ends the denial unless it separates a
            # list of the same kind of thing ("no fever, chills or weight loss").
            break
        if key == "and" and i + 1 < len(doc) and doc[i + 1].norm_ in CLAUSE_STARTERS:
            break
        if key in PRE_CUES:
            following = doc[i + 1].norm_ if i + 1 < len(doc) else ""
            if following in PSEUDO_FOLLOWERS:
                return False
            # "no doubt", "not only": rare; everything else is a denial.
            return True
    # Post-negation: "numbness in groin? no", "fever - none".
    end = ent.end
    if end + 1 < len(doc) and doc[end].text in POST_PUNCT and doc[end + 1].norm_ in POST_CUES:
        return True
    return False


@Language.component("triage_negation")
def triage_negation(doc: Doc) -> Doc:
    entity_tokens = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    for ent in doc.ents:
        ent._.negated = is_negated(doc, ent, entity_tokens)
    return doc
