"""Cases of the ``files`` group.

Every call but upload and list needs a file on the fake server: :func:`uploaded` makes one
with ``files.upload`` and gives its id.
"""

from __future__ import annotations

from mistral_async import AsyncMistral
from mistral_async.types.files import (
    DeleteFileResponse,
    FileObject,
    FileSignedURL,
    ListFilesResponse,
)

from ..case import Case

TRAINING = b'{"messages": [{"role": "user", "content": "Hi"}]}\n' * 3


async def uploaded(client: AsyncMistral) -> str:
    """Upload a small training file; its id."""
    created = await client.files.upload(file=("train.jsonl", TRAINING), purpose="fine-tune")
    return created.id


CASES: dict[str, Case] = {
    "files_api_routes_upload_file": Case(
        method="files.upload",
        kwargs={
            "file": ("train.jsonl", TRAINING, "application/jsonl"),
            "purpose": "fine-tune",
            "visibility": "workspace",
            "expiry": 24,
        },
        response_type=FileObject,
    ),
    "files_api_routes_upload_file:minimal": Case(
        method="files.upload",
        kwargs={"file": ("batch.jsonl", TRAINING)},
        response_type=FileObject,
    ),
    "files_api_routes_list_files": Case(
        method="files.list",
        kwargs={
            "page": 1,
            "page_size": 10,
            "include_total": False,
            "sample_type": ["instruct", "batch_result"],
            "source": ["upload", "repository"],
            "search": "train",
            "purpose": "fine-tune",
            "mimetypes": ["application/jsonl", "text/plain"],
        },
        returns="paginator",
        response_type=ListFilesResponse,
    ),
    "files_api_routes_list_files:one-of-each": Case(
        method="files.list",
        kwargs={"sample_type": ["pretrain"], "source": ["mistral"], "mimetypes": ["text/csv"]},
        returns="paginator",
        response_type=ListFilesResponse,
    ),
    "files_api_routes_retrieve_file": Case(
        method="files.retrieve",
        setup=uploaded,
        args=lambda file_id: (file_id,),
        response_type=FileObject,
    ),
    "files_api_routes_delete_file": Case(
        method="files.delete",
        setup=uploaded,
        kwargs=lambda file_id: {"file_id": file_id},
        response_type=DeleteFileResponse,
    ),
    "files_api_routes_download_file": Case(
        method="files.download",
        setup=uploaded,
        args=lambda file_id: (file_id,),
        returns="binary",
    ),
    "files_api_routes_get_signed_url": Case(
        method="files.get_signed_url",
        setup=uploaded,
        args=lambda file_id: (file_id,),
        kwargs={"expiry": 48},
        response_type=FileSignedURL,
    ),
}
