"""The one-piece figures of docs/benchmarks.md, each against what it replaced, on real data.

    .venv/bin/python -m scripts.bench.micro [--model models/triage.tar.gz] [--texts 100]

- action replies: Rasa's own check (`jsonschema.validate`, as Rasa 3.6 calls it) against the
  per-event-shape check of bot/rasa_patches/speedups.py, on a reply of validate_triage_form's kind;
- sparse feature joins: scipy's `hstack` against the direct join, on the very matrices the
  model joins while it parses held-out messages (and how many joins a message makes);
- entity matching: spaCy's EntityRuler against the trie (bot/language/phrase_trie.py), both built
  from the patterns of build/spacy_model, on the held-out messages (same entities checked);
- button payloads: Rasa's whole NLU graph against RegexMessageHandler alone (speedups 7.), on
  the payloads the bench's simulated people send (same parse checked);
- the intent regression's product: a message's sentence features times the model's own
  weights, laid out as scikit-learn fits them (C order: scipy copies them for every product)
  against Fortran order (bot/language/components/linear_intents.py `probabilities`), on the
  held-out messages' feature rows (same scores checked).
Prints one JSON object (ms per call or per message, best of three rounds).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def best_ms(function, repeat: int) -> float:
    rounds = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        rounds.append((time.perf_counter() - start) * 1000 / repeat)
    return round(min(rounds), 4)


def held_out_texts(limit: int):
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "tests" / "nlu" / "test_nlu.yml"))
    return [message.get("text") for message in data.intent_examples][:limit]


def action_replies() -> dict:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_patches import speedups

    schema = RemoteAction.action_response_format_spec()
    reply = {"events": [{"event": "slot", "name": "severity", "value": "mild", "timestamp": None},
                        {"event": "slot", "name": "requested_slot", "value": "trend",
                         "timestamp": None}],
             "responses": [{"response": "utter_answer_not_understood", "buttons": []}]}
    fast = speedups._event_type_dispatching_check(schema)
    assert fast(reply) and jsonschema.validators.validator_for(schema)(schema).is_valid(reply)
    return {"rasa_jsonschema_validate_ms": best_ms(lambda: jsonschema.validate(reply, schema), 50),
            "per_event_shape_ms": best_ms(lambda: fast(reply), 500)}


async def captured_joins(model: str, texts):
    """Parse the texts with the model, keeping every pair of sparse matrices Rasa joins."""
    from rasa.core.agent import load_agent
    from rasa.shared.nlu.training_data.features import Features

    agent = await load_agent(model_path=model)
    pairs = []
    installed = Features._combine_sparse_features

    def keep(self, other):
        pairs.append((self.features, other.features))
        return installed(self, other)

    Features._combine_sparse_features = keep
    try:
        for text in texts:
            await agent.parse_message(text)
    finally:
        Features._combine_sparse_features = installed
    return pairs


def sparse_joins(model: str, texts) -> dict:
    import scipy.sparse

    from bot.rasa_patches.speedups import hstack_coo

    pairs = asyncio.run(captured_joins(model, texts))
    scipy_ms = best_ms(lambda: [scipy.sparse.hstack([a, b]) for a, b in pairs], 3) / len(pairs)
    direct_ms = best_ms(lambda: [hstack_coo(a, b) for a, b in pairs], 3) / len(pairs)
    return {"joins_per_message": round(len(pairs) / len(texts), 1),
            "scipy_hstack_ms": round(scipy_ms, 4), "direct_ms": round(direct_ms, 4)}


def entity_matching(texts) -> dict:
    import spacy

    import bot.language  # noqa: F401  (the project's spaCy components)

    nlp = spacy.load(ROOT / "build" / "spacy_model")
    trie = nlp.get_pipe("triage_phrase_trie")
    ruler = nlp.add_pipe("entity_ruler", name="reference_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(trie.patterns)
    nlp.remove_pipe("reference_ruler")
    with nlp.select_pipes(enable=["lemmatizer", "triage_normalizer"]):
        docs = [nlp(text.lower()) for text in texts]

    def spans(doc):
        return [(e.start, e.end, e.label_, e.ent_id_) for e in doc.ents]

    assert all(spans(ruler(d.copy())) == spans(trie(d.copy())) for d in docs)
    return {"patterns": len(trie.patterns), "messages_same_entities": len(docs),
            "entity_ruler_ms": round(best_ms(lambda: [ruler(d.copy()) for d in docs], 1)
                                     / len(docs), 4),
            "trie_ms": round(best_ms(lambda: [trie(d.copy()) for d in docs], 1) / len(docs), 4)}


async def payload_parses(model: str) -> dict:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    from scripts.bench.conversations import OURS

    agent = await load_agent(model_path=model)
    processor = agent.processor
    payloads = sorted({t for c in OURS for t in c.turns if t.startswith("/")})
    tracker = DialogueStateTracker.from_events("micro", [])
    messages = [UserMessage(p, sender_id="micro") for p in payloads]

    def whole_graph():
        return [MessageProcessor._rasa_parse_message_with_graph(processor, m, tracker)
                for m in messages]

    def handler_alone():
        return [processor._parse_message_with_graph(m, tracker) for m in messages]

    assert whole_graph() == handler_alone()
    return {"payloads": len(payloads),
            "whole_graph_ms": round(best_ms(whole_graph, 5) / len(payloads), 4),
            "regex_message_handler_ms": round(best_ms(handler_alone, 20) / len(payloads), 4)}


async def intent_products(model: str, texts) -> dict:
    import numpy as np
    from rasa.core.agent import load_agent

    from bot.language.components.linear_intents import LinearIntentClassifier, sentence_matrix

    agent = await load_agent(model_path=model)
    node = next(n for n in agent.processor.graph_runner._instantiated_nodes.values()
                if isinstance(n._component, LinearIntentClassifier))
    classifier = node._component.clf
    rows = []
    installed = node._fn  # each graph node holds the function it calls since the load

    def keep(self, messages):
        rows.append(sentence_matrix(messages))
        return installed(self, messages)

    node._fn = keep
    for text in texts:
        await agent.parse_message(text)
    as_fitted = np.ascontiguousarray(classifier.coef_)
    laid_out = np.asfortranarray(classifier.coef_)
    assert all(np.allclose(r @ as_fitted.T, r @ laid_out.T) for r in rows)
    return {"weights": list(classifier.coef_.shape), "messages": len(rows),
            "c_order_as_fitted_ms": round(best_ms(lambda: [r @ as_fitted.T for r in rows], 3)
                                          / len(rows), 4),
            "fortran_order_ms": round(best_ms(lambda: [r @ laid_out.T for r in rows], 3)
                                      / len(rows), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "triage.tar.gz"))
    parser.add_argument("--texts", type=int, default=100, help="held-out messages to use")
    parser.add_argument("--only", choices=("replies", "joins", "entities", "payloads",
                                           "products"),
                        action="append",
                        help="measure only these (repeatable)")
    args = parser.parse_args(argv)
    parts = set(args.only or ("replies", "joins", "entities", "payloads", "products"))
    texts = held_out_texts(args.texts)
    from scripts.bench.inprocess import quiet

    quiet()
    result = {}
    if "replies" in parts:
        result["action_reply_check"] = action_replies()
    if "joins" in parts:
        result["sparse_feature_join"] = sparse_joins(args.model, texts)
    if "entities" in parts:
        result["entity_matching"] = entity_matching(texts)
    if "payloads" in parts:
        result["button_payload_parse"] = asyncio.run(payload_parses(args.model))
    if "products" in parts:
        result["intent_product"] = asyncio.run(intent_products(args.model, texts))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
