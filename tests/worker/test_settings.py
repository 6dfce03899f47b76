"""Worker settings: the original's names and aliases, defaults, the derived rate share, clear errors."""

import pytest
from pydantic import ValidationError

from tests.worker.conftest import worker_settings


def test_defaults_keep_the_original_meaning_with_honest_page_caps(monkeypatch):
    for name in (
        "SPOT_MAX_PAGES",
        "FUTURES_MAX_PAGES",
        "BITGET_MAX_PAGES",
        "MAX_PAGE_SIZE",
        "BITGET_PAGE_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = worker_settings()
    assert (settings.spot_max_pages, settings.futures_max_pages) == (20_000, 20_000)
    assert (settings.min_page_size, settings.max_page_size) == (50, 100)
    assert (settings.max_concurrent_spot, settings.max_concurrent_futures) == (6, 4)
    assert (settings.bitget_retries, settings.second_passes) == (6, 1)
    assert settings.include_plan_orders is True  # plan orders are part of the account's history
    assert settings.include_simulation is False
    assert settings.rate_share == 1.0


def test_original_aliases_are_accepted(monkeypatch):
    monkeypatch.setenv("BITGET_MAX_PAGES", "7")
    monkeypatch.setenv("BITGET_PAGE_LIMIT", "80")
    settings = worker_settings()
    assert (settings.spot_max_pages, settings.futures_max_pages, settings.max_page_size) == (7, 7, 80)


def test_specific_names_win_over_aliases(monkeypatch):
    monkeypatch.setenv("BITGET_MAX_PAGES", "7")
    monkeypatch.setenv("SPOT_MAX_PAGES", "9")
    settings = worker_settings()
    assert (settings.spot_max_pages, settings.futures_max_pages) == (9, 7)


def test_rate_share_is_derived_from_map_concurrency_unless_given(monkeypatch):
    monkeypatch.setenv("MAP_MAX_CONCURRENCY", "4")
    assert worker_settings().rate_share == 0.25
    monkeypatch.setenv("WORKER_RATE_SHARE", "0.5")
    assert worker_settings().rate_share == 0.5


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("MAX_PAGE_SIZE", "500", "MAX_PAGE_SIZE"),
        ("WORKER_RATE_SHARE", "2", "worker_rate_share"),
        ("MIN_PAGE_SIZE", "100", "MIN_PAGE_SIZE"),
    ],
)
def test_bad_values_fail_naming_the_variable(monkeypatch, env, value, named):
    monkeypatch.setenv(env, value)
    if env == "MIN_PAGE_SIZE":
        monkeypatch.setenv("MAX_PAGE_SIZE", "60")
    with pytest.raises(ValidationError, match=named):
        worker_settings()
