"""Graphs run without dask (bot/rasa_patches/speedups.py, 9.): on the trained model, the NLU's
graph and the policies' graph give what Rasa's own runner gives, message by message and
prediction by prediction."""
import asyncio
import re

import pytest
import yaml

from tests.conftest import MODEL, ROOT


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def with_rasas_runner(function):
    from rasa.engine.runner.dask import DaskGraphRunner

    ours = DaskGraphRunner.run
    DaskGraphRunner.run = DaskGraphRunner._rasa_run
    try:
        return function()
    finally:
        DaskGraphRunner.run = ours


def held_out_texts() -> list:
    data = yaml.safe_load((ROOT / "tests/nlu/test_nlu.yml").read_text())
    texts = [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:].strip())
             for block in data["nlu"]
             for line in block.get("examples", "").splitlines() if line.startswith("- ")]
    return texts[::3] + ['/inform{"severity":"mild"}', "", "¿me duele la espalda?"]


def test_the_nlu_graph_gives_what_rasas_runner_gives(agent):
    from rasa.engine.runner.dask import DaskGraphRunner

    from bot.rasa_patches import speedups

    assert DaskGraphRunner.run is speedups.run_graph
    texts = held_out_texts()

    def parse_all():
        return [asyncio.run(agent.parse_message(text)) for text in texts]

    ours = parse_all()
    assert ours == with_rasas_runner(parse_all)
    assert len(ours) > 100 and len({r["intent"]["name"] for r in ours}) > 10


def conversations(domain):
    """Every story and rule of the project, cut after each of its actions."""
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    for tracker in TrainingDataGenerator(importer.get_stories(), domain,
                                         augmentation_factor=0).generate():
        events = list(tracker.events)
        for end, event in enumerate(events, 1):
            if isinstance(event, ActionExecuted):
                yield DialogueStateTracker.from_events(tracker.sender_id, events[:end],
                                                       domain.slots)


def without_time(event: dict) -> dict:
    return {key: value for key, value in event.items() if key != "timestamp"}


def test_the_policies_graph_predicts_what_rasas_runner_predicts(agent):
    processor = agent.processor
    trackers = list(conversations(processor.domain))

    def predict_all():
        predictions = []
        for tracker in trackers:
            prediction = processor._predict_next_with_tracker(tracker)
            predictions.append((prediction.policy_name, prediction.max_confidence_index,
                                tuple(round(p, 6) for p in prediction.probabilities),
                                [without_time(e.as_dict()) for e in prediction.events]))
        return predictions

    ours = predict_all()
    assert ours == with_rasas_runner(predict_all)
    assert len(trackers) > 300
    assert len({p[1] for p in ours}) > 30  # many different actions predicted
