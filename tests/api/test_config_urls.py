"""URL settings: a URL without a host is refused naming the variable, and credentials inside a URL are masked
wherever the URL is shown (logs, run.py's lines, /info, /symbols) like the database password."""

from __future__ import annotations

import logging

import pytest

from app.core.config import ConfigError, load_settings
from app.core.masking import mask_text, mask_url, mask_urls
from app.main import Exchange, Overrides, create_app


def settings(**values: object):
    return load_settings(_env_file=None, **values)


@pytest.mark.parametrize("name", ["bitget_base", "results_base_url"])
@pytest.mark.parametrize("value", ["http://", "https:///api", "http://:8080/x", "http://user:pw@"])
def test_a_url_without_a_host_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(**{name: value})
    message = str(caught.value)
    assert f"{name.upper()} has no host" in message and "write it like http" in message
    assert "pw" not in message


@pytest.mark.parametrize(
    ("value", "words"),
    [("ftp://u:hunter2@host", "must be an http(s) URL"), ("http://host:99999", "is not a valid URL")],
)
def test_a_bad_url_is_refused_and_never_echoes_its_password(value: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(bitget_base=value)
    assert "BITGET_BASE" in str(caught.value) and words in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_mysql_url_without_a_host_is_refused() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL has no host"):
        settings(database_url="mysql+pymysql://user:pw@/bitget_orders")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@proxy:8080/api", "http://user:***@proxy:8080/api"),
        ("https://TOKEN@api.bitget.com", "https://***@api.bitget.com"),
        ("https://api.bitget.com/x?y=1", "https://api.bitget.com/x?y=1"),
        ("http://a:b:c@h", "http://a:***@h"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_mask_text_and_mask_urls_find_urls_anywhere() -> None:
    assert (
        mask_text("GET http://u:pw@h/x failed; see https://k@h2")
        == "GET http://u:***@h/x failed; see https://***@h2"
    )
    assert mask_urls({"a": ["s3://k:s@b/x", 3], "b": None}) == {"a": ["s3://k:***@b/x", 3], "b": None}


def test_settings_and_run_show_bitget_base_masked() -> None:
    import run

    values = settings(
        bitget_base="https://user:hunter2@api.bitget.com",
        bitget_api_key="k",
        bitget_api_secret="s",
        bitget_api_passphrase="p",
    )
    assert values.bitget_base == "https://user:hunter2@api.bitget.com"  # used as configured
    assert values.safe_bitget_base == "https://user:***@api.bitget.com"
    lines = "\n".join(run.describe_choices(values))
    assert "https://user:***@api.bitget.com" in lines and "hunter2" not in lines


def test_info_symbols_and_logs_mask_urls_with_credentials(tmp_path, caplog) -> None:
    from fastapi.testclient import TestClient

    from lambda_functions.common.results_store import LocalResultsStore
    from tests.api.fakes import FakeOrchestrator, FakeSymbolsClient

    values = settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        results_dir=str(tmp_path / "results"),
        results_base_url="http://viewer:hunter2@127.0.0.1:8000/results",
        watch_interval_s=0,
        results_retention_days=0,
    )
    store = LocalResultsStore(values.results_dir, values.results_base_url)
    exchange = Exchange("live", "http://proxyuser:hunter3@127.0.0.1:9/", "k", "s", "p")
    app = create_app(
        values,
        overrides=Overrides(FakeOrchestrator(store), FakeSymbolsClient(), store, exchange=exchange),
    )
    with caplog.at_level(logging.INFO), TestClient(app) as client:
        info = client.get("/info")
        symbols = client.get("/symbols")
    assert "served at http://viewer:***@127.0.0.1:8000/results" in caplog.text
    assert "hunter2" not in caplog.text
    assert info.status_code == 200 and symbols.status_code == 200
    assert "hunter2" not in info.text and "hunter3" not in info.text and "hunter3" not in symbols.text
    assert info.json()["results_store"]["base_url"] == "http://viewer:***@127.0.0.1:8000/results"
    assert info.json()["exchange"]["base_url"] == "http://proxyuser:***@127.0.0.1:9/"
    assert symbols.json()["api_info"]["base_url"] == "http://proxyuser:***@127.0.0.1:9/"
