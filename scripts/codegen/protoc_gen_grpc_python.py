"""protoc plugin that runs the grpc_python generator built into grpcio-tools.

grpcio-tools ships gRPC's Python stub generator only as a built-in of its own
embedded protoc (`python -m grpc_tools.protoc --grpc_python_out=...`), not as a
`protoc-gen-*` executable, and buf's `protoc_builtin` only knows protoc's own
generators. This adapter speaks the plugin protocol on stdin/stdout: it hands
the request's descriptors to that embedded protoc and returns what it wrote.
"""

import pathlib
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as work:
        work_dir = pathlib.Path(work)
        descriptors = work_dir / "descriptors.binpb"
        descriptors.write_bytes(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out_dir = work_dir / "out"
        out_dir.mkdir()
        option = f"--grpc_python_opt={request.parameter}" if request.parameter else None
        args = ["grpc_tools.protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={out_dir}"]
        if option:
            args.append(option)
        exit_code = protoc.main([*args, *request.file_to_generate])
        if exit_code != 0:
            response.error = f"grpc_tools.protoc exited with {exit_code}"
        else:
            for path in sorted(out_dir.rglob("*")):
                if path.is_file():
                    response.file.add(name=path.relative_to(out_dir).as_posix(), content=path.read_text())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
