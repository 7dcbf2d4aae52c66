"""Command line for staff: review triage cases, apply the retention policy, play test dialogues.

    python -m bot cases list|show|summary|export|stats [filters]
    python -m bot checkins list [--state scheduled|sent|...]
    python -m bot purge [--older-than 30d] [--tracker-db URL]
    python -m bot dialogue FILE... [--url URL] [--quiet]
    python -m bot safety-report [--url URL] [--sets vignettes heldout]
    python -m bot staff add NAME --role reviewer|admin | staff list | staff disable NAME
    python -m bot annotations export [-o FILE]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from tabulate import tabulate

from bot import settings
from bot.clinical import triage
from bot.console import auth as console_auth
from bot.console import exports as console_exports
from bot.console import reviewing as console_reviewing
from bot.staff import dialogue, safety_report
from bot.handover import summary as handover
from bot.storage import checkins, database, records, summaries, tracker_tables

DEFAULT_RETENTION = os.environ.get("RETENTION", "30d")


class UsageError(ValueError):
    """Bad input on the command line; the message says what is accepted."""


def parse_date(text: str) -> datetime:
    """YYYY-MM-DD (UTC midnight) or a full ISO time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_age(text: str) -> timedelta:
    """'30d', '12h', '2w' or a number of days."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([hdw]?)\s*", text or "")
    if not match:
        raise UsageError(f"not an age: {text!r} (use e.g. 30d, 12h, 2w)")
    value, unit = int(match.group(1)), match.group(2) or "d"
    return {"h": timedelta(hours=value), "d": timedelta(days=value),
            "w": timedelta(weeks=value)}[unit]


def _filters(args) -> dict:
    since = parse_date(args.since) if args.since else None
    until = parse_date(args.until) if args.until else None
    if since and until and since >= until:
        raise UsageError("--since must be before --until")
    return {"since": since, "until": until, "channel": args.channel}


def _short(record: records.TriageRecord) -> list:
    return [record.id, records.as_utc(record.created_at).strftime("%Y-%m-%d %H:%M"),
            record.disposition, record.rule, record.channel,
            ", ".join(record.red_flags or []) or "-", record.conversation_key[:12]]


def cmd_list(args, session) -> int:
    rows = records.find(session, disposition=args.disposition, limit=args.limit,
                        **_filters(args))
    if not rows:
        print("no cases match")
        return 0
    print(tabulate([_short(r) for r in rows],
                   headers=["id", "time (UTC)", "disposition", "rule", "channel",
                            "red flags", "conversation"]))
    print(f"\n{len(rows)} case(s)")
    return 0


def cmd_show(args, session) -> int:
    record = records.get(session, args.id)
    if record is None:
        print(f"no case with id {args.id}", file=sys.stderr)
        return 1
    print(tabulate([[k, ", ".join(v) if isinstance(v, list) else v]
                    for k, v in record.as_dict().items()], tablefmt="plain"))
    found = checkins.find(session, conversation_key=record.conversation_key)
    if found:
        print("\ncheck-ins of this conversation:")
        print(tabulate([_checkin_row(c) for c in found], headers=CHECKIN_HEADERS))
    return 0


CHECKIN_HEADERS = ["id", "conversation", "channel", "after", "due (UTC)", "state", "answer",
                   "answered (UTC)"]


def _checkin_row(row: checkins.CheckIn) -> list:
    def moment(value):
        return records.as_utc(value).strftime("%Y-%m-%d %H:%M") if value else "-"
    return [row.id, row.conversation_key[:12], row.channel, row.disposition, moment(row.due_at),
            row.state, row.answer or "-", moment(row.answered_at)]


def cmd_checkins(args, session) -> int:
    rows = checkins.find(session, states=[args.state] if args.state else None)
    if not rows:
        print("no check-ins match")
        return 0
    print(tabulate([_checkin_row(r) for r in rows], headers=CHECKIN_HEADERS))
    print(f"\n{len(rows)} check-in(s)")
    return 0


def cmd_summary(args, session) -> int:
    """A handover summary by the reference the person was given (it shows on their copy)."""
    found = summaries.by_reference(session, args.reference)
    if found is None:
        print(f"no summary with reference {args.reference!r} (expired ones are purged)",
              file=sys.stderr)
        return 1
    print(handover.as_text(handover.sections(
        found.facts, reference=found.reference,
        created_at=records.as_utc(found.created_at).isoformat(),
        expires_at=records.as_utc(found.expires_at).isoformat())), end="")
    print(f"conversation: {found.conversation_key[:12]}")
    return 0


def cmd_export(args, session) -> int:
    rows = [r.as_dict() for r in records.find(session, disposition=args.disposition,
                                              **_filters(args))]
    if args.format == "json":
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        fields = ["id", "created_at", "disposition", "rule", "channel", "red_flags",
                  "symptoms", "rules_version", "conversation_key"]
        writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "red_flags": ";".join(row["red_flags"]),
                             "symptoms": ";".join(row["symptoms"])})
        text = buffer.getvalue()
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        print(f"{len(rows)} case(s) written to {args.output}", file=sys.stderr)
    return 0


def cmd_stats(args, session) -> int:
    rows = records.counts_per_day(session, **_filters(args))
    if not rows:
        print("no cases match")
        return 0
    days = sorted({day for day, _, _ in rows})
    table = {(day, level): n for day, level, n in rows}
    body = [[day] + [table.get((day, level), 0) for level in reversed(triage.LADDER)]
            + [sum(table.get((day, level), 0) for level in triage.LADDER)] for day in days]
    totals = ["total"] + [sum(row[i] for row in body) for i in range(1, len(body[0]))]
    print(tabulate(body + [totals], headers=["day"] + list(reversed(triage.LADDER)) + ["all"]))
    return 0


def cmd_purge(args) -> int:
    """Records and conversations, each in its own database (RECORDS_DB_URL may point the
    records elsewhere): two engines, so neither is purged in the other's database."""
    cutoff = datetime.now(timezone.utc) - parse_age(args.older_than)
    records_url = getattr(args, "db", None) or database.database_url()
    tracker_url = args.tracker_db or getattr(args, "db", None) or database.tracker_url()
    records_engine = database.make_engine(records_url)
    tracker_engine = database.make_engine(tracker_url)
    try:
        with database.unit_of_work(records_engine) as session:
            removed_records = records.purge_before(session, cutoff)
            removed_summaries = summaries.purge_before(session, cutoff)
            removed_checkins = checkins.purge_before(session, cutoff)
        removed_events = tracker_tables.purge_before(tracker_engine, cutoff)
    finally:
        records_engine.dispose()
        tracker_engine.dispose()
    print(f"purged data older than {cutoff:%Y-%m-%d %H:%M} UTC: {removed_records} triage "
          f"record(s), {removed_summaries} summary(ies) (older or expired), {removed_checkins} "
          f"finished check-in(s), {removed_events} tracker event(s)")
    return 0


def staff_password() -> str:
    """STAFF_PASSWORD or STAFF_PASSWORD_FILE, else asked twice at the terminal; never an
    argument (the process list would show it)."""
    try:
        password = settings.secret("STAFF_PASSWORD")
    except settings.ConfigurationError as error:
        raise UsageError(str(error)) from None
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError("no password: set STAFF_PASSWORD or STAFF_PASSWORD_FILE, or run "
                         "this at a terminal to be asked")
    import getpass
    password = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Again: ") != password:
        raise UsageError("the two passwords differ")
    return password


def cmd_staff(args, session) -> int:
    connection = session.connection()
    try:
        if args.staff_command == "add":
            member = console_auth.add_staff(connection, args.name, args.role, staff_password())
            console_auth.record(connection, None, "staff_add",
                                detail=f"{member.name} ({member.role}) from the command line")
            print(f"added {member.name} ({member.role})")
        elif args.staff_command == "disable":
            member = console_auth.set_active(connection, args.name, False)
            console_auth.record(connection, None, "staff_disable",
                                detail=f"{member.name} from the command line")
            print(f"disabled {member.name}; their sessions are closed")
        else:
            members = console_auth.list_staff(connection)
            if not members:
                print("no staff accounts: python -m bot staff add NAME --role admin")
            else:
                print(tabulate([[m.name, m.role, "active" if m.active else "disabled"]
                                for m in members], headers=["name", "role", "status"]))
    except console_auth.AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        session.rollback()
        return 1
    return 0


def cmd_annotations(args, session) -> int:
    rows = console_reviewing.all_annotations(session.connection())
    text = console_exports.nlu_yaml(rows)
    console_auth.record(session.connection(), None, "export_nlu",
                        detail=f"{len(rows)} annotation(s) from the command line")
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"{len(rows)} annotation(s) written to {args.output}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    # --db is accepted before or after the command words.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="database URL (default: RECORDS_DB_URL, TRACKER_DB_URL or "
                             "sqlite:///var/tracker.db)")
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.splitlines()[0],
                                     parents=[common])
    commands = parser.add_subparsers(dest="command", required=True)

    cases = commands.add_parser("cases", help="review the triage records",
                                description="Review the triage records (no free text).")
    case_commands = cases.add_subparsers(dest="case_command", required=True)

    def filters(sub, with_disposition=True):
        sub.add_argument("--since", help="from this date (YYYY-MM-DD, UTC), inclusive")
        sub.add_argument("--until", help="before this date (YYYY-MM-DD, UTC)")
        sub.add_argument("--channel", help="only this channel (rest, socketio, telegram...)")
        if with_disposition:
            sub.add_argument("--disposition", choices=triage.LADDER)

    listing = case_commands.add_parser("list", help="a table of cases", parents=[common])
    filters(listing)
    listing.add_argument("--limit", type=int, help="at most this many cases")
    listing.set_defaults(handler=cmd_list)

    show = case_commands.add_parser("show", help="one case in full", parents=[common])
    show.add_argument("id", type=int)
    show.set_defaults(handler=cmd_show)

    summary = case_commands.add_parser("summary", help="a handover summary by its reference",
                                       parents=[common])
    summary.add_argument("reference", help="the reference on the summary, e.g. ABCD-EFGH")
    summary.set_defaults(handler=cmd_summary)

    export = case_commands.add_parser("export", help="cases as CSV or JSON", parents=[common])
    filters(export)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    stats = case_commands.add_parser("stats", help="cases per day and disposition", parents=[common])
    filters(stats, with_disposition=False)
    stats.set_defaults(handler=cmd_stats)

    checkin_parser = commands.add_parser(
        "checkins", help="pending, sent and answered check-ins",
        description="Check-ins (pseudonymous conversation ids, no free text).")
    checkin_commands = checkin_parser.add_subparsers(dest="checkin_command", required=True)
    checkin_list = checkin_commands.add_parser("list", help="a table of check-ins",
                                               parents=[common])
    checkin_list.add_argument("--state", choices=checkins.STATES)
    checkin_list.set_defaults(handler=cmd_checkins)

    purge = commands.add_parser("purge", help="delete old records and conversations",
                                parents=[common],
                                description="Delete triage records and tracker "
                                            "conversations older than the given age.")
    purge.add_argument("--tracker-db", default=None,
                       help="database of the conversations (default: the --db URL if given, else "
                            "TRACKER_DB_URL or sqlite:///var/tracker.db)")
    purge.add_argument("--older-than", default=DEFAULT_RETENTION,
                       help=f"age such as 30d, 12h, 2w (default {DEFAULT_RETENTION}, "
                            "from RETENTION)")
    purge.set_defaults(handler=cmd_purge)

    dialogues = commands.add_parser(
        "dialogue", help="play scripted dialogues against the running bot",
        description="Play scripted dialogues (tests/dialogues/*.yml) against the running bot "
                    "and check its replies. Exit code 0 if all pass, 1 if any fails, 2 if "
                    "they cannot be played.")
    dialogue.add_arguments(dialogues)

    report = commands.add_parser(
        "safety-report", help="triage the safety sets against the running bot and measure it",
        description="Play the project's vignettes and the held-out messages against the running "
                    "bot (its API must be on) and report emergency sensitivity, safety, "
                    "accuracy, over-triage and red-flag recall by phenomenon.")
    safety_report.add_arguments(report)

    members = commands.add_parser("staff", help="staff accounts of the console",
                                  description="Accounts of the staff console (python -m "
                                              "bot.console). The password of a new account "
                                              "comes from STAFF_PASSWORD or "
                                              "STAFF_PASSWORD_FILE, or is asked for.")
    member_commands = members.add_subparsers(dest="staff_command", required=True)
    add = member_commands.add_parser("add", help="add an account", parents=[common])
    add.add_argument("name")
    add.add_argument("--role", choices=console_auth.ROLES, required=True)
    member_commands.add_parser("list", help="the accounts", parents=[common])
    disable = member_commands.add_parser("disable", help="disable an account and close its "
                                                          "sessions", parents=[common])
    disable.add_argument("name")
    members.set_defaults(handler=cmd_staff)

    notes = commands.add_parser("annotations", help="messages staff annotated in the console")
    note_commands = notes.add_subparsers(dest="annotations_command", required=True)
    export_notes = note_commands.add_parser(
        "export", help="as Rasa NLU YAML, ready to merge into data/nlu/", parents=[common])
    export_notes.add_argument("--output", "-o", help="file to write (default: standard output)")
    notes.set_defaults(handler=cmd_annotations)
    return parser


def main(argv: Optional[list] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "dialogue":  # talks to the bot, not to the database
        return dialogue.run(args.files, args.url, quiet=args.quiet,
                            emergency_number=args.emergency_number)
    if args.command == "safety-report":
        return safety_report.main_from_args(args)
    try:
        if args.command == "purge":
            return cmd_purge(args)
        engine = database.make_engine(getattr(args, "db", None))
        with database.unit_of_work(engine) as session:
            return args.handler(args, session)
    except UsageError as error:
        parser.error(str(error))
    except database.DatabaseConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OperationalError, ProgrammingError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        print(f"error: cannot use the database ({reason}). Is it running, and migrated "
              f"(make migrate)?", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"error: database error: {type(error).__name__}", file=sys.stderr)
        return 1
    return 0
