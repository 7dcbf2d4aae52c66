"""Staff accounts, passwords, sessions, the login lock-out and the audit trail.

- Passwords are hashed with Argon2id (argon2-cffi, its default parameters); a hash made with
  older parameters is replaced at the next login.
- A session is a random token in an HttpOnly, SameSite=Strict cookie; the database keeps only
  the token's SHA-256, with the session's own CSRF token and its expiry (SESSION_HOURS). A
  disabled account's sessions are deleted at once.
- Lock-out: LOCK_AFTER failed logins for one account name, or from one client address, within
  LOCK_MINUTES refuse every further attempt (even with the right password) until the window
  has passed. Counting in the database holds across restarts and across console processes.
- Every staff action is written to `staff_audit` by `record`.

No web framework here: the command line (bot/staff/cli.py) manages accounts with the same code.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from bot.console.schema import ROLES, audit, login_failures, staff, staff_sessions

SESSION_HOURS = 8
LOCK_AFTER = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{2,64}")

_hasher = PasswordHasher()
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why."""


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    role: str
    active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf_token: str
    token_hash: str


def now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_staff(connection: Connection, name: str, role: str, password: str) -> Staff:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise AccountError("a name is 2 to 64 letters, digits, dots, dashes or underscores")
    if role not in ROLES:
        raise AccountError(f"the role is one of: {', '.join(ROLES)}")
    check_password_rules(password)
    if connection.execute(select(staff.c.id).where(staff.c.name == name)).first():
        raise AccountError(f"there is already an account called {name!r}")
    result = connection.execute(insert(staff).values(
        name=name, role=role, password_hash=_hasher.hash(password), active=True,
        created_at=now()))
    return Staff(result.inserted_primary_key[0], name, role)


def list_staff(connection: Connection) -> List[Staff]:
    rows = connection.execute(select(staff).order_by(staff.c.name))
    return [Staff(r.id, r.name, r.role, bool(r.active)) for r in rows]


def set_active(connection: Connection, name: str, active: bool) -> Staff:
    row = connection.execute(select(staff).where(staff.c.name == name)).first()
    if row is None:
        raise AccountError(f"no account called {name!r}")
    connection.execute(update(staff).where(staff.c.id == row.id).values(active=active))
    if not active:
        connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == row.id))
    return Staff(row.id, row.name, row.role, active)


def has_active_admin(connection: Connection) -> bool:
    return connection.execute(select(staff.c.id).where(
        and_(staff.c.role == "admin", staff.c.active.is_(True)))).first() is not None


def locked_out(connection: Connection, name: str, address: str) -> bool:
    since = now() - timedelta(minutes=LOCK_MINUTES)
    by_name = connection.execute(select(func.count()).select_from(login_failures).where(
        and_(login_failures.c.name == name[:64], login_failures.c.at >= since))).scalar_one()
    by_address = connection.execute(select(func.count()).select_from(login_failures).where(
        and_(login_failures.c.address == address[:64], login_failures.c.at >= since))
    ).scalar_one()
    return by_name >= LOCK_AFTER or by_address >= LOCK_AFTER


def authenticate(connection: Connection, name: str, password: str,
                 address: str) -> Optional[Staff]:
    """The account if the name and password are right, it is active and not locked out;
    None otherwise (and the failure is counted). Raises AccountError when locked out."""
    if locked_out(connection, name, address):
        raise AccountError(f"too many failed logins: wait {LOCK_MINUTES} minutes")
    row = connection.execute(select(staff).where(staff.c.name == name[:64])).first()
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None or not row.active:
        connection.execute(insert(login_failures).values(
            name=name[:64], address=address[:64], at=now()))
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        connection.execute(update(staff).where(staff.c.id == row.id).values(
            password_hash=_hasher.hash(password)))
    connection.execute(delete(login_failures).where(login_failures.c.name == row.name))
    return Staff(row.id, row.name, row.role)


def open_session(connection: Connection, member: Staff) -> str:
    """A new session; returns the token for the cookie (never stored as such)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    connection.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < moment))
    forget_failures_before(connection, moment - timedelta(minutes=LOCK_MINUTES))
    connection.execute(insert(staff_sessions).values(
        token_hash=_token_hash(token), staff_id=member.id, csrf_token=secrets.token_urlsafe(32),
        created_at=moment, expires_at=moment + timedelta(hours=SESSION_HOURS)))
    return token


def session_for(connection: Connection, token: Optional[str]) -> Optional[Session]:
    if not token or len(token) > 128:
        return None
    token_hash = _token_hash(token)
    row = connection.execute(
        select(staff_sessions.c.csrf_token, staff_sessions.c.expires_at, staff.c.id,
               staff.c.name, staff.c.role, staff.c.active)
        .join(staff, staff.c.id == staff_sessions.c.staff_id)
        .where(staff_sessions.c.token_hash == token_hash)).first()
    if row is None or not row.active or _utc(row.expires_at) <= now():
        return None
    return Session(Staff(row.id, row.name, row.role), row.csrf_token, token_hash)


def close_session(connection: Connection, token_hash: str) -> None:
    connection.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash))


def csrf_ok(session: Session, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf_token, given)


def record(connection: Connection, member: Optional[Staff], action: str,
           conversation_key: Optional[str] = None, detail: str = "") -> None:
    connection.execute(insert(audit).values(
        at=now(), staff_id=member.id if member else None,
        staff_name=member.name if member else "-", action=action[:32],
        conversation_key=conversation_key, detail=str(detail)[:255]))


def recent_audit(connection: Connection, limit: int = 200) -> list:
    return list(connection.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)))


def forget_failures_before(connection: Connection, cutoff: datetime) -> None:
    connection.execute(delete(login_failures).where(login_failures.c.at < cutoff))
