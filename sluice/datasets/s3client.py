"""The few S3 calls the dataset store makes, with its errors turned into Sluice's.

Rule: endpoint, region and credentials come from the standard AWS environment variables (or boto3's own
chain: profiles, instance roles) and never appear in a message: errors name the operation, the
``s3://bucket/key`` and the service's error code only. A failed precondition (``If-Match`` /
``If-None-Match``) is an answer, not an error: ``put`` returns None and the caller decides.
boto3 is imported here only, so a local root never needs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sluice.errors import ConfigError, DatasetError

# 412: the condition failed; 409: a concurrent conditional write on the same key won (S3 says retry).
CONDITION_FAILED = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
MISSING = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class S3Config:
    """Where the bucket is and who we are; ``repr`` never shows the secrets."""

    endpoint: str | None = None
    region: str = "us-east-1"
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> S3Config:
        return cls(
            endpoint=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            access_key=env.get("AWS_ACCESS_KEY_ID") or None,
            secret_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            session_token=env.get("AWS_SESSION_TOKEN") or None,
        )

    def arrow_filesystem(self) -> Any:
        """pyarrow's S3 filesystem with the same settings (DuckDB reads the parts through it)."""
        from pyarrow.fs import S3FileSystem

        options: dict[str, Any] = {"region": self.region}
        if self.access_key and self.secret_key:
            options.update(access_key=self.access_key, secret_key=self.secret_key, session_token=self.session_token)
        if self.endpoint:
            url = urlsplit(self.endpoint)
            options.update(endpoint_override=url.netloc or url.path, scheme=url.scheme or "https")
        return S3FileSystem(**options)


class S3Client:
    """Objects in one bucket: ``get``/``put`` (optionally conditional), ``upload``, ``list``, ``delete``."""

    def __init__(self, bucket: str, config: S3Config) -> None:
        try:
            import boto3
            from boto3.exceptions import S3UploadFailedError
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError as exc:
            raise ConfigError("an s3:// dataset root needs boto3: pip install 'sluice[s3]'") from exc
        self.bucket = bucket
        self._errors = (BotoCoreError, ClientError, S3UploadFailedError)
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=config.endpoint,
            region_name=config.region,
            aws_access_key_id=config.access_key,
            aws_secret_access_key=config.secret_key,
            aws_session_token=config.session_token,
            config=Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=16),
        )

    def get(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag; None when it does not exist."""
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), answer["ETag"]
        except self._errors as exc:
            if _code(exc) in MISSING:
                return None
            raise self._error("read", key, exc) from None

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
            return True
        except self._errors as exc:
            if _code(exc) in MISSING:
                return False
            raise self._error("check", key, exc) from None

    def put(self, key: str, body: bytes, *, if_match: str | None = None, if_absent: bool = False) -> str | None:
        """Write the object; with ``if_match`` only over that ETag, with ``if_absent`` only if it is new.
        Returns the new ETag, or None when the condition failed (nothing was written)."""
        conditions = {"IfMatch": if_match} if if_match else {"IfNoneMatch": "*"} if if_absent else {}
        try:
            return self._client.put_object(Bucket=self.bucket, Key=key, Body=body, **conditions)["ETag"]
        except self._errors as exc:
            if conditions and _code(exc) in CONDITION_FAILED | MISSING:
                return None
            raise self._error("write", key, exc) from None

    def upload(self, key: str, path: Path) -> None:
        """Upload a local file; S3 shows the object only once it is complete (multipart included)."""
        try:
            self._client.upload_file(str(path), self.bucket, key)
        except self._errors as exc:
            raise self._error("upload", key, exc) from None

    def list(self, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
        """Objects under ``prefix`` (``{"Key", "Size"}``), or with a delimiter the common prefixes too
        (``{"Prefix"}``)."""
        options = {"Bucket": self.bucket, "Prefix": prefix} | ({"Delimiter": delimiter} if delimiter else {})
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(**options):
                yield from page.get("CommonPrefixes", [])
                yield from page.get("Contents", [])
        except self._errors as exc:
            raise self._error("list", prefix, exc) from None

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            try:
                answer = self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except self._errors as exc:
                raise self._error("delete", batch[0]["Key"], exc) from None
            for failed in answer.get("Errors", []):
                raise DatasetError(f"cannot delete s3://{self.bucket}/{failed['Key']}: {failed.get('Code')}")

    def _error(self, what: str, key: str, exc: Exception) -> DatasetError:
        """Code and message of the service (they name no credentials), or the client error's class."""
        response = getattr(exc, "response", None) or {}
        detail = response.get("Error", {}).get("Message", "")
        code = _code(exc) or type(exc).__name__
        return DatasetError(f"cannot {what} s3://{self.bucket}/{key}: {code}" + (f" ({detail})" if detail else ""))


def _code(exc: Exception) -> str | None:
    """The S3 error code of a botocore ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
