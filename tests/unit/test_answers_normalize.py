"""normalize_text: what a phone keyboard types becomes plain text before anything reads it."""
import pytest

from bot.clinical.answers import normalize_text


@pytest.mark.parametrize("raw,expected", [
    ("no i don\u2019t know", "no i don't know"),
    ("it\u2018s \u201afine\u201b", "it's 'fine'"),
    ("\u201cboth legs\u201d", '"both legs"'),
    ("\u201ehmm\u201f", '"hmm"'),
    ("5\u203210\u2033", "5'10\""),
    ("don`t", "don't"), ("don\u00b4t", "don't"), ("don\u02bct", "don't"),
    ("\uff07ok\uff07", "'ok'"),
    ("6\u20137/10", "6-7/10"), ("no\u2014just my back", "no-just my back"),
    ("\u22125", "-5"), ("a\u2010b\u2011c\u2012d\u2015e", "a-b-c-d-e"),
    ("i'm\u00a030", "i'm 30"), ("3\u2009days", "3 days"), ("a\u202fb", "a b"),
    ("a\u3000b", "a b"), ("a\u2007b", "a b"),
    ("no\u200bpe", "nope"), ("\ufeffyes", "yes"), ("a\u200cb\u200dc\u2060d", "abcd"),
    ("leg\u00adpress", "legpress"),
    ("  lots   of \t space\n ", "lots of space"),
    ("\uff4e\uff4f", "no"), ("\uff18/\uff11\uff10", "8/10"), ("\ufb01ne", "fine"),
    ("hmm\u2026", "hmm..."),
    ("No I Don\u2019t", "No I Don't"),   # the case is kept: readers lower it themselves
    ("", ""), (None, ""),
])
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw", ["no i don\u2019t know", "\u201c8\u201d \u2013 out of 10\u200b",
                                 "  \u00a0 ", "I\u2019m 30\u00a0yo"])
def test_normalize_text_is_idempotent(raw):
    once = normalize_text(raw)
    assert normalize_text(once) == once
