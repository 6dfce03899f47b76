"""Settings every Lambda shares: where results live. Each Lambda adds its own settings beside its handler."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

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
    # The bucket's own region when it differs from AWS_DEFAULT_REGION (presigned URLs are signed for it).
    results_bucket_region: str = ""

    @model_validator(mode="after")
    def _pick_store(self) -> StoreSettings:
        if self.results_store is None:
            self.results_store = "s3" if self.results_bucket else "local"
        if self.results_store == "s3" and not self.results_bucket:
            raise ValueError("RESULTS_STORE=s3 needs RESULTS_BUCKET")
        return self


def s3_client_config(bucket: str = "") -> Any:
    """Client settings under which presigned URLs work for a bucket in any region.

    - SigV4 (`X-Amz-Algorithm=AWS4-HMAC-SHA256`): regions opened since 2014 accept nothing else, and botocore
      still presigns with SigV2 in us-east-1 and several older regions unless told;
    - the regional virtual-hosted endpoint `https://<bucket>.s3.<region>.amazonaws.com` (us-east-1 included),
      never the global `<bucket>.s3.amazonaws.com`: that host reaches a bucket outside us-east-1 through DNS
      only, and answers with a 307 redirect to the regional host while DNS catches up (new buckets); the
      redirect changes the signed Host header and the link fails. A bucket name with dots keeps path style
      (`s3.<region>.amazonaws.com/<bucket>/...`): a dotted virtual host fails the TLS certificate check.
    """
    from botocore.config import Config

    style = "path" if "." in bucket else "virtual"
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": style, "us_east_1_regional_endpoint": "regional"},
    )


def make_s3_client(region: str, bucket: str = "", session: Any = None) -> Any:
    """A boto3 S3 client for `bucket` in `region` (see s3_client_config); AWS_ENDPOINT_URL still applies.
    `session`: a boto3 Session holding explicit credentials; None: boto3's default chain."""
    import boto3

    return (session or boto3).client("s3", region_name=region, config=s3_client_config(bucket))


def build_results_store(
    settings: StoreSettings, s3_client: object | None = None, *, session: Any = None
) -> ResultsStore:
    """The store the settings name; the boto3 client is created here (from `session` when given) only when none
    is handed in."""
    if settings.results_store == "s3":
        region = settings.results_bucket_region or settings.aws_default_region
        if s3_client is None:
            s3_client = make_s3_client(region, settings.results_bucket, session)
        return S3ResultsStore(s3_client, settings.results_bucket, region)
    return LocalResultsStore(settings.results_dir, settings.results_base_url)


@lru_cache(maxsize=1)
def default_results_store() -> ResultsStore:
    """The store from the environment, built once per process (warm Lambdas reuse its connections)."""
    return build_results_store(StoreSettings())
