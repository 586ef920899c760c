"""Files in the batch bucket, always under the client's own prefix: uploads to train on, and the
intermediate artifacts a training run passes from one workflow step to the next."""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.domain.errors import InvalidInput, NotFound

MAX_TRAINING_FILE_BYTES = 512 * 1024 * 1024


class ClientFiles:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    @staticmethod
    def key(client_id: str, relative: str) -> str:
        # A caller names keys relative to its own prefix; ".." cannot climb out of it.
        if relative.startswith("/") or ".." in relative.split("/"):
            raise InvalidInput(
                "The file key must be relative to your own folder", [{"field": "source.key", "message": "no leading / or .."}]
            )
        return f"{client_id}/{relative}"

    def read_size(self, client_id: str, relative: str) -> int:
        """The file's size; NotFound if absent, InvalidInput if too large to train on."""
        try:
            size = int(aws.s3().head_object(Bucket=self._bucket, Key=self.key(client_id, relative))["ContentLength"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                raise NotFound(f"No file {relative} in your folder") from exc
            raise
        if size > MAX_TRAINING_FILE_BYTES:
            limit = MAX_TRAINING_FILE_BYTES // 2**20
            raise InvalidInput(f"{relative} is over {limit} MB", [{"field": "source.key", "message": "file too large"}])
        return size

    def read(self, client_id: str, relative: str) -> bytes:
        self.read_size(client_id, relative)
        body: bytes = aws.s3().get_object(Bucket=self._bucket, Key=self.key(client_id, relative))["Body"].read()
        return body

    def write(self, client_id: str, relative: str, body: bytes, content_type: str = "application/octet-stream") -> str:
        key = self.key(client_id, relative)
        aws.s3().put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
        return key
