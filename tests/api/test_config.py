"""Settings: embedded defaults, modes chosen by configuration, startup errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import ConfigError, load_settings


def settings(**values: object):
    return load_settings(_env_file=None, **values)


def test_defaults_are_embedded() -> None:
    s = settings()
    assert (s.orchestration_mode, s.results_store, s.exchange_mode) == ("embedded", "local", "sandbox")
    assert s.database_backend == "sqlite"
    assert s.effective_database_url.endswith("/data/bitget_orders.db")
    assert s.results_base_url == "http://127.0.0.1:8000/results"
    assert s.symbols_cache_seconds == 300


def test_database_url_wins_then_mysql_variables() -> None:
    assert settings(database_url="sqlite:////tmp/x.db", mysql_host="db").effective_database_url == (
        "sqlite:////tmp/x.db"
    )
    s = settings(mysql_host="db.internal", mysql_user="u", mysql_password="p@ss", mysql_database="orders")
    assert s.database_source == "MYSQL_*"
    assert s.safe_database_url == "mysql+pymysql://u:***@db.internal:3306/orders?charset=utf8mb4"
    assert "p%40ss" in s.effective_database_url


def test_full_credentials_select_the_live_exchange() -> None:
    s = settings(bitget_api_key="k", bitget_api_secret="s", bitget_api_passphrase="p")
    assert s.exchange_mode == "live"
    assert s.bitget_base == "https://api.bitget.com"


def test_aws_mode_defaults_to_s3() -> None:
    s = settings(orchestration_mode="aws", coord_lambda_name="coord", results_bucket="bucket")
    assert s.results_store == "s3"


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"orchestration_mode": "aws", "results_bucket": "b"}, ["COORD_LAMBDA_NAME"]),
        ({"orchestration_mode": "aws", "coord_lambda_name": "c"}, ["RESULTS_BUCKET"]),
        (
            {
                "orchestration_mode": "aws",
                "coord_lambda_name": "c",
                "results_bucket": "b",
                "results_store": "local",
            },
            ["RESULTS_STORE=local", "ORCHESTRATION_MODE=aws"],
        ),
        ({"results_store": "s3"}, ["RESULTS_BUCKET"]),
        ({"bitget_api_key": "k"}, ["BITGET_API_SECRET", "BITGET_API_PASSPHRASE"]),
        ({"bitget_api_key": "k", "bitget_api_secret": "s"}, ["BITGET_API_PASSPHRASE"]),
        ({"database_url": "not a url"}, ["DATABASE_URL"]),
        ({"bitget_base": "ftp://x"}, ["BITGET_BASE"]),
        ({"orchestration_mode": "cloud"}, ["ORCHESTRATION_MODE"]),
        ({"port": "eighty"}, ["PORT"]),
    ],
)
def test_inconsistent_configuration_names_the_variable(values: dict, names: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    for name in names:
        assert name in str(caught.value)


def test_config_error_never_echoes_a_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        settings(bitget_api_key="VERY-SECRET-KEY-123")
    assert "VERY-SECRET-KEY-123" not in str(caught.value)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATION_MODE", "aws")
    monkeypatch.setenv("COORD_LAMBDA_NAME", "bitget-coordinator")
    monkeypatch.setenv("RESULTS_BUCKET", "my-results")
    monkeypatch.setenv("SYMBOLS_CACHE_SECONDS", "12")
    s = settings()
    assert (s.orchestration_mode, s.results_store, s.symbols_cache_seconds) == ("aws", "s3", 12)


def test_plan_orders_are_extracted_and_the_account_checked_by_default() -> None:
    s = settings()
    assert (s.include_plan_orders, s.include_simulation, s.account_precheck) == (True, False, True)


def test_option_defaults_and_the_account_check_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INCLUDE_PLAN_ORDERS", "false")
    monkeypatch.setenv("INCLUDE_SIMULATION", "true")
    monkeypatch.setenv("ACCOUNT_PRECHECK", "false")
    s = settings()
    assert (s.include_plan_orders, s.include_simulation, s.account_precheck) == (False, True, False)


def test_a_non_boolean_switch_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNT_PRECHECK", "perhaps")
    with pytest.raises(ConfigError, match="ACCOUNT_PRECHECK"):
        settings()


def test_env_example_names_the_new_switches_with_their_defaults() -> None:
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for line in ("INCLUDE_PLAN_ORDERS=true", "INCLUDE_SIMULATION=false", "ACCOUNT_PRECHECK=true"):
        assert f"\n{line}\n" in text, line


def test_background_task_settings_default_and_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    values = settings()
    assert (values.watch_interval_s, values.watch_batch_size, values.results_retention_days) == (5.0, 20, 30)
    for name, bad in (
        ("WATCH_INTERVAL_S", "-1"),
        ("WATCH_BATCH_SIZE", "0"),
        ("RESULTS_RETENTION_DAYS", "-3"),
    ):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name):
            settings()
        monkeypatch.delenv(name)
    monkeypatch.setenv("WATCH_INTERVAL_S", "0")
    monkeypatch.setenv("RESULTS_RETENTION_DAYS", "0")
    assert (settings().watch_interval_s, settings().results_retention_days) == (0, 0)


def test_env_example_and_readme_name_the_background_task_settings() -> None:
    root = Path(__file__).resolve().parents[2]
    example, readme = (root / ".env.example").read_text(), (root / "README.md").read_text()
    for name, default in (
        ("WATCH_INTERVAL_S", "5"),
        ("WATCH_BATCH_SIZE", "20"),
        ("RESULTS_RETENTION_DAYS", "30"),
        ("SYNC_INTERVAL_MINUTES", "0"),
    ):
        assert f"\n{name}={default}\n" in example, name
        assert f"| `{name}` | `{default}` |" in readme, name
