"""``client.files``: upload, list, retrieve, delete, download files, and signed URLs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._binary import AsyncBinaryResponse
from .._errors import InvalidParameterError
from .._pagination import AsyncPaginator, by_page_number
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven
from .._uploads import FileInput, to_upload
from ..types.files import DeleteFileResponse, FileObject, FileSignedURL, ListFilesResponse
from ._base import AsyncResource, cast_to, params

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncFiles"]

_file = cast_to(FileObject)
_list = cast_to(ListFilesResponse)
_deleted = cast_to(DeleteFileResponse)
_signed = cast_to(FileSignedURL)

FilePurpose = Literal["fine-tune", "batch", "ocr"]
SampleType = Literal["pretrain", "instruct", "batch_request", "batch_result", "batch_error"]
FileSource = Literal["upload", "repository", "mistral"]

_PURPOSES = ("fine-tune", "batch", "ocr")
_SAMPLE_TYPES = ("pretrain", "instruct", "batch_request", "batch_result", "batch_error")
_SOURCES = ("upload", "repository", "mistral")
_VISIBILITIES = ("workspace", "user")


class AsyncFiles(AsyncResource):
    """Files you upload for fine-tuning, batch jobs and OCR."""

    __slots__ = ()

    async def upload(
        self,
        *,
        file: FileInput,
        purpose: FilePurpose | NotGiven = NOT_GIVEN,
        visibility: Literal["workspace", "user"] | NotGiven = NOT_GIVEN,
        expiry: int | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> FileObject:
        """Upload a file, streamed from its source in constant memory.

        ``file`` is a path, bytes, a binary file object or an async iterator of bytes, or a
        tuple ``(filename, content)`` / ``(filename, content, content_type)`` to choose the
        name and type sent. The file name defaults to the path's or file object's name, the
        type is guessed from the name. An async iterator can be sent only once, so such an
        upload is not retried.
        """
        form: list[tuple[str, Any]] = [("file", to_upload(file))]
        choices = {"purpose": _PURPOSES, "visibility": _VISIBILITIES}
        for name, value in params({"purpose": purpose, "visibility": visibility}).items():
            _check_choice(name, value, choices[name])
            form.append((name, value))
        if not isinstance(expiry, NotGiven) and expiry is not None:
            if isinstance(expiry, bool) or not isinstance(expiry, int):
                raise InvalidParameterError("expiry", f"must be an int, not {expiry!r}")
            form.append(("expiry", str(expiry)))
        result: FileObject = await self._request("POST", "/v1/files", _file, options, form=form)
        return result

    def list(
        self,
        *,
        page: int | NotGiven = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        include_total: bool | NotGiven = NOT_GIVEN,
        sample_type: Sequence[SampleType] | NotGiven | None = NOT_GIVEN,
        source: Sequence[FileSource] | NotGiven | None = NOT_GIVEN,
        search: str | NotGiven | None = NOT_GIVEN,
        purpose: FilePurpose | NotGiven | None = NOT_GIVEN,
        mimetypes: Sequence[str] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[ListFilesResponse, FileObject]:
        """List files: ``await`` it for one page, or ``async for`` over every file.

        Pages are numbered from 0; ``page_size`` defaults to 100 on the API's side. The
        filters keep the files whose sample type, source and media type are among
        ``sample_type``, ``source`` and ``mimetypes``, of ``purpose``, and whose name
        contains ``search``.
        """
        query = params(locals())
        _check_list_query(query)

        async def fetch(page_query: dict[str, Any]) -> ListFilesResponse:
            result: ListFilesResponse = await self._request(
                "GET", "/v1/files", _list, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, lambda page: page.data, by_page_number())

    async def retrieve(self, file_id: str, **options: Unpack[RequestOptions]) -> FileObject:
        """Read a file's metadata."""
        path = f"/v1/files/{path_param('file_id', file_id)}"
        result: FileObject = await self._request("GET", path, _file, options)
        return result

    async def delete(self, file_id: str, **options: Unpack[RequestOptions]) -> DeleteFileResponse:
        """Delete a file."""
        path = f"/v1/files/{path_param('file_id', file_id)}"
        result: DeleteFileResponse = await self._request("DELETE", path, _deleted, options)
        return result

    async def download(
        self, file_id: str, **options: Unpack[RequestOptions]
    ) -> AsyncBinaryResponse:
        """Download a file's content as a stream.

        ::

            async with await client.files.download(file_id) as body:
                await body.write_to("out.jsonl")          # or: async for chunk in body.iter_bytes()
        """
        path = f"/v1/files/{path_param('file_id', file_id)}/content"
        result: AsyncBinaryResponse = await self._request(
            "GET",
            path,
            lambda data: data,
            options,
            binary=True,
            accept="application/octet-stream",  # what the spec declares for this answer
        )
        return result

    async def get_signed_url(
        self,
        file_id: str,
        *,
        expiry: int | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> FileSignedURL:
        """A temporary URL to download the file without the key (``expiry`` in hours, 1-168)."""
        if not isinstance(expiry, NotGiven) and (
            isinstance(expiry, bool) or not isinstance(expiry, int) or not 1 <= expiry <= 168
        ):
            raise InvalidParameterError("expiry", f"must be an int from 1 to 168, not {expiry!r}")
        path = f"/v1/files/{path_param('file_id', file_id)}/url"
        query = params({"expiry": expiry}) or None
        result: FileSignedURL = await self._request("GET", path, _signed, options, query=query)
        return result


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidParameterError(
            name, f"must be one of {', '.join(map(repr, choices))}; got {value!r}"
        )


def _check_list_query(query: dict[str, Any]) -> None:
    for name, low in (("page", 0), ("page_size", 1)):
        value = query.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < low
        ):
            raise InvalidParameterError(name, f"must be an int >= {low}, not {value!r}")
    include_total = query.get("include_total")
    if include_total is not None and not isinstance(include_total, bool):
        raise InvalidParameterError("include_total", f"must be a bool, not {include_total!r}")
    search = query.get("search")
    if search is not None and not isinstance(search, str):
        raise InvalidParameterError("search", f"must be a string, not {search!r}")
    if query.get("purpose") is not None:
        _check_choice("purpose", query["purpose"], _PURPOSES)
    lists: dict[str, tuple[str, ...] | None] = {
        "sample_type": _SAMPLE_TYPES,
        "source": _SOURCES,
        "mimetypes": None,
    }
    for name, choices in lists.items():
        value = query.get(name)
        if value is None:
            continue
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise InvalidParameterError(name, f"must be a list, not {value!r}")
        for i, item in enumerate(value):
            if choices is not None:
                _check_choice(f"{name}[{i}]", item, choices)
            elif not isinstance(item, str):
                raise InvalidParameterError(f"{name}[{i}]", f"must be a string, not {item!r}")
        query[name] = list(value)
