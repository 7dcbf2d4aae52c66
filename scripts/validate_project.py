"""`rasa data validate`, strict: every warning fails, with one checked exception.

Rasa warns that a response "is not used in any story or rule" when a form asks with it
(`utter_ask_<slot>`) or a custom action sends it: its check only reads stories and rules. We
accept that warning only for responses that a form really asks with or an action really sends
(each action module lists its RESPONSES), and we fail on a response that an action sends but
the domain lacks. Rasa also warns about an intent with no NLU examples: we accept that only for
intents an action module lists in PAYLOAD_ONLY_INTENTS (sent by buttons or by a channel, never
typed, so there are no words to learn). Anything else Rasa warns about fails the run.
"""
import importlib
import pkgutil
import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def responses_sent_by_actions() -> set:
    import actions
    from bot.rasa_patches import action_failure  # the Rasa server's own reply when actions fail

    sent = set(action_failure.RESPONSES)
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        sent |= set(getattr(module, "RESPONSES", ()))
    return sent


def payload_only_intents() -> set:
    import actions

    found = set()
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        found |= set(getattr(module, "PAYLOAD_ONLY_INTENTS", ()))
    return found


def main() -> int:
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        domain = importer.get_domain()
        checks = {
            "domain": validator.verify_domain_validity(),
            "actions in stories and rules": validator.verify_actions_in_stories_rules(),
            "forms in stories and rules": validator.verify_forms_in_stories_rules(),
            "form slots": validator.verify_form_slots(),
            "slot mappings": validator.verify_slot_mappings(),
            "nlu": validator.verify_nlu(ignore_warnings=True),
            "story structure": validator.verify_story_structure(ignore_warnings=False),
        }
        validator.warn_if_config_mandatory_keys_are_not_set()

    asked_by_forms = {f"utter_ask_{slot}" for form in domain.forms.values()
                      for slot in form.get("required_slots", [])}
    sent = responses_sent_by_actions()
    problems = [f"check failed: {name}" for name, ok in checks.items() if not ok]
    problems += [f"an action sends {name!r}, which the domain does not define"
                 for name in sorted(sent - set(domain.responses))]
    from rasa.utils.common import EXPECTED_WARNINGS

    retrieval_intents = set(importer.get_nlu_data().retrieval_intents)

    accepted = 0
    for warning in caught:
        if not issubclass(warning.category, (UserWarning, FutureWarning)):
            continue  # Python's own deprecation notices about Rasa's imports
        text = str(warning.message)
        if any(issubclass(warning.category, category) and re.match(pattern, text)
               for category, pattern in EXPECTED_WARNINGS):
            continue  # warnings that Rasa's own command line filters out as expected
        duplicated = re.fullmatch(r"The following duplicated intents have been found across "
                                  r"multiple domain files: (.*)", text.strip())
        if duplicated and set(duplicated.group(1).split(", ")) <= retrieval_intents:
            # Rasa 3.6 merges the domain with one it builds from the retrieval intents of
            # the NLU data, and reports the retrieval intents the domain lists (as it must)
            # as duplicates of themselves.
            continue
        untrained = re.match(r"The intent '([^']+)' is listed in the domain file, but is not "
                             r"found in the NLU training data", text)
        if untrained and untrained.group(1) in payload_only_intents():
            continue
        unused = re.match(r"The utterance '([^']+)' is not used in any story or rule", text)
        if unused and unused.group(1) in asked_by_forms | sent:
            accepted += 1
            continue
        problems.append(f"warning: {text}")

    for problem in problems:
        print(problem)
    print(f"validated domain, data and config: {len(problems)} problem(s); "
          f"{accepted} response(s) used by forms or actions rather than by stories")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
