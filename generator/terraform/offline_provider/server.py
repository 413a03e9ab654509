"""The gRPC side: go-plugin handshake, tfplugin6 service, and exiting when orphaned.

go-plugin facts this relies on (Terraform starts one provider process per provider
configuration, and per command):

* Terraform sets ``TF_PLUGIN_MAGIC_COOKIE`` and ``PLUGIN_CLIENT_CERT`` (it always uses
  automatic mutual TLS) and reads one line from the plugin's stdout:
  ``1|6|unix|<socket>|grpc|<server certificate, DER, base64 without padding>``.
* It stops a plugin with ``plugin.GRPCController/Shutdown`` and kills it if it lingers.
* A plugin whose Terraform crashed is never told: the watchdog thread below exits when the
  parent process changes (re-parented) or after an hour without a call.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import sys
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

from generator.terraform.offline_provider import schema as schemas
from generator.terraform.offline_provider.values import (
    Context,
    decode,
    encode,
    fill,
)

CACHE_ENV = "GEN_OFFLINE_PROVIDER_CACHE"
MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
IDLE_TIMEOUT_SECONDS = float(os.environ.get("GEN_OFFLINE_PROVIDER_IDLE_TIMEOUT", "3600"))
WATCH_INTERVAL_SECONDS = 0.2


def _certificate() -> tuple[bytes, bytes, bytes]:
    """A fresh self-signed localhost certificate: (key PEM, cert PEM, cert DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        key_pem,
        cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.DER),
    )


class _Activity:
    def __init__(self) -> None:
        self.last = time.monotonic()
        self.stop = threading.Event()

    def touch(self) -> None:
        self.last = time.monotonic()


def _watchdog(activity: _Activity, parent: int) -> None:
    """Exit the process when orphaned or idle: a crashed Terraform never says goodbye."""
    while not activity.stop.wait(WATCH_INTERVAL_SECONDS):
        if os.getppid() != parent or time.monotonic() - activity.last > IDLE_TIMEOUT_SECONDS:
            os._exit(0)


def _touch_and(activity: _Activity, value: bytes) -> bytes:
    activity.touch()
    return value


def _account_of(config: dict[str, Any]) -> str | None:
    roles = config.get("assume_role") or []
    for role in roles if isinstance(roles, list) else []:
        arn = role.get("role_arn") if isinstance(role, dict) else None
        if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[4].isdigit():
            return arn.split(":")[4]
    allowed = config.get("allowed_account_ids") or []
    if isinstance(allowed, list) and allowed and isinstance(allowed[0], str):
        return str(sorted(allowed)[0])
    return None


class _Schemas:
    """One provider's schemas, from the serialized ``GetProviderSchema`` response; a type's
    :class:`~schemas.Body` is built the first time it is planned."""

    def __init__(self, pb: Any, name: str, raw: bytes) -> None:
        self.name = name
        self.raw = raw
        self._pb = pb
        self._response: Any = None  # parsed on first use: most processes only serve `raw`
        self._bodies: dict[tuple[str, str], schemas.Body | None] = {}

    @property
    def response(self) -> Any:
        if self._response is None:
            response = self._pb.GetProviderSchema.Response()
            response.ParseFromString(self.raw)
            self._response = response
        return self._response

    @property
    def resources(self) -> Any:
        return self.response.resource_schemas

    @property
    def data_sources(self) -> Any:
        return self.response.data_source_schemas

    def body(self, kind: str, type_name: str) -> schemas.Body | None:
        key = (kind, type_name)
        if key not in self._bodies:
            table = self.resources if kind == "resource" else self.data_sources
            found = table.get(type_name)
            self._bodies[key] = None if found is None else schemas.body_from_proto(found.block)
        return self._bodies[key]


def make_servicer(
    pb: Any, rpc: Any, provider: _Schemas, activity: _Activity, shared: bool = False
) -> Any:
    """The tfplugin6 ``Provider`` servicer for ``provider``."""

    def dyn(value: Any) -> Any:
        return pb.DynamicValue(msgpack=encode(value))

    def error(summary: str, detail: str = "") -> Any:
        return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)

    class Servicer(rpc.ProviderServicer):  # type: ignore[misc]
        def __init__(self) -> None:
            self.ctx = Context(provider=provider.name)

        def _capabilities(self) -> Any:
            return pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True)

        def GetMetadata(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.GetMetadata.Response(
                server_capabilities=self._capabilities(),
                resources=[
                    pb.GetMetadata.ResourceMetadata(type_name=t) for t in provider.resources
                ],
                data_sources=[
                    pb.GetMetadata.DataSourceMetadata(type_name=t) for t in provider.data_sources
                ],
            )

        def GetProviderSchema(self, request: Any, context: Any) -> Any:
            activity.touch()  # served pre-serialized by _raw_schema_handler; kept for clarity
            return provider.response

        def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.ValidateProviderConfig.Response()

        def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.ValidateResourceConfig.Response()

        def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.ValidateDataResourceConfig.Response()

        def ConfigureProvider(self, request: Any, context: Any) -> Any:
            activity.touch()
            if shared:
                return pb.ConfigureProvider.Response()
            config = decode(request.config.msgpack, request.config.json) or {}
            region = config.get("region")
            if isinstance(region, str) and region:
                self.ctx.region = region
            account = _account_of(config)
            if account:
                self.ctx.account = account
            return pb.ConfigureProvider.Response()

        def UpgradeResourceState(self, request: Any, context: Any) -> Any:
            activity.touch()
            state = decode(b"", request.raw_state.json)
            return pb.UpgradeResourceState.Response(upgraded_state=dyn(state))

        def ReadResource(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.ReadResource.Response(
                new_state=request.current_state, private=request.private
            )

        def PlanResourceChange(self, request: Any, context: Any) -> Any:
            activity.touch()
            body = provider.body("resource", request.type_name)
            if body is None:
                return pb.PlanResourceChange.Response(
                    diagnostics=[error(f"unknown resource type {request.type_name}")]
                )
            prior = decode(request.prior_state.msgpack, request.prior_state.json)
            proposed = decode(request.proposed_new_state.msgpack, request.proposed_new_state.json)
            if proposed is None:
                return pb.PlanResourceChange.Response(planned_state=dyn(None))
            planned = fill(
                request.type_name,
                body,
                proposed,
                self.ctx,
                unknown_top_level=prior is None,
                planning=True,
            )
            return pb.PlanResourceChange.Response(
                planned_state=dyn(planned), planned_private=request.prior_private
            )

        def ApplyResourceChange(self, request: Any, context: Any) -> Any:
            activity.touch()
            body = provider.body("resource", request.type_name)
            planned = decode(request.planned_state.msgpack, request.planned_state.json)
            if planned is None or body is None:
                return pb.ApplyResourceChange.Response(new_state=dyn(None))
            state = fill(request.type_name, body, planned, self.ctx, unknown_top_level=False)
            return pb.ApplyResourceChange.Response(
                new_state=dyn(state), private=request.planned_private
            )

        def ReadDataSource(self, request: Any, context: Any) -> Any:
            activity.touch()
            body = provider.body("data", request.type_name)
            if body is None:
                return pb.ReadDataSource.Response(
                    diagnostics=[error(f"unknown data source {request.type_name}")]
                )
            config = decode(request.config.msgpack, request.config.json)
            state = fill(request.type_name, body, config, self.ctx, unknown_top_level=False)
            return pb.ReadDataSource.Response(state=dyn(state))

        def ImportResourceState(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.ImportResourceState.Response(
                diagnostics=[error("the offline provider cannot import existing resources")]
            )

        def MoveResourceState(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.MoveResourceState.Response(
                diagnostics=[error("the offline provider cannot move resource state")]
            )

        def GetFunctions(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.GetFunctions.Response()

        def StopProvider(self, request: Any, context: Any) -> Any:
            activity.touch()
            return pb.StopProvider.Response()

    return Servicer()


def serve(name: str, reattach: bool = False) -> int:
    """Serve provider ``name``: as a go-plugin plugin Terraform starts (TLS, handshake line),
    or, ``reattach``, as ONE long-lived server that every Terraform command of a session
    reaches through ``TF_REATTACH_PROVIDERS`` (printed as a JSON line): no process start per
    provider configuration and command. A shared server ignores ``Shutdown`` and the region
    and account of ``ConfigureProvider`` (every configuration reaches the same process, so its
    placeholders must not depend on which configured last)."""
    if not reattach and os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This is gen's offline Terraform provider, a plugin: Terraform runs it "
            "(gen lint's terraform check sets that up).",
            file=sys.stderr,
        )
        return 1
    activity = _Activity()
    threading.Thread(target=_watchdog, args=(activity, os.getppid()), daemon=True).start()

    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.gen import tfplugin_pb2 as pb
    from tf.gen import tfplugin_pb2_grpc as rpc

    cache = os.environ.get(CACHE_ENV)
    provider = _Schemas(
        pb, name, schemas.cached_schema_bytes(pb, name, Path(cache) if cache else None)
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    # The schema is the one big message: serve its bytes as they are (aws: 2.7 MB).
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "tfplugin6.Provider",
                {
                    "GetProviderSchema": grpc.unary_unary_rpc_method_handler(
                        lambda request, context: _touch_and(activity, provider.raw),
                        request_deserializer=pb.GetProviderSchema.Request.FromString,
                        response_serializer=lambda raw: raw,
                    )
                },
            ),
        )
    )
    rpc.add_ProviderServicer_to_server(
        make_servicer(pb, rpc, provider, activity, shared=reattach), server
    )

    class Controller(controller_rpc.GRPCControllerServicer):  # type: ignore[misc]
        def Shutdown(self, request: Any, context: Any) -> Any:
            if not reattach:
                activity.stop.set()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):  # type: ignore[misc]
        def StreamStdio(self, request: Any, context: Any) -> Any:
            return iter(())

    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)

    with tempfile.TemporaryDirectory(prefix="gen-tfp-") as tmp:
        socket = os.path.join(tmp, "plugin.sock")
        if reattach:
            # a private socket in a private directory; Terraform's reattach client speaks
            # plain gRPC (there is no handshake to exchange certificates in)
            server.add_insecure_port(f"unix://{socket}")
            server.start()
            address = {
                "Protocol": "grpc",
                "ProtocolVersion": 6,
                "Pid": os.getpid(),
                "Test": True,
                "Addr": {"Network": "unix", "String": socket},
            }
            line = json.dumps({f"registry.terraform.io/hashicorp/{name}": address})
        else:
            key_pem, cert_pem, cert_der = _certificate()
            credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
            server.add_secure_port(f"unix://{socket}", credentials)
            server.start()
            cert = base64.b64encode(cert_der).decode().rstrip("=")
            line = f"1|6|unix|{socket}|grpc|{cert}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        activity.stop.wait()
        server.stop(grace=0.2).wait(1.0)
    return 0


def main(argv: list[str]) -> int:
    reattach = argv[:1] == ["--reattach"]
    args = argv[1:] if reattach else argv
    if len(args) != 1 or args[0] not in schemas.PROVIDERS:
        print(
            f"usage: python -m generator.terraform.offline_provider [--reattach] "
            f"{{{','.join(schemas.PROVIDERS)}}}",
            file=sys.stderr,
        )
        return 2
    return serve(args[0], reattach)
