"""The generated connect-python client (Connect protocol over HTTP) against a
real gateway: unary, streaming and error mapping."""

import time

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from conftest import Suite
from switchyard.v1 import inference_pb2
from switchyard.v1.inference_connect import InferenceServiceClientSync


@pytest.fixture(scope="module")
def client(suite: Suite):
    with InferenceServiceClientSync(suite.url) as client:
        yield client


def headers(suite: Suite) -> dict[str, str]:
    return dict(suite.metadata)


def test_complete_over_connect(client, suite: Suite):
    reply = client.complete(suite.request(suite.stream_model), headers=headers(suite), timeout_ms=10_000)

    assert reply.choices[0].message.content == suite.expected_answer
    assert reply.provider == "mock"


def test_stream_complete_over_connect_arrives_incrementally(client, suite: Suite):
    arrivals: list[float] = []
    text = ""
    for chunk in client.stream_complete(suite.request(suite.stream_model), headers=headers(suite), timeout_ms=10_000):
        arrivals.append(time.monotonic())
        text += chunk.choices[0].delta.content

    assert text == suite.expected_answer
    assert len(arrivals) == suite.chunk_count + 1
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= suite.chunk_delay_s / 2, f"chunks bunched together: gaps {gaps}"


def test_deadline_over_connect(client, suite: Suite):
    with pytest.raises(ConnectError) as raised:
        client.complete(suite.request(suite.slow_model), headers=headers(suite), timeout_ms=int(suite.deadline_s * 1000))

    assert raised.value.code == Code.DEADLINE_EXCEEDED


def test_errors_over_connect(client, suite: Suite):
    with pytest.raises(ConnectError) as not_found:
        client.complete(suite.request(suite.unknown_model), headers=headers(suite), timeout_ms=10_000)
    with pytest.raises(ConnectError) as invalid:
        client.complete(suite.request(suite.stream_model, role="robot"), headers=headers(suite), timeout_ms=10_000)

    assert not_found.value.code == Code.NOT_FOUND
    assert suite.unknown_model in str(not_found.value)
    assert invalid.value.code == Code.INVALID_ARGUMENT
    assert "messages[0].role" in str(invalid.value)
