"""The users file: salted scrypt hashes, roles, clear errors, and `cga users add`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from assistant.accounts.users import (
    Users,
    UsersFileError,
    add_user,
    check_password,
    hash_password,
)


def test_hashes_are_salted_and_checked():
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and "s3cret" not in first and first.startswith("scrypt$")
    assert check_password("s3cret", first) and check_password("s3cret", second)
    assert not check_password("S3cret", first)
    assert not check_password("s3cret", "plain-text-password")
    assert not check_password("s3cret", "scrypt$1$2$3$not base64$x")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_add_user_writes_a_private_file_and_replaces_by_name(tmp_path, suffix):
    path = tmp_path / f"users{suffix}"
    add_user(path, "ann", "admin", "pw one")
    add_user(path, "sam", "staff", "pw two")
    add_user(path, "ann", "public", "pw three")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "pw one" not in path.read_text() and "pw three" not in path.read_text()
    users = Users.load(path)
    assert len(users) == 2
    assert users.authenticate("ann", "pw three").role == "public"
    assert users.authenticate("ann", "pw one") is None
    assert users.authenticate("sam", "pw two").access == ("public", "internal")
    assert users.authenticate("nobody", "pw two") is None


@pytest.mark.parametrize(("text", "words"), [
    ('[[user]]\nname = "ann"\nrole = "owner"\npassword_hash = "scrypt$x"\n', "field 'role' is 'owner'"),
    ('[[user]]\nname = "ann"\nrole = "admin"\npassword_hash = "hunter2"\n', "field 'password_hash' is not an scrypt"),
    ('[[user]]\nname = "ann"\nrole = "admin"\npassword = "hunter2"\n', "unknown field(s) password"),
    ('[[user]]\nrole = "admin"\npassword_hash = "scrypt$x"\n', "field 'name' is missing"),
    ("user = 3\n", "expected a list of users under 'user'"),
    ("[[user]\n", "not valid TOML"),
])
def test_bad_users_files_name_the_entry_and_field(tmp_path, text, words):
    path = tmp_path / "users.toml"
    path.write_text(text)
    with pytest.raises(UsersFileError) as error:
        Users.load(path)
    assert str(path) in str(error.value) and words in str(error.value)


def test_missing_users_file_says_how_to_create_it(tmp_path):
    with pytest.raises(UsersFileError, match="cga users add"):
        Users.load(tmp_path / "absent.toml")


def test_add_user_refuses_bad_names_roles_and_empty_passwords(tmp_path):
    path = tmp_path / "users.toml"
    with pytest.raises(UsersFileError, match="user name"):
        add_user(path, "ann smith", "admin", "pw")
    with pytest.raises(UsersFileError, match="role 'owner'"):
        add_user(path, "ann", "owner", "pw")
    with pytest.raises(UsersFileError, match="password"):
        add_user(path, "ann", "admin", "")
    assert not path.exists()


def test_cga_users_add_with_password_stdin(tmp_path):
    path = tmp_path / "users.json"
    env = {**os.environ, "CGA_USERS_FILE": str(path), "CGA_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "users", "add", "ann", "--role", "admin",
                          "--password-stdin"], input="long passphrase\n", env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"ann (admin) saved in {path}" in run.stdout
    assert json.loads(path.read_text())["user"][0]["name"] == "ann"
    assert Users.load(path).authenticate("ann", "long passphrase") is not None

    run = subprocess.run([sys.executable, "-m", "assistant.cli", "users", "add", "bob", "--role", "staff",
                          "--password-stdin"], input="\n", env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "password: must not be empty" in run.stderr
