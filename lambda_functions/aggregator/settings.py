"""The aggregator's own settings, read from its environment (names as in `.env.example`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Presigned URLs cannot outlive 7 days (SigV4). Note: signed with a Lambda role's temporary credentials they
# die with that session (hours), whatever this says; late consumers read `s3_uri` with their own credentials.
_MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 3600


class AggregatorSettings(BaseSettings):
    """RESULTS_PREFIX, CLEANUP_PER_SYMBOL_FILES, RESPONSE_MAX_ORDERS, PRESIGNED_URL_EXPIRES."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    results_prefix: str = "bitget-results/"
    cleanup_per_symbol_files: bool = True
    # 0 keeps orders out of the response (Step Functions' 256 KiB limit); N > 0 adds the N newest.
    response_max_orders: int = Field(default=0, ge=0)
    presigned_url_expires: int = Field(default=3600, ge=1, le=_MAX_PRESIGNED_EXPIRES_S)
