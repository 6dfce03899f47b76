"""Settings every Lambda shares: where results live. Each Lambda adds its own settings beside its handler."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lambda_functions.common.results_store import LocalResultsStore, ResultsStore, S3ResultsStore


class StoreSettings(BaseSettings):
    """`RESULTS_STORE=s3` needs `RESULTS_BUCKET`; `local` keeps files under `RESULTS_DIR`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    results_store: Literal["local", "s3"] | None = None  # default: s3 when a bucket is set, else local
    results_bucket: str = ""
    results_prefix: str = "bitget-results/"
    results_dir: str = "./data/results"
    results_base_url: str = "http://127.0.0.1:8000/results"
    aws_default_region: str = "us-east-2"

    @model_validator(mode="after")
    def _pick_store(self) -> StoreSettings:
        if self.results_store is None:
            self.results_store = "s3" if self.results_bucket else "local"
        if self.results_store == "s3" and not self.results_bucket:
            raise ValueError("RESULTS_STORE=s3 needs RESULTS_BUCKET")
        return self


def build_results_store(settings: StoreSettings, s3_client: object | None = None) -> ResultsStore:
    """The store the settings name; the boto3 client is created here only when none is handed in."""
    if settings.results_store == "s3":
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3", region_name=settings.aws_default_region)
        return S3ResultsStore(s3_client, settings.results_bucket, settings.aws_default_region)
    return LocalResultsStore(settings.results_dir, settings.results_base_url)


@lru_cache(maxsize=1)
def default_results_store() -> ResultsStore:
    """The store from the environment, built once per process (warm Lambdas reuse its connections)."""
    return build_results_store(StoreSettings())
