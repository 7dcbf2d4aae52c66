"""A button's payload is read by RegexMessageHandler alone (bot/rasa_patches/speedups.py, 7.):
on the trained model, every payload the domain's buttons send parses exactly as Rasa's whole
NLU graph parses it, typed text still goes through the graph, and the payload costs a
fraction of a typed message."""
import asyncio
import time

import pytest
import yaml

from tests.conftest import MODEL, ROOT


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def button_payloads():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    payloads = set()
    for variations in domain["responses"].values():
        for variation in variations:
            for button in variation.get("buttons") or []:
                payloads.add(button["payload"])
    return sorted(payloads)


def rasa_s_parse(agent, text):
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    message = UserMessage(text, sender_id="payloads")
    tracker = DialogueStateTracker.from_events("payloads", [])
    return MessageProcessor._rasa_parse_message_with_graph(processor, message, tracker)


def test_every_button_payload_parses_as_the_whole_graph_parses_it(agent):
    payloads = button_payloads()
    assert len(payloads) >= 20 and any("{" in p for p in payloads)
    for payload in payloads + ['/inform{"severity":"severe"}', "/restart", "/back"]:
        ours = asyncio.run(agent.parse_message(payload))
        assert ours == rasa_s_parse(agent, payload), payload
        assert "text_tokens" not in ours, payload  # the pipeline did not run


def test_text_and_unknown_payloads_still_go_through_the_pipeline(agent):
    for text in ("no", "7 out of 10", "/not_an_intent_of_ours", "/ what does this mean"):
        ours = asyncio.run(agent.parse_message(text))
        assert ours == rasa_s_parse(agent, text), text
        assert "text_tokens" in ours, text


def test_a_payload_costs_a_fraction_of_the_pipeline(agent):
    payload = '/inform{"spread":"none"}'

    def best_of(parse, rounds=15):
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            parse()
            times.append(time.perf_counter() - start)
        return min(times)

    ours = best_of(lambda: asyncio.run(agent.parse_message(payload)))
    rasa_s = best_of(lambda: rasa_s_parse(agent, payload))
    assert ours * 3 < rasa_s, (ours, rasa_s)
