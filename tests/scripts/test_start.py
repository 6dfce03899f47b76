"""scripts/start.py --check: configuration, database, exchange, then the authenticated account check."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import start

pytestmark = pytest.mark.sandbox

ENVIRONMENT = ("BITGET_API_KEY", "BITGET_API_SECRET", "BITGET_API_PASSPHRASE", "BITGET_BASE", "DATABASE_URL")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A clean environment with a SQLite database; returns a setter for the Bitget variables."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")

    def live(server, passphrase: str | None = None) -> None:
        creds = server.credentials
        monkeypatch.setenv("BITGET_BASE", server.base_url)
        monkeypatch.setenv("BITGET_API_KEY", creds.api_key)
        monkeypatch.setenv("BITGET_API_SECRET", creds.api_secret)
        monkeypatch.setenv("BITGET_API_PASSPHRASE", passphrase or creds.passphrase)

    return live


def test_check_reports_the_account_user_id(environment, sandbox, capsys) -> None:
    environment(sandbox)
    assert start.main(["--check"]) == 0
    err = capsys.readouterr().err
    assert f"account on live Bitget: ok, classic account, userId {sandbox.app.account.user_id}" in err


def test_check_without_a_key_checks_a_sandbox(environment, capsys) -> None:
    assert start.main(["--check"]) == 0
    assert (
        "account on the sandbox (no Bitget key configured): ok, classic account, userId"
        in capsys.readouterr().err
    )


def test_check_accepts_a_unified_account_and_names_its_mode(environment, make_sandbox, capsys) -> None:
    server = make_sandbox("demo", seed=6, account_mode="unified")
    environment(server, None)
    assert start.main(["--check"]) == 0
    assert "unified account" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "passphrase", "words"),
    [
        ({}, "wrong-passphrase-SECRET", "(credentials)"),
        ({"deny": "permission"}, None, "(permission_missing)"),
    ],
)
def test_check_exits_4_naming_a_refused_key_and_bitgets_code(
    environment, make_sandbox, capsys, options, passphrase, words
) -> None:
    server = make_sandbox("demo", seed=6, **options)
    environment(server, passphrase)
    assert start.main(["--check"]) == start.ACCOUNT_REFUSED == 4
    err = capsys.readouterr().err
    assert "REFUSED" in err and words in err and "Bitget code 400" in err
    assert "wrong-passphrase-SECRET" not in err
