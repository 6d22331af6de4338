"""The generated grpcio client against a real gateway: unary, streaming,
deadlines, cancellation and error mapping."""

import time

import grpc
import pytest

from conftest import Suite, in_flight, wait_until
from switchyard.v1 import inference_pb2


def test_complete_returns_the_normalized_answer(inference, suite: Suite):
    reply = inference.Complete(suite.request(suite.stream_model), timeout=10, metadata=suite.metadata)

    assert reply.choices[0].message.content == suite.expected_answer
    assert reply.choices[0].finish_reason == inference_pb2.FINISH_REASON_STOP
    assert reply.model_group == suite.stream_model
    assert reply.provider == "mock"
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0


def test_stream_complete_delivers_each_chunk_when_the_upstream_produces_it(inference, suite: Suite):
    arrivals: list[float] = []
    chunks: list[inference_pb2.ModelResponseChunk] = []
    for chunk in inference.StreamComplete(suite.request(suite.stream_model), timeout=10, metadata=suite.metadata):
        arrivals.append(time.monotonic())
        chunks.append(chunk)

    # chunk_count content chunks, then the final chunk with finish reason and usage.
    assert len(chunks) == suite.chunk_count + 1
    assert "".join(c.choices[0].delta.content for c in chunks) == suite.expected_answer
    assert chunks[-1].choices[0].finish_reason == inference_pb2.FINISH_REASON_STOP
    assert chunks[-1].usage.completion_tokens > 0
    # The mock waits chunk_delay between chunks; buffered delivery would bunch them up.
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= suite.chunk_delay_s / 2, f"chunks bunched together: gaps {gaps}"


def test_complete_past_its_deadline_is_deadline_exceeded(inference, suite: Suite):
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        inference.Complete(suite.request(suite.slow_model), timeout=suite.deadline_s, metadata=suite.metadata)

    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < suite.deadline_s + 2


def test_stream_past_its_deadline_is_deadline_exceeded(inference, suite: Suite):
    with pytest.raises(grpc.RpcError) as raised:
        list(inference.StreamComplete(suite.request(suite.slow_model), timeout=suite.deadline_s, metadata=suite.metadata))

    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_cancelling_mid_stream_stops_the_upstream_call(inference, admin, suite: Suite):
    call = inference.StreamComplete(suite.request(suite.long_model), timeout=30, metadata=suite.metadata)
    first, second = next(call), next(call)
    assert first.choices[0].delta.content and second.choices[0].delta.content
    assert in_flight(admin, suite.long_model) == 1

    cancelled_at = time.monotonic()
    call.cancel()

    # The upstream stream would run for long_stream_s more; the gateway must drop it now.
    assert wait_until(lambda: in_flight(admin, suite.long_model) == 0, timeout_s=suite.long_stream_s / 4)
    assert time.monotonic() - cancelled_at < suite.long_stream_s / 4
    assert call.code() == grpc.StatusCode.CANCELLED


def test_unknown_model_is_not_found_naming_the_model(inference, suite: Suite):
    with pytest.raises(grpc.RpcError) as raised:
        inference.Complete(suite.request(suite.unknown_model), timeout=10, metadata=suite.metadata)

    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert suite.unknown_model in raised.value.details()


def test_bad_role_is_invalid_argument_naming_the_field(inference, suite: Suite):
    with pytest.raises(grpc.RpcError) as raised:
        list(inference.StreamComplete(suite.request(suite.stream_model, role="robot"), timeout=10, metadata=suite.metadata))

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "messages[0].role" in raised.value.details()
