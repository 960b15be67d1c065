"""A container health check for runtimes without native gRPC probes (compose, plain Docker).

    python /opt/grantflow/deploy/healthcheck.py grpc 127.0.0.1:50051 grantflow.applications.v1.ApplicationsService
    python /opt/grantflow/deploy/healthcheck.py http http://127.0.0.1:8080/readyz

Exit 0 when the gRPC health service says SERVING for that service name (or the HTTP answer is
200), 1 otherwise. Kubernetes does not need it: its `grpc` probes ask the same health service.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2


def grpc_serving(address: str, service: str, timeout: float) -> bool:
    with grpc.insecure_channel(address) as channel:
        # Through the channel: the health stubs' types do not declare their methods.
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        try:
            reply: health_pb2.HealthCheckResponse = check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def http_ok(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="healthcheck.py", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=3.0)
    kind = parser.add_subparsers(dest="kind", required=True)
    g = kind.add_parser("grpc", help="ask a gRPC server's health service")
    g.add_argument("address")
    g.add_argument("service", nargs="?", default="", help="health service name ('' = server)")
    h = kind.add_parser("http", help="expect 200 from a URL")
    h.add_argument("url")
    args = parser.parse_args(argv)
    if args.kind == "grpc":
        healthy = grpc_serving(args.address, args.service, args.timeout)
    else:
        healthy = http_ok(args.url, args.timeout)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
