"""Batch job files in the batch bucket, always under the client's own prefix (<client>/...)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.domain.errors import NotFound

PARALLEL_READS = 16


class BatchFiles:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket

    @staticmethod
    def key(client_id: str, relative: str) -> str:
        return f"{client_id}/{relative}"

    def size(self, client_id: str, relative: str) -> int:
        """The object's size in bytes; NotFound if there is no such file."""
        try:
            return int(aws.s3().head_object(Bucket=self._bucket, Key=self.key(client_id, relative))["ContentLength"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(
                    f"No file {relative} in your folder", [{"field": "file.key", "message": "no such file", "type": "not_found"}]
                ) from exc
            raise

    def head_bytes(self, client_id: str, relative: str, count: int) -> bytes:
        """The file's first `count` bytes (a ranged GET: the whole file is never read to validate it)."""
        response = aws.s3().get_object(Bucket=self._bucket, Key=self.key(client_id, relative), Range=f"bytes=0-{count - 1}")
        body: bytes = response["Body"].read()
        return body

    def read(self, client_id: str, relative: str) -> bytes:
        body: bytes = aws.s3().get_object(Bucket=self._bucket, Key=self.key(client_id, relative))["Body"].read()
        return body

    def read_many(self, client_id: str, relatives: Sequence[str]) -> list[bytes]:
        """Each file's bytes, in order, several GETs at once: a million-row job's Finalize joins thousands of chunk
        files, whose round trips would otherwise add up to minutes."""
        aws.s3()  # built here, once: creating clients from several threads at once is not safe
        with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
            return list(pool.map(lambda relative: self.read(client_id, relative), relatives))

    def write(self, client_id: str, relative: str, body: bytes, content_type: str) -> None:
        aws.s3().put_object(Bucket=self._bucket, Key=self.key(client_id, relative), Body=body, ContentType=content_type)

    def upload_url(self, client_id: str, relative: str, expires_seconds: int) -> str:
        return str(
            aws.s3().generate_presigned_url(
                "put_object", Params={"Bucket": self._bucket, "Key": self.key(client_id, relative)}, ExpiresIn=expires_seconds
            )
        )

    def download_url(self, client_id: str, relative: str, expires_seconds: int, filename: str) -> str:
        params = {
            "Bucket": self._bucket,
            "Key": self.key(client_id, relative),
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        return str(aws.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds))
