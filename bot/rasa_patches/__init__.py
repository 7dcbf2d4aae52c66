"""Every place where this bot changes what Rasa 3.6 itself does, listed in one place.

Rasa Open Source 3.6.21 is the last open-source release: these changes are pinned to it, and
each has a test that fails when an upgrade changes what it relies on.

Patches of Rasa's own code (monkeypatches), in this package:
- speedups.py: action replies checked per event shape, event classes looked up once,
  sparse features joined directly, one HTTP session kept per endpoint (Rasa
  opens one, and a connection, for every call to the action server), the response selector
  only for retrieval intents, a button's payload unpacked without running the NLU pipeline
  (wraps MessageProcessor._parse_message_with_graph). Installed by bot.language.components and
  bot.storage.tracker_store. Tests: tests/unit/test_rasa_speedups.py,
  tests/integration/test_response_selection.py, tests/integration/test_payload_parsing.py.
- session_start.py: a session starts in the Rasa server (Rasa's default ActionSessionStart
  replaced by a subclass, in rasa.core.actions.action, where default_actions builds it; the
  domain no longer lists action_session_start): the slots carried over, the region's and the
  check-in delays'. Installed by bot.language.components. Tests:
  tests/unit/test_session_start.py.
- action_failure.py: a plain reply with the emergency number when an action cannot run
  (wraps MessageProcessor._run_action). Installed by bot.storage.lock_store. Tests:
  tests/reliability/test_3_faults.py, scripts/validate_project.py (its response exists).

- training.py: what Rasa's training cache and fine-tuning fingerprint, made to follow what a
  change invalidates: the retrieval actions in sorted order (a set's order made the domain's
  fingerprint depend on the hash seed, and `--finetune` refuse an unchanged model), the NLU
  given each retrieval response's name instead of its texts (wraps
  ResponsesSyncImporter.get_nlu_data), the spaCy model fingerprinted by its patterns.sha256
  too (SpacyModel.fingerprint, SpacyNLP.fingerprint_addon), every NLU component trained
  in a fine-tune keyed apart from a full training's (wraps DefaultV1Recipe._add_nlu_train_node),
  each YAML content checked against Rasa's schema once, SpacyNLP's annotating pipes off while
  it reads the training data, and sparse features fingerprinted by their arrays' bytes
  instead of their values written as text (Features.fingerprint).
  Installed by bot.language.components.importer, named in config.yml's `importers` (Rasa
  imports it before it reads the training data). Tests: tests/unit/test_rasa_training_patches.py,
  tests/integration/test_response_selection.py.

- server_hooks.py: routes added to Rasa's Sanic app (wraps rasa.core.run.configure_app) and
  a look at every finished turn (wraps Agent.handle_message and MessageProcessor.save_tracker),
  for /health and /metrics (bot.operations.rasa_server). Installed by bot.channels.serve.
  Tests: tests/unit/test_server_hooks.py, tests/integration/test_operations.py.

Rasa classes replaced through its configuration (subclasses, named in endpoints.yml,
credentials.yml or config.yml; they live with their concern):
- bot.storage.tracker_store.ErasableSQLTrackerStore: its own save (what is stored counted
  on the tracker's own session start instead of SQLTrackerStore._additional_events' count,
  the event broker given exactly the stored events), nothing stored of a turn that erased
  the conversation, kept trackers of one session, one insert per save. Tests:
  tests/db/test_tracker_store.py, tests/db/test_erasure.py.
- bot.storage.resilient_tracker_store: retries instead of FailSafeTrackerStore's silent
  fresh start, one save's attempts sharing what to publish. Tests: the same.
- bot.storage.lock_store: LockStore.lock replaced to keep a ticket alive while its turn runs
  or waits (Rasa lets it expire after TICKET_LOCK_LIFETIME, and then runs the next message
  beside it, or leaves that message waiting for good); AtomicRedisLockStore: ticket updates
  in one Redis transaction (RedisLockStore's race). Tests: tests/integration/test_lock_store.py,
  tests/reliability/test_0_lock_store.py.
- bot.channels.*: REST, socket.io (custom payloads that Rasa passed as keyword arguments)
  and Telegram input channels. Each names its conversations `<channel>:<own id>`, and each
  decides who may use one: REST requires a sender and (REST_AUTH=token) a token or JWT;
  socket.io mints its sessions and binds them to their socket (it relies on python-socketio
  5.9's save_session/get_session and a synchronous enter_room, and on Rasa emitting replies
  to the room named by the conversation id); Telegram refuses to start without its webhook
  secret and maps the conversation back to the chat in send_response (it relies on every
  reply going through OutputChannel.send_response). Tests: tests/integration/test_identity.py,
  test_socketio_input.py, test_telegram.py, test_security.py, test_widget_erasure.py.
- bot.channels.shell: `make shell`'s channel. `rasa shell` always builds the stock "cmdline"
  channel from rasa.core.channels.BUILTIN_CHANNELS; the launcher `python -m
  bot.channels.shell` puts TriageCmdlineInput (CmdlineInput that shows a due check-in before
  the next message, in conversations named `cmdline:<id>`) in that table, then runs `rasa
  shell` in the process. It relies on that lookup, on --conversation-id reaching the console
  as its sender, and on RestInput's blueprint handing every message to its on_new_message.
  Tests: tests/unit/test_shell_channel.py, tests/integration/test_shell.py.
- bot.channels.serve: starts `rasa run` through rasa.__main__.main with the API's secret
  added to sys.argv inside the process (it relies on Rasa parsing sys.argv there). Every
  integration test's server is started through it; test_security.py reads its command line.
- bot.language.components.*: the NLU components in config.yml, and the training data
  importer (`importers`: RasaFileImporter itself, there to install training.py).

Rasa's built-in actions replaced by custom actions of the same name (domain.yml `actions`):
- action_restart and action_back (actions/start_over.py): a person typing `/restart` or
  `/back` must not wipe or undo a red flag or a level. Tests: tests/dialogues/real_words.yml
  ("a typed /restart...", "a typed /back...").

The action server's /health and /metrics use rasa_sdk's own plugin hook
(attach_sanic_app_extensions), not a patch: bot/operations/action_server.py.

This package imports only bot.settings.
"""
