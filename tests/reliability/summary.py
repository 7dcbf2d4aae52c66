"""Print the figures of `make reliability` (var/reliability/summary.json) as one JSON line."""
import json
import sys
from pathlib import Path

KEYS = ("users", "messages", "errors", "events_lost", "faults_survived", "fuzz_cases", "p95_ms",
        "isolation_breaches", "flood_p95_ratio", "flood_lost")


def main(path: str) -> int:
    try:
        figures = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        figures = {}
    for phase, detail in figures.get("details", {}).items():
        print(f"    {phase}: {json.dumps(detail)}")
    extra = {k: figures.get(k) for k in ("throughput_msg_s", "faults_injected",
                                         "events_duplicated", "retried")}
    print(f"==> also: {json.dumps(extra)}")
    print(json.dumps({k: figures.get(k) for k in KEYS}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "var/reliability/summary.json"))
