# Operations (docs/operations.md): backups of the conversations and records, and the soak test.
.PHONY: backup restore soak

# make backup: one archive in backups/ (BACKUP_DIR) of the tracker store and the triage records
# (pg_dump, or SQLite's online backup), while the servers run. TRACKER_DB_URL/RECORDS_DB_URL
# say which databases, as for the servers (scripts/env.sh: var/tracker.db by default).
BACKUP_DIR ?= backups

backup: $(STAMP)
	@source scripts/env.sh && $(PY) -m bot.operations.backup create --dir "$(BACKUP_DIR)"

# make restore FILE=backups/triage-backup-....tar.gz: with the servers stopped.
restore: $(STAMP)
	@[ -n "$(FILE)" ] || { echo "usage: make restore FILE=backups/triage-backup-<time>.tar.gz" >&2; exit 2; }
	@source scripts/env.sh && $(PY) -m bot.operations.backup restore "$(FILE)"

# make soak: SOAK_USERS (20) people for SOAK_MINUTES (30) against a cluster of its own; memory,
# errors and p95 checked at the end; the last line is one JSON object. Not part of CI.
soak: system-deps model-locked
	@$(PY) scripts/soak.py
