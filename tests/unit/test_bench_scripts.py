"""The benchmark's own arithmetic and scripts (scripts/bench/): fast, no servers."""
import json
import math

import pytest

from scripts.bench import conversations, load, report
from scripts.bench.run import add_nlu_line, find_intent_file


def test_percentiles_interpolate_like_numpy():
    values = [10, 20, 30, 40, 50]
    assert load.percentile(values, 50) == 30
    assert load.percentile(values, 95) == pytest.approx(48)
    assert load.percentile([7], 99) == 7
    assert math.isnan(load.percentile([], 50))


def test_summary_pools_phases_and_counts_errors():
    a = load.Phase(bot="ours", users=8, latencies_ms=[10.0, 20.0], elapsed_s=1.0, errors=1,
                   conversations=1)
    b = load.Phase(bot="ours", users=8, latencies_ms=[30.0, 40.0], elapsed_s=1.0)
    summary = load.summarize([a, b])
    assert summary["messages"] == 4
    assert summary["throughput_msg_s"] == 2.0
    assert summary["errors"] == 1
    assert summary["p50_ms"] == 25.0


def result(ours_p95=100.0, stock_p95=80.0):
    level = lambda p95, thr: {"p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2,
                              "throughput_msg_s": thr, "messages": 10, "errors": 0}
    return {
        "started": "2026-11-26T13:00:00+00:00",
        "machine": {"cores": 2, "cpu": "test", "memory_gb": 1, "os": "linux",
                    "python": "3.10", "rasa": "3.6.21"},
        "latency": {"ours": {"1": level(ours_p95, 10), "8": level(ours_p95 * 4, 12),
                             "32": level(ours_p95 * 16, 12)},
                    "stock": {"1": level(stock_p95, 30), "8": level(stock_p95 * 4, 30),
                              "32": level(stock_p95 * 16, 24)}},
        "memory": {"ours": {"rasa_server_peak_rss_mb": 1200.0},
                   "stock": {"rasa_server_peak_rss_mb": 1000.0}},
        "train": {"ours": {"scratch_s": 150.0, "retrain_one_nlu_line_s": 38.0},
                  "stock": {"scratch_s": 90.0, "retrain_one_nlu_line_s": 20.0}},
    }


def test_headline_is_ours_over_stock():
    head = report.headline(result())
    assert head == {"p95_1": 1.25, "p95_8": 1.25, "p95_32": 1.25, "throughput_32": 0.5,
                    "rss": 1.2, "retrain_nlu_s": 38.0, "train_s": 150.0}
    json.dumps(head)  # one JSON object on the last line


def test_verdicts_against_the_targets():
    verdict = report.verdicts(report.headline(result(ours_p95=60.0)))
    assert verdict["p95_1"] == "met"  # 0.75x <= 0.8x
    assert verdict["p95_32"] == "met"
    assert verdict["throughput_32"] == "missed"
    assert verdict["rss"] == "missed"  # 1.2x > 1.1x
    assert verdict["retrain_nlu_s"] == "met"
    assert report.verdicts(report.headline(result(ours_p95=70.0)))["p95_8"] == "missed"
    assert verdict["train_s"] == "met"
    assert report.verdicts({})["p95_1"] == "n/a"


def test_table_renders_even_with_parts_missing():
    text = report.table(result())
    assert text.startswith("| figure | ours |")
    assert "1.25x" in text
    assert "| figure" in report.table({})


def test_every_triage_conversation_ends_in_a_recommendation():
    for conversation in conversations.OURS:
        assert conversation.disposition in {"emergency", "urgent", "see_doctor", "self_care"}
        for turn in conversation.turns:
            if turn.startswith("/") and "{" in turn:
                json.loads(turn[turn.index("{"):])  # button payloads are valid JSON


def test_disposition_is_read_from_the_custom_payload():
    messages = [{"text": "hi"}, {"custom": {"disposition": "urgent"}}, {"text": "call"}]
    assert conversations.disposition_of(messages) == "urgent"
    assert conversations.disposition_of(None) is None


def test_one_nlu_line_is_added_to_the_intent(tmp_path):
    nlu = tmp_path / "data" / "nlu.yml"
    nlu.parent.mkdir()
    nlu.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n'
                   '    - hello\n- intent: bye\n  examples: |\n    - bye\n')
    assert find_intent_file(tmp_path / "data", "greet") == nlu
    add_nlu_line(nlu, "greet", "good day")
    lines = nlu.read_text().splitlines()
    assert lines[4:7] == ["    - good day", "    - hi", "    - hello"]
    with pytest.raises(ValueError):
        add_nlu_line(nlu, "missing", "x")


def test_micro_times_rasas_reply_check_against_ours(capsys):
    from scripts.bench import micro

    assert micro.main(["--only", "replies", "--texts", "5"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["action_reply_check"]
    # Rasa re-checks the schema itself on every call: two orders of magnitude, not noise.
    assert figures["per_event_shape_ms"] * 20 < figures["rasa_jsonschema_validate_ms"]


def test_micro_times_the_intent_product_in_both_layouts(capsys):
    """On the trained model's own weights and held-out messages: laid out as scikit-learn fits
    them, scipy copies the whole weight matrix for every product."""
    from scripts.bench import micro

    assert micro.main(["--only", "products", "--texts", "10"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["intent_product"]
    assert figures["messages"] == 10
    assert figures["fortran_order_ms"] * 20 < figures["c_order_as_fitted_ms"]
