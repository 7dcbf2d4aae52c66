"""Time each node of a Rasa training graph: `python -m scripts.bench.train_nodes OUT.json --
train ...` runs `rasa train ...` in this process and writes, for every graph node that ran,
its wall seconds (with its hooks: the cache's fingerprints and copies), then the total, the
time before the first node (imports, reading the data) and after the last (the archive).
`python -m bot.staff.retrain --node-times OUT.json` runs Rasa through it. The fingerprint
run's nodes are the ones whose function is `run` (FingerprintComponent)."""
from __future__ import annotations

import atexit
import json
import sys
import time
from pathlib import Path


def main() -> None:
    from bot.language import run_rasa  # before Rasa imports TensorFlow (bot.language says why)

    out = Path(sys.argv[1])
    rasa_args = sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]
    from rasa.engine.graph import GraphNode

    start = time.perf_counter()
    nodes = []
    rasa_call = GraphNode.__call__

    def timed(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return rasa_call(self, *args, **kwargs)
        finally:
            nodes.append({"node": self._node_name, "fn": self._fn_name,
                          "start_s": round(began - start, 2),
                          "s": round(time.perf_counter() - began, 2)})

    GraphNode.__call__ = timed

    def write() -> None:
        total = time.perf_counter() - start
        first = nodes[0]["start_s"] if nodes else total
        last = max((n["start_s"] + n["s"] for n in nodes), default=total)
        out.write_text(json.dumps({
            "total_s": round(total, 1), "before_first_node_s": round(first, 1),
            "after_last_node_s": round(total - last, 1),
            "nodes": sorted(nodes, key=lambda n: -n["s"])}, indent=1))

    atexit.register(write)
    run_rasa(rasa_args)


if __name__ == "__main__":
    main()
