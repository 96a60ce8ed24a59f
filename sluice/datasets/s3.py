"""A dataset in an S3 bucket: parts under unique keys, published by a conditional put of its manifest.

Rule: S3 has no rename, but a single PUT is atomic and a conditional PUT is a compare-and-swap. A write
uploads its part under a key nobody else uses, then replaces ``manifest.json`` with ``If-Match`` on the
ETag it read under the lock (``If-None-Match: *`` for a new dataset): that put is the commit point. A
reader reads the manifest once and sees only parts it lists, so it never sees half a write; a writer
that dies before the commit leaves an orphan part that readers ignore and compaction deletes. DuckDB
reads the parts through Arrow datasets on pyarrow's S3 filesystem (no DuckDB extension is needed).

    s3://BUCKET/PREFIX/NAME/manifest.json                            which parts make up the log
    s3://BUCKET/PREFIX/NAME/log/part-{first}-{last}-{token}.parquet   the log (plain Parquet, zstd)
    s3://BUCKET/PREFIX/NAME/_state/index.arrow                       current-state index (a derived cache)
    s3://BUCKET/PREFIX/NAME/_state/write.lock                        the one-writer lease (``s3lock.py``)
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from sluice.datasets.layout import NAME_RE, check_name
from sluice.datasets.parts import Part, effective_parts
from sluice.datasets.s3client import S3Client, S3Config
from sluice.datasets.s3lock import s3_lease
from sluice.datasets.sidefiles import S3SideFiles
from sluice.errors import ConfigError, DatasetError, DatasetLockedError

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
DEFAULT_LEASE_SECONDS = 30.0


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix")``."""
    rest = url.split("://", 1)[1] if "://" in url else url.split(":/", 1)[1]
    bucket, _, prefix = rest.rstrip("/").partition("/")
    if not bucket:
        raise ConfigError(f"an S3 dataset root is s3://bucket[/prefix], not {url!r}")
    return bucket, prefix.strip("/")


class S3Storage:
    """All datasets under ``s3://bucket/prefix``; one client and one Arrow filesystem for all of them."""

    def __init__(self, url: str, config: S3Config | None = None, lease: float = DEFAULT_LEASE_SECONDS) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.config = config or S3Config.from_env()
        self.client = S3Client(self.bucket, self.config)
        self.lease = lease
        self._filesystem: Any = None
        self._datasets: dict[str, ds.Dataset] = {}  # parts never change, so their Arrow datasets are cached

    @property
    def root(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def __str__(self) -> str:
        return self.root

    def key(self, *rest: str) -> str:
        return "/".join(p for p in (self.prefix, *rest) if p)

    def names(self) -> list[str]:
        base = self.key("") + "/" if self.prefix else ""
        found = [entry["Prefix"][len(base) :].rstrip("/") for entry in self.client.list(base, "/") if "Prefix" in entry]
        return sorted(n for n in found if NAME_RE.match(n) and self.client.exists(self.key(n, MANIFEST)))

    def files(self, name: str) -> S3Files:
        return S3Files(self, check_name(name))

    def side_files(self, folder: str) -> S3SideFiles:
        return S3SideFiles(self.client, self.key(folder), self.lease)

    def arrow_dataset(self, part: Part) -> ds.Dataset:
        """An Arrow dataset over one part; its size from the manifest saves a HEAD, its footer is read once."""
        path = str(part.path)
        if path not in self._datasets:
            if self._filesystem is None:
                self._filesystem = self.config.arrow_filesystem()
            parquet = ds.ParquetFileFormat()
            try:
                fragment = parquet.make_fragment(path, self._filesystem, file_size=part.size or None)
                fragment.ensure_complete_metadata()
                dataset = ds.FileSystemDataset([fragment], fragment.physical_schema, parquet, self._filesystem)
            except (OSError, pa.ArrowException) as exc:
                raise DatasetError(f"cannot open s3://{path}: {exc}") from exc
            self._datasets[path] = dataset
        return self._datasets[path]


class S3Files:
    """One dataset's objects; remembers the manifest ETag it last read, which its commit requires."""

    def __init__(self, storage: S3Storage, name: str) -> None:
        self.storage, self.name, self.client = storage, name, storage.client
        self._etag: str | None = None
        self._entries: list[dict[str, Any]] = []

    def _key(self, *rest: str) -> str:
        return self.storage.key(self.name, *rest)

    def _read(self) -> list[dict[str, Any]] | None:
        """The manifest's part entries (None: no dataset); remembers the ETag for the next commit."""
        found = self.client.get(self._key(MANIFEST))
        if found is None:
            self._etag, self._entries = None, []
            return None
        try:
            entries = json.loads(found[0])["parts"]
        except (ValueError, KeyError, TypeError) as exc:
            where = f"s3://{self.client.bucket}/{self._key(MANIFEST)}"
            raise DatasetError(f"the manifest {where} is damaged", self.name) from exc
        self._etag, self._entries = found[1], entries
        return entries

    def exists(self) -> bool:
        return self._read() is not None

    def create(self) -> None:
        """An empty manifest, unless there is one (so an empty first write still makes the dataset)."""
        if self._read() is None:
            self.client.put(self._key(MANIFEST), _manifest([]), if_absent=True)

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        return s3_lease(self.client, self._key("_state", "write.lock"), timeout, self.storage.lease, self.name)

    def parts(self) -> list[Part]:
        entries = self._read() or []
        return effective_parts([self._part(e) for e in entries])

    def _part(self, entry: dict[str, Any]) -> Part:
        path = f"{self.client.bucket}/{self._key(entry['key'])}"
        return Part(path, int(entry["first"]), int(entry["last"]), int(entry["size"]), int(entry["rows"]))

    def staging_path(self, first: int, last: int) -> Path:
        """A local temp file: DuckDB writes the part there, ``publish_part`` uploads it."""
        return Path(tempfile.gettempdir()) / f"sluice-{self.name}-{first}-{last}-{uuid.uuid4().hex}.parquet"

    def publish_part(self, staged: Path, first: int, last: int, replaces: Sequence[Part] = ()) -> Part:
        """Upload the part under a fresh key, then commit a manifest listing it (instead of ``replaces``)."""
        key = f"log/part-{first:012d}-{last:012d}-{uuid.uuid4().hex[:12]}.parquet"
        try:
            entry = {"key": key, "first": first, "last": last, "size": staged.stat().st_size}
            entry["rows"] = pq.read_metadata(staged).num_rows
            self.client.upload(self._key(key), staged)
        finally:
            staged.unlink(missing_ok=True)
        gone = {str(p.path) for p in replaces}
        kept = [e for e in self._entries if str(self._part(e).path) not in gone]
        self._commit([*kept, entry], orphan=key)
        self._delete_quietly([self._key(e["key"]) for e in self._entries if e not in kept])
        self._entries = [*kept, entry]
        return self._part(entry)

    def _delete_quietly(self, keys: list[str]) -> None:
        """Delete objects no manifest lists; a failure only leaves orphans, which compaction deletes."""
        with suppress(DatasetError):
            self.client.delete(keys)

    def _commit(self, entries: list[dict[str, Any]], orphan: str) -> None:
        body = _manifest(entries)
        if self._etag is None:
            etag = self.client.put(self._key(MANIFEST), body, if_absent=True)
        else:
            etag = self.client.put(self._key(MANIFEST), body, if_match=self._etag)
        if etag is None:
            self._delete_quietly([self._key(orphan)])
            raise DatasetLockedError(
                "another writer published to the dataset during this write (this writer's lease had run out); "
                "nothing was written, retry",
                self.name,
            )
        self._etag = etag

    def count_rows(self, parts: Sequence[Part]) -> int:
        """From the manifest (every part it lists records its rows)."""
        return sum(p.rows or 0 for p in parts)

    def scan(self, con: duckdb.DuckDBPyConnection, parts: Sequence[Part]) -> str:
        """A FROM expression over Arrow datasets of ``parts``, registered in ``con`` (runs there only)."""
        selects = []
        for part in parts:
            alias = "__sluice_part_" + hashlib.md5(str(part.path).encode()).hexdigest()[:16]
            con.register(alias, self.storage.arrow_dataset(part))
            selects.append(f"SELECT * FROM {alias}")
        return "(" + " UNION ALL BY NAME ".join(selects) + ")"

    def read_index(self) -> pa.Table | None:
        found = self.client.get(self._key("_state", "index.arrow"))
        return None if found is None else ipc.open_file(pa.BufferReader(found[0])).read_all()

    def write_index(self, table: pa.Table) -> None:
        """One PUT (atomic): readers see the old index or the new one."""
        sink = pa.BufferOutputStream()
        with ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        self.client.put(self._key("_state", "index.arrow"), sink.getvalue().to_pybytes())

    def remove_garbage(self, thorough: bool = False) -> int:
        """``thorough`` (compaction): delete orphan parts, the uploads of writers that died before their commit."""
        if not thorough:
            return 0
        listed = {self._key(e["key"]) for e in self._read() or []}
        orphans = [o["Key"] for o in self.client.list(self._key("log") + "/") if o["Key"] not in listed]
        self.client.delete(orphans)
        return len(orphans)

    def size_on_disk(self) -> int:
        return sum(int(o.get("Size", 0)) for o in self.client.list(self._key("") + "/"))


def _manifest(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"version": MANIFEST_VERSION, "parts": entries}, separators=(",", ":")).encode()
