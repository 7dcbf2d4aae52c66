"""Back up and restore the conversations and the triage records (make backup / make restore).

    python -m bot.operations.backup create [--dir backups]     -> prints the archive's path
    python -m bot.operations.backup restore FILE

What is backed up: the tracker store (TRACKER_DB_URL) and, when it is another database,
the triage records (RECORDS_DB_URL): every conversation's events, the records, and
Alembic's version row. Also the local key files under var/ that this machine made because
no secret was set (var/*.key: the pseudonym key, without which the records can no longer be
found for an erasure request; the widget's session key, without which no widget can resume
its conversation). Secrets given in the environment are not copied: they live wherever the
hosting team keeps secrets.

How, so that the copy is consistent while the servers keep running:
- PostgreSQL: `pg_dump --format=custom`, which reads one snapshot (one transaction). The
  connection's password goes to pg_dump in PGPASSWORD, never on its command line.
- SQLite: SQLite's online backup API (`sqlite3.Connection.backup`), which copies a
  consistent state even while another process writes (a plain file copy of a live
  database, or of its WAL file, is not).
One archive (tar.gz) holds the dumps and a manifest (dialect, file, time; no URL, no
password); it is written beside its final name and renamed when complete.

Restore with the servers stopped (the Rasa server keeps recent trackers in memory, and a
turn in flight would write into the middle of the restore): it replaces the SQLite file
atomically (and removes its stale -wal/-shm files), or, for PostgreSQL, creates the
database if it is gone and restores into it with `pg_restore --clean --if-exists
--single-transaction` (all or nothing). Then start the servers: each conversation continues
from its last backed-up message. Anything after the backup is not in it: back up as often as
losing that much would matter (docs/operations.md).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

FORMAT = 1
KEY_DIR = Path("var")
DEFAULT_TRACKER_URL = "sqlite:///var/tracker.db"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the text says why and what to do."""


def databases(environ=os.environ) -> Dict[str, str]:
    """{"tracker": url, "records": url (only when it is another database)}."""
    tracker = environ.get("TRACKER_DB_URL") or DEFAULT_TRACKER_URL
    found = {"tracker": tracker}
    records = environ.get("RECORDS_DB_URL")
    if records and records != tracker:
        found["records"] = records
    return found


def _url(text: str):
    from sqlalchemy.engine import make_url

    return make_url(text)


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _pg_env(url) -> Dict[str, str]:
    """libpq's environment for this URL: pg_dump's command line shows no password."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host or "127.0.0.1"), ("PGPORT", str(url.port or 5432)),
                       ("PGUSER", url.username or ""), ("PGPASSWORD", url.password or ""),
                       ("PGDATABASE", url.database or "")):
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def _run(command: List[str], env: Dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is needed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-600:]}")


def _dump(role: str, url_text: str, folder: Path) -> dict:
    url = _url(url_text)
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"the {role} database {source} does not exist")
        target = folder / f"{role}.sqlite"
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
                sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return {"role": role, "dialect": "sqlite", "file": target.name}
    if dialect == "postgresql":
        target = folder / f"{role}.pgdump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              "--file", str(target)], _pg_env(url))
        return {"role": role, "dialect": "postgresql", "file": target.name}
    raise BackupError(f"the {role} database is {dialect}: only SQLite and PostgreSQL are "
                      f"backed up here (use the database's own tools)")


def create(folder: Path, environ=os.environ, key_dir: Path = KEY_DIR) -> Path:
    """Write one archive of the databases (and local key files) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    final = folder / f"triage-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="triage-backup-") as work:
        work = Path(work)
        manifest = {"format": FORMAT, "created": stamp,
                    "databases": [_dump(role, url, work)
                                  for role, url in databases(environ).items()],
                    "keys": []}
        for key in sorted(key_dir.glob("*.key")) if key_dir.is_dir() else []:
            shutil.copy2(key, work / key.name)
            manifest["keys"].append(key.name)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = final.with_suffix(".partial")
        old_umask = os.umask(0o077)  # conversations and keys: the owner's only
        try:
            with tarfile.open(partial, "w:gz") as archive:
                for item in sorted(work.iterdir()):
                    archive.add(item, arcname=item.name)
        finally:
            os.umask(old_umask)
        os.replace(partial, final)
    return final


def _read(archive_path: Path, work: Path) -> dict:
    if not archive_path.is_file():
        raise BackupError(f"no backup at {archive_path}")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive.getmembers():
                if not member.isfile() or "/" in member.name or member.name.startswith("."):
                    raise BackupError(f"{archive_path} holds an unexpected entry: "
                                      f"{member.name!r}")
            archive.extractall(work)
        manifest = json.loads((work / "manifest.json").read_text())
    except (tarfile.TarError, OSError, ValueError) as error:
        raise BackupError(f"{archive_path} is not a backup made by make backup "
                          f"({type(error).__name__})")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive_path} is not a backup of this format ({FORMAT})")
    return manifest


def _restore_database(entry: dict, url_text: str, work: Path) -> None:
    url = _url(url_text)
    dialect = url.get_backend_name()
    if dialect != entry["dialect"]:
        raise BackupError(f"the backup's {entry['role']} database is {entry['dialect']}, "
                          f"the configured one is {dialect}")
    source = work / entry["file"]
    if dialect == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, staged)
        for stale in (target.with_name(target.name + "-wal"),
                      target.with_name(target.name + "-shm")):
            stale.unlink(missing_ok=True)
        os.replace(staged, target)
        return
    _create_postgres_database(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--dbname", url.database or "",
          str(source)], _pg_env(url))


def _create_postgres_database(url) -> None:
    import sqlalchemy

    admin = sqlalchemy.create_engine(url.set(database="postgres"), future=True,
                                     isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(sqlalchemy.text(
                "SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database}).scalar()
            if not exists:
                connection.execute(sqlalchemy.text(
                    'CREATE DATABASE "{}"'.format(url.database.replace('"', '""'))))
    finally:
        admin.dispose()


def restore(archive_path: Path, environ=os.environ, key_dir: Path = KEY_DIR) -> dict:
    """Put the archive's databases (and key files) back; the manifest."""
    with tempfile.TemporaryDirectory(prefix="triage-restore-") as work:
        work = Path(work)
        manifest = _read(archive_path, work)
        targets = databases(environ)
        for entry in manifest["databases"]:
            if entry["role"] not in targets:
                raise BackupError(f"the backup has a separate {entry['role']} database; set "
                                  f"RECORDS_DB_URL to where it goes")
        for entry in manifest["databases"]:
            _restore_database(entry, targets[entry["role"]], work)
        for name in manifest.get("keys", []):
            key_dir.mkdir(parents=True, exist_ok=True)
            target = key_dir / name
            staged = key_dir / (name + ".restoring")
            shutil.copyfile(work / name, staged)
            os.chmod(staged, 0o600)
            os.replace(staged, target)
    return manifest


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.operations.backup",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("create", help="write a backup archive")
    make.add_argument("--dir", default="backups", type=Path)
    put = sub.add_parser("restore", help="restore an archive (servers stopped)")
    put.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            path = create(args.dir)
            print(f"==> backup written ({path.stat().st_size // 1024} KB)")
            print(path)
        else:
            manifest = restore(args.file)
            roles = ", ".join(e["role"] for e in manifest["databases"])
            print(f"==> restored {roles} from {args.file} (made {manifest['created']}); "
                  f"start the servers")
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
