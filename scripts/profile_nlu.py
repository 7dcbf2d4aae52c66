"""Where the time of one message goes in the NLU pipeline: mean ms per component.

    .venv/bin/python scripts/profile_nlu.py [--model models/triage.tar.gz] [--n 200]

Wraps each component's `process` with a timer, then parses held-out test messages in-process
(no HTTP), so the figures are the cost of the pipeline itself.
"""
import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "triage.tar.gz"))
    parser.add_argument("--n", type=int, default=200, help="messages to parse")
    args = parser.parse_args()

    import logging

    from rasa.core.agent import Agent
    from rasa.engine.graph import GraphComponent
    from rasa.shared.nlu.training_data.loading import load_data

    import rasa.engine.recipes.default_components  # noqa: F401  (import every Rasa component)
    import bot.language.components.entities  # noqa: F401  (and the project's, before wrapping them)
    import bot.language.components.input_guard  # noqa: F401
    import bot.language.components.safety_net  # noqa: F401

    # The graph binds each component's methods when the model loads: wrap them first.
    timings = defaultdict(float)

    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    for cls in set(all_subclasses(GraphComponent)):
        original = cls.__dict__.get("process")
        if original is None:
            continue

        def timed(self, *a, __original=original, __name=cls.__name__, **k):
            start = time.perf_counter()
            try:
                return __original(self, *a, **k)
            finally:
                timings[__name] += time.perf_counter() - start
        cls.process = timed

    agent = Agent.load(args.model)
    logging.disable(logging.INFO)

    texts = [e.get("text") for e in load_data(str(ROOT / "tests/nlu/test_nlu.yml")).training_examples]
    texts = (texts * (args.n // len(texts) + 1))[:args.n]

    async def run():
        for text in texts[:5]:
            await agent.parse_message(text)  # warm-up
        timings.clear()
        start = time.perf_counter()
        for text in texts:
            await agent.parse_message(text)
        return time.perf_counter() - start

    total = asyncio.run(run())

    # Inside SpacyNLP: each pipe of the project's spaCy pipeline on the same messages.
    import spacy

    import bot.language  # noqa: F401

    nlp = spacy.load(ROOT / "build" / "spacy_model")
    pipes = defaultdict(float)
    for text in texts:
        start = time.perf_counter()
        doc = nlp.make_doc(text.lower())
        pipes["tokenizer"] += time.perf_counter() - start
        for name, pipe in nlp.pipeline:
            start = time.perf_counter()
            doc = pipe(doc)
            pipes[name] += time.perf_counter() - start

    def per_message(table):
        return {name: round(1000 * t / len(texts), 3)
                for name, t in sorted(table.items(), key=lambda kv: -kv[1])}

    result = {"messages": len(texts), "total_ms_per_message": round(1000 * total / len(texts), 2),
              "components_ms_per_message": per_message(timings),
              "spacy_pipes_ms_per_message": per_message(pipes)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
