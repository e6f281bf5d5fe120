"""Staff accounts, sign-in sessions and lock-out for the console.

Passwords are hashed with argon2 (argon2-cffi). Session tokens are random;
only their SHA-256 is stored. After ``max_failures`` wrong passwords in a row
an account is locked for ``lockout``; signing in while locked fails even with
the right password.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.storage.schema import staff, staff_sessions
from bot.storage.times import utcnow, aware as _aware

ROLES = ("agent", "supervisor", "admin")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verified against when the email is unknown, so an unknown email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffError(ValueError):
    """An account change that cannot be made; the message says why (shown to admins)."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    display_name: str
    role: str
    active: bool
    failed_sign_ins: int
    locked_until: Optional[datetime]

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def locked(self, now: Optional[datetime] = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


@dataclass(frozen=True)
class Session:
    staff: StaffMember
    csrf_token: str


def _member(row) -> StaffMember:  # type: ignore[no-untyped-def]
    return StaffMember(
        id=row["id"], email=row["email"], display_name=row["display_name"], role=row["role"],
        active=bool(row["active"]), failed_sign_ins=row["failed_sign_ins"], locked_until=_aware(row["locked_until"]),
    )


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffError(f"Passwords must be at least {MIN_PASSWORD_LENGTH} characters long.")


class SignInResult:
    OK, WRONG, LOCKED = "ok", "wrong", "locked"


class StaffStore:
    """Accounts and sessions in our database."""

    def __init__(
        self, engine: Engine, max_failures: int = 5, lockout: timedelta = timedelta(minutes=15),
        session_length: timedelta = timedelta(hours=8),
    ) -> None:
        self.engine = engine
        self.max_failures = max_failures
        self.lockout = lockout
        self.session_length = session_length

    # -- accounts -------------------------------------------------------------
    def create(self, email: str, display_name: str, role: str, password: str) -> StaffMember:
        email = (email or "").strip().lower()
        if "@" not in email or len(email) > 254:
            raise StaffError("Give a valid email address.")
        if role not in ROLES:
            raise StaffError(f"Role must be one of {', '.join(ROLES)}.")
        display_name = (display_name or "").strip()[:120] or email.split("@")[0]
        check_password_strength(password)
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                staff_id = conn.execute(
                    staff.insert().values(
                        email=email, display_name=display_name, role=role, password_hash=_hasher.hash(password),
                        active=True, failed_sign_ins=0, created_at=now, updated_at=now,
                    )
                ).inserted_primary_key[0]
        except IntegrityError:
            raise StaffError("There is already an account with that email.") from None
        return self.get(staff_id)  # type: ignore[return-value]

    def get(self, staff_id: int) -> Optional[StaffMember]:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff).where(staff.c.id == staff_id)).mappings().first()
        return _member(row) if row else None

    def by_email(self, email: str) -> Optional[StaffMember]:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff).where(staff.c.email == (email or "").strip().lower())).mappings().first()
        return _member(row) if row else None

    def all(self) -> List[StaffMember]:
        with self.engine.connect() as conn:
            return [_member(r) for r in conn.execute(select(staff).order_by(staff.c.email)).mappings()]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(staff)).scalar_one()

    def update(self, staff_id: int, role: Optional[str] = None, active: Optional[bool] = None,
               password: Optional[str] = None, unlock: bool = False) -> None:
        changes: dict = {"updated_at": utcnow()}
        if role is not None:
            if role not in ROLES:
                raise StaffError(f"Role must be one of {', '.join(ROLES)}.")
            changes["role"] = role
        if active is not None:
            changes["active"] = active
        if password is not None:
            check_password_strength(password)
            changes["password_hash"] = _hasher.hash(password)
        if unlock or password is not None:
            changes.update(failed_sign_ins=0, locked_until=None)
        with self.engine.begin() as conn:
            conn.execute(update(staff).where(staff.c.id == staff_id).values(**changes))
            if active is False or password is not None:
                # Deactivating or resetting a password signs the person out everywhere.
                conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id))

    # -- signing in -----------------------------------------------------------
    def sign_in(self, email: str, password: str, now: Optional[datetime] = None) -> Tuple[str, Optional[StaffMember]]:
        """(SignInResult, the member when OK). Counts failures and locks the account."""
        now = now or utcnow()
        with self.engine.connect() as conn:
            row = conn.execute(select(staff).where(staff.c.email == (email or "").strip().lower())).mappings().first()
        if row is None or not row["active"]:
            try:
                _hasher.verify(_DUMMY_HASH, password or "")
            except VerificationError:
                pass
            return SignInResult.WRONG, None
        member = _member(row)
        if member.locked(now):
            return SignInResult.LOCKED, member
        try:
            _hasher.verify(row["password_hash"], password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            failures = member.failed_sign_ins + 1
            locked_until = now + self.lockout if failures >= self.max_failures else None
            with self.engine.begin() as conn:
                conn.execute(
                    update(staff).where(staff.c.id == member.id).values(
                        failed_sign_ins=0 if locked_until else failures, locked_until=locked_until, updated_at=now
                    )
                )
            return (SignInResult.LOCKED if locked_until else SignInResult.WRONG), member
        changes: dict = {"failed_sign_ins": 0, "locked_until": None}
        if _hasher.check_needs_rehash(row["password_hash"]):
            changes["password_hash"] = _hasher.hash(password)
        with self.engine.begin() as conn:
            conn.execute(update(staff).where(staff.c.id == member.id).values(**changes))
        return SignInResult.OK, self.get(member.id)

    def start_session(self, staff_id: int) -> Tuple[str, str]:
        """A new session: (token for the cookie, CSRF token for forms)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
            conn.execute(
                staff_sessions.insert().values(
                    token_hash=_token_hash(token), staff_id=staff_id, csrf_token=csrf,
                    created_at=now, expires_at=now + self.session_length,
                )
            )
        return token, csrf

    def session(self, token: str) -> Optional[Session]:
        query = (
            select(staff, staff_sessions.c.csrf_token, staff_sessions.c.expires_at)
            .select_from(staff_sessions.join(staff, staff.c.id == staff_sessions.c.staff_id))
            .where(staff_sessions.c.token_hash == _token_hash(token))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or not row["active"] or _aware(row["expires_at"]) <= utcnow():  # type: ignore[operator]
            return None
        return Session(_member(row), row["csrf_token"])

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == _token_hash(token)))
