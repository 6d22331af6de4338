"""Calls a Switchyard gateway with the generated Python client (grpcio).

    pip install ./gen/python
    python examples/python/chat.py "Write a haiku about routers"

SWITCHYARD_URL (default http://localhost:4000), SWITCHYARD_MODEL (default
"mock") and SWITCHYARD_API_KEY (sent as `authorization: Bearer ...`) choose
where, what and as whom.
"""

import os
import sys
from urllib.parse import urlparse

import grpc

from switchyard.v1 import inference_pb2, inference_pb2_grpc

DEADLINE_S = 30


def main() -> int:
    target = urlparse(os.environ.get("SWITCHYARD_URL", "http://localhost:4000")).netloc
    model = os.environ.get("SWITCHYARD_MODEL", "mock")
    metadata = (("authorization", f"Bearer {os.environ.get('SWITCHYARD_API_KEY', 'sk-example')}"),)
    prompt = " ".join(sys.argv[1:]) or "Say hello from Python"
    request = inference_pb2.CompletionRequest(model=model, messages=[inference_pb2.Message(role="user", content=prompt)])

    with grpc.insecure_channel(target) as channel:
        inference = inference_pb2_grpc.InferenceServiceStub(channel)
        try:
            reply = inference.Complete(request, timeout=DEADLINE_S, metadata=metadata)
            print(f"Complete ({reply.provider}/{reply.model}): {reply.choices[0].message.content}")

            print("StreamComplete: ", end="", flush=True)
            for chunk in inference.StreamComplete(request, timeout=DEADLINE_S, metadata=metadata):
                for choice in chunk.choices:
                    print(choice.delta.content, end="", flush=True)
                if chunk.HasField("usage"):
                    print(f"\n[{chunk.usage.total_tokens} tokens, ${chunk.cost_usd:.6f}]")
        except grpc.RpcError as err:
            print(f"\n{err.code().name}: {err.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
