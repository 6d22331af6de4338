"""Fixtures for the Python client suite.

Run by test/clients/python-client.test.ts (part of `npm test`), which starts a
gateway with the mock provider and passes its address and settings in
SWITCHYARD_* variables. Run alone, the suite fails: it never skips.
"""

import os
import time
from dataclasses import dataclass

import grpc
import pytest

from switchyard.v1 import admin_pb2, admin_pb2_grpc, inference_pb2, inference_pb2_grpc


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run this suite through `npm test` (test/clients/python-client.test.ts)")
    return value


@dataclass(frozen=True)
class Suite:
    addr: str
    url: str
    prompt: str
    stream_model: str
    chunk_count: int
    chunk_delay_s: float
    slow_model: str
    deadline_s: float
    long_model: str
    long_stream_s: float
    unknown_model: str
    metadata: tuple[tuple[str, str], ...]

    def request(self, model: str, role: str = "user") -> inference_pb2.CompletionRequest:
        return inference_pb2.CompletionRequest(model=model, messages=[inference_pb2.Message(role=role, content=self.prompt)])

    @property
    def expected_answer(self) -> str:
        return f"This is a mock response to: {self.prompt}"


@pytest.fixture(scope="session")
def suite() -> Suite:
    return Suite(
        addr=_required("SWITCHYARD_ADDR"),
        url=_required("SWITCHYARD_URL"),
        prompt=_required("SWITCHYARD_PROMPT"),
        stream_model=_required("SWITCHYARD_STREAM_MODEL"),
        chunk_count=int(_required("SWITCHYARD_CHUNK_COUNT")),
        chunk_delay_s=int(_required("SWITCHYARD_CHUNK_DELAY_MS")) / 1000,
        slow_model=_required("SWITCHYARD_SLOW_MODEL"),
        deadline_s=int(_required("SWITCHYARD_DEADLINE_MS")) / 1000,
        long_model=_required("SWITCHYARD_LONG_MODEL"),
        long_stream_s=int(_required("SWITCHYARD_LONG_STREAM_MS")) / 1000,
        unknown_model=_required("SWITCHYARD_UNKNOWN_MODEL"),
        metadata=(("authorization", _required("SWITCHYARD_AUTHORIZATION")),),
    )


@pytest.fixture(scope="session")
def channel(suite: Suite):
    with grpc.insecure_channel(suite.addr) as channel:
        yield channel


@pytest.fixture(scope="session")
def inference(channel) -> inference_pb2_grpc.InferenceServiceStub:
    return inference_pb2_grpc.InferenceServiceStub(channel)


@pytest.fixture(scope="session")
def admin(channel) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(channel)


def in_flight(admin: admin_pb2_grpc.AdminServiceStub, model_group: str) -> int:
    """Requests the gateway has in flight to the group's deployments right now."""
    state = admin.GetRouterState(admin_pb2.GetRouterStateRequest(model_group=model_group), timeout=5)
    assert state.deployments, f"no deployment state for {model_group}"
    return sum(d.in_flight for d in state.deployments)


def wait_until(condition, timeout_s: float, interval_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return condition()
