# make bench: this bot against Rasa's stock demo bot (`rasa init`), in one run on this machine:
# training, REST latency and throughput at 1/8/32 simulated users, memory, start time, model
# size, in-process cost, quality. About 12 minutes on 2 cores; not part of `make test`.
# Results in results/bench/ (latest.json, table.md, latency.png); docs/benchmarks.md explains.
# The last line printed is one JSON object with the ratios ours/stock.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--tracker postgresql" (see --help).
.PHONY: bench
BENCH_ARGS ?=

bench: $(STAMP)
	@$(PY) -m scripts.bench $(BENCH_ARGS)
