"""What Rasa sends to the action server with each call: the conversation, and the domain only
where an action reads it (none of ours does). These tests fail when a Rasa upgrade changes
the rules they rely on (domain.yml, the comment above `validate_triage_form`)."""
from pathlib import Path

import pytest
import yaml
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

ROOT = Path(__file__).resolve().parents[2]
SELECTIVE = EndpointConfig("http://127.0.0.1:9/webhook", enable_selective_domain=True)


def payload(name: str, domain: Domain) -> dict:
    tracker = DialogueStateTracker.from_events("someone", [])
    return RemoteAction(name, SELECTIVE)._action_call_format(tracker, domain)


@pytest.mark.parametrize("path", ["endpoints.yml", "cluster/endpoints.yml"])
def test_every_server_asks_rasa_for_the_domain_only_where_needed(path):
    endpoints = yaml.safe_load((ROOT / path).read_text())
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True


def test_no_call_of_ours_carries_the_domain():
    domain = Domain.load(str(ROOT / "domain.yml"))
    validations = {name for name in domain.user_actions if name.startswith("validate_")}
    assert validations == {"validate_triage_form", "validate_checkin_form"}
    for name in domain.user_actions:
        sent = payload(name, domain)
        assert "domain" not in sent, name
        assert sent["tracker"]["sender_id"] == "someone" and sent["next_action"] == name


def test_rasa_sends_the_domain_to_a_validation_unless_told_not_to():
    """Why domain.yml names the validations with `send_domain: false`: Rasa 3.6 sends the
    whole domain to any `validate_*` action listed plainly, selective domain or not (for
    rasa_sdk's FormValidationAction). If this fails, an upgrade changed that rule: the
    setting may no longer be needed, or may no longer be read."""
    plain = Domain.from_yaml("version: '3.1'\nactions:\n  - validate_some_form\n"
                             "  - action_some\n")
    assert "domain" in payload("validate_some_form", plain)
    assert "domain" not in payload("action_some", plain)
    told = Domain.from_yaml("version: '3.1'\nactions:\n  - validate_some_form:\n"
                            "      send_domain: false\n")
    assert "domain" not in payload("validate_some_form", told)
