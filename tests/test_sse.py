"""The SSE decoder: WHATWG rules, and the same events whatever the network chunking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mistral_async._sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.flush()


def test_data_lines_join_with_lf_and_blank_line_dispatches() -> None:
    assert decode(b"data: a\ndata: b\n\ndata: c\n\n") == [
        ServerSentEvent("a\nb"),
        ServerSentEvent("c"),
    ]


def test_cr_lf_and_crlf_line_ends_are_equivalent() -> None:
    expected = [ServerSentEvent("x"), ServerSentEvent("y")]
    assert decode(b"data: x\n\ndata: y\n\n") == expected
    assert decode(b"data: x\r\rdata: y\r\r") == expected
    assert decode(b"data: x\r\n\r\ndata: y\r\n\r\n") == expected


def test_crlf_split_across_chunks_counts_once() -> None:
    assert decode(b"data: x\r", b"\n\r", b"\ndata: y\r\n\r\n") == [
        ServerSentEvent("x"),
        ServerSentEvent("y"),
    ]


def test_comments_are_ignored_and_fields_kept() -> None:
    events = decode(b": keep-alive\n\nevent: error\nid: 7\nretry: 1500\ndata: {}\n\n")
    assert events == [ServerSentEvent("{}", event="error", id="7", retry=1500)]


def test_field_without_space_and_unknown_fields() -> None:
    assert decode(b"data:x\nfoo: bar\nretry: soon\n\n") == [ServerSentEvent("x")]


def test_leading_bom_is_dropped_even_when_split() -> None:
    assert decode(b"\xef", b"\xbb", b"\xbfdata: x\n\n") == [ServerSentEvent("x")]
    # A BOM anywhere else is data.
    assert decode(b"data: \xef\xbb\xbfx\n\n") == [ServerSentEvent("\ufeffx")]


def test_utf8_character_split_across_chunks() -> None:
    payload = "data: Café ☕\n\n".encode()
    assert decode(payload[:9], payload[9:10], payload[10:]) == [ServerSentEvent("Café ☕")]


def test_id_with_nul_is_ignored_and_last_id_carries_over() -> None:
    events = decode(b"id: 1\ndata: a\n\nid: x\x00y\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]


def test_event_without_data_is_not_dispatched_and_resets_type() -> None:
    assert decode(b"event: ping\n\ndata: a\n\n") == [ServerSentEvent("a")]


def test_empty_data_line_gives_an_empty_event() -> None:
    assert decode(b"data:\n\n") == [ServerSentEvent("")]


def test_last_event_without_blank_line_is_flushed_at_end() -> None:
    assert decode(b"data: a\n\ndata: [DONE]") == [ServerSentEvent("a"), ServerSentEvent("[DONE]")]


_line_end = st.sampled_from([b"\n", b"\r", b"\r\n"])
_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=["Cs"]),
    max_size=12,
)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """Event streams mixing every line ending, comments, fields and multi-byte text."""
    out = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    for _ in range(draw(st.integers(0, 6))):
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["data", "event", "id", "retry", "comment", "other"]))
            value = draw(_text).encode()
            if kind == "comment":
                out += b":" + value
            elif kind == "retry":
                out += b"retry: " + str(draw(st.integers(0, 9999))).encode()
            else:
                out += kind.encode() + b":" + (b" " if draw(st.booleans()) else b"") + value
            out += draw(_line_end)
        out += draw(_line_end)
    return out


@settings(max_examples=300, deadline=None)
@given(data=streams(), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_any_chunking_gives_the_same_events(data: bytes, cuts: list[int]) -> None:
    whole = decode(data)
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert decode(*pieces) == whole
    # One byte at a time is the harshest split of all.
    assert decode(*(data[i : i + 1] for i in range(len(data)))) == whole
