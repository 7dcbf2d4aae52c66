from bot.clinical.input_checks import EMPTY, NO_WORDS, OTHER_LANGUAGE, input_issue

ENGLISH = {"my", "back", "hurts", "after", "leg", "day", "the", "is", "it", "a", "what"}


def is_english(word):
    return word in ENGLISH


def test_empty_and_whitespace():
    assert input_issue("", is_english) == EMPTY
    assert input_issue(" \n\t ", is_english) == EMPTY
    assert input_issue(None, is_english) == EMPTY


def test_no_words():
    assert input_issue("😀😀🔥", is_english) == NO_WORDS
    assert input_issue("?!...", is_english) == NO_WORDS


def test_other_language():
    assert input_issue("hola me duele la espalda", is_english) == OTHER_LANGUAGE


def test_english_with_typos_and_chat_words_is_not_another_language():
    assert input_issue("my bak hurts aftr leg day", is_english) is None
    assert input_issue("thx bye", is_english) is None
    assert input_issue("bye bye lol", is_english) is None
    assert input_issue("7", is_english) is None
