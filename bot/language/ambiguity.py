"""Drop entity matches that are another word in disguise: "right after", "that's right".

A pattern cannot look at the words around its match; this component can. It runs after the
entity matcher and before negation.
"""
from spacy.language import Language
from spacy.tokens import Doc

# "right" is a side only when it is not one of these common phrases.
NOT_A_SIDE_AFTER = {"after", "now", "away", "there", "here", "then", "before", "back", "off",
                    "on", "when", "as", "into", "through", "up", "down", "at", "in", "from",
                    "?", "!", ".", "enough", "way", "thing", "to"}
NOT_A_SIDE_BEFORE = {"'s", "is", "all", "alright", "you", "that", "thats", "exactly", "yes",
                     "not", "feel", "feels", "quite", "just", "the", "do", "doing", "get"}


def is_ambiguous(doc: Doc, ent) -> bool:
    if ent.label_ != "side" or ent.text.lower() != "right":
        return False
    after = doc[ent.end].lower_ if ent.end < len(doc) else "."
    before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    if after in ("side", "hand"):
        return False
    return after in NOT_A_SIDE_AFTER or before in NOT_A_SIDE_BEFORE


@Language.component("triage_ambiguity")
def triage_ambiguity(doc: Doc) -> Doc:
    doc.ents = [ent for ent in doc.ents if not is_ambiguous(doc, ent)]
    return doc
