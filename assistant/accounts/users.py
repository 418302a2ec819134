"""Optional sign-in: a users file (TOML or JSON) of names, roles and salted scrypt password hashes.

The role decides which documents a person may read: public → public documents only, staff →
public and internal, admin → everything, and only admins may upload. Passwords are never stored,
only `scrypt$n$r$p$salt$hash` strings, and are compared in constant time. Backoff after repeated
failures is `assistant.accounts.signin`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ingest.document import ACCESS_LEVELS

ROLES = ("admin", "staff", "public")
ACCESS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "public": ("public",),
    "staff": ("public", "internal"),
    "admin": ACCESS_LEVELS,
}
# scrypt at n=2**14, r=8 costs about 16 MB and a few tens of milliseconds: cheap to check once,
# expensive to guess at scale.
_N, _R, _P = 2**14, 8, 1
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")


class UsersFileError(Exception):
    """The users file is missing or wrong: the message names the file, the entry and the field."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str

    @property
    def access(self) -> tuple[str, ...]:
        return ACCESS_BY_ROLE[self.role]


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _decoy_hash() -> str:
    """What an unknown name's password is checked against: one scrypt, like a known name (made once, not per guess)."""
    return hash_password(os.urandom(32).hex())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Users:
    def __init__(self, users: list[User], path: Path | None = None) -> None:
        self.path = path
        self.by_name = {u.name: u for u in users}

    @classmethod
    def load(cls, path: Path) -> Users:
        if not path.exists():
            raise UsersFileError(f"{path}: users file not found; create it with `cga users add NAME --role admin`")
        return cls(_parse(path, path.read_text(encoding="utf-8")), path)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user, or None: one scrypt either way, so timing cannot tell which names exist."""
        user = self.by_name.get(name)
        if user is None:
            check_password(password, _decoy_hash())
            return None
        return user if check_password(password, user.password_hash) else None

    def __len__(self) -> int:
        return len(self.by_name)


def _parse(path: Path, text: str) -> list[User]:
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'TOML'} ({exc})") from exc
    entries = data.get("user", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UsersFileError(f"{path}: expected a list of users under 'user'")
    users: list[User] = []
    for i, entry in enumerate(entries, start=1):
        where = f"{path}: user #{i}"
        if not isinstance(entry, dict):
            raise UsersFileError(f"{where}: expected a table with name, role and password_hash")
        unknown = set(entry) - {"name", "role", "password_hash"}
        if unknown:
            raise UsersFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for key in ("name", "role", "password_hash"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise UsersFileError(f"{where}: field '{key}' is missing or empty")
        if entry["role"] not in ROLES:
            raise UsersFileError(f"{where} ({entry['name']}): field 'role' is {entry['role']!r}; "
                                 f"expected one of {', '.join(ROLES)}")
        if not entry["password_hash"].startswith("scrypt$"):
            raise UsersFileError(f"{where} ({entry['name']}): field 'password_hash' is not an scrypt hash; "
                                 "set the password with `cga users add`")
        users.append(User(entry["name"], entry["role"], entry["password_hash"]))
    return users


def validate_name(name: str) -> str:
    if not name or not set(name) <= _NAME_CHARS:
        raise UsersFileError(f"user name {name!r}: use letters, digits and . _ @ - only")
    return name


def add_user(path: Path, name: str, role: str, password: str) -> User:
    """Add a user, or replace the role and password of one with the same name."""
    validate_name(name)
    if role not in ROLES:
        raise UsersFileError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if not password:
        raise UsersFileError("password: must not be empty")
    users = list(Users.load(path).by_name.values()) if path.exists() else []
    user = User(name, role, hash_password(password))
    users = [u for u in users if u.name != name] + [user]
    records = [{"name": u.name, "role": u.role, "password_hash": u.password_hash} for u in users]
    if path.suffix.lower() == ".json":
        text = json.dumps({"user": records}, indent=1) + "\n"
    else:
        # json.dumps of a plain string is a valid TOML basic string.
        text = "".join(f"[[user]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in r.items()) + "\n"
                       for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # The file holds password hashes: readable by its owner only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)
    return user
