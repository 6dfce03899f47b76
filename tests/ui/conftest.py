"""The page's route tests reuse the API's app fixtures (a fake orchestrator, SQLite in tmp_path)."""

from tests.api.conftest import make_api, sqlite_api, sqlite_url  # noqa: F401 - fixtures
from tests.services.ledger_fixtures import ledger_database, ledger_mysql_url  # noqa: F401 - fixtures
