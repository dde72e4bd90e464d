import Foundation

/// A QUIC echo server written with Python's aioquic: an independent implementation to check the
/// transport plugin against. It uses a self-signed X.509 certificate made at start-up (aioquic has
/// no raw public keys), speaks ALPN "can-sync/1", and answers each stream with
/// "<protocol tag>|<payload>" after reading the plugin's tag header and the stream's end.
public final class AioquicServer: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    private let directory: TemporaryDirectory

    /// The Python interpreter with aioquic, from CAN_SYNC_PYTHON.
    public static func python() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["CAN_SYNC_PYTHON"], !python.isEmpty else {
            throw AioquicUnavailable(message: """
                CAN_SYNC_PYTHON is not set. The aioquic interop test needs a Python with aioquic: run \
                `python3 -m venv .venv-test && .venv-test/bin/pip install aioquic cryptography` in the package root, \
                then `export CAN_SYNC_PYTHON=$PWD/.venv-test/bin/python` (scripts/test.sh does both).
                """)
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw AioquicUnavailable(message: "CAN_SYNC_PYTHON=\(python) is not an executable file")
        }
        return python
    }

    public init() async throws {
        let python = try Self.python()
        directory = try TemporaryDirectory("aioquic")
        let script = directory.file("echo_server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        process = try ChildProcess(python, [script.path, directory.path], logURL: directory.file("server.log"))
        guard let port = await process.readyPort(timeout: 30) else {
            process.stop()
            throw AioquicUnavailable(message: "the aioquic server did not start (is aioquic installed in \(python)?): \(process.output)")
        }
        self.port = port
    }

    public var address: String { "127.0.0.1:\(port)" }

    /// The server's log: what it received, for failure messages.
    public var output: String { process.output }

    public func stop() { process.stop() }

    private static let script = #"""
import asyncio, datetime, os, sys
from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

def make_certificate(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aioquic-interop")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path

class TaggedEcho(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buffers = {}

    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            buffer = self.buffers.setdefault(event.stream_id, bytearray())
            buffer += event.data
            if event.end_stream:
                length = buffer[0]
                tag = bytes(buffer[1:1 + length])
                payload = bytes(buffer[1 + length:])
                print("stream", event.stream_id, "tag", tag.decode(), "bytes", len(payload), flush=True)
                self._quic.send_stream_data(event.stream_id, tag + b"|" + payload, end_stream=True)
                self.transmit()

async def main():
    cert, key = make_certificate(sys.argv[1])
    configuration = QuicConfiguration(is_client=False, alpn_protocols=["can-sync/1"])
    configuration.load_cert_chain(cert, key)
    server = await serve("127.0.0.1", 0, configuration=configuration, create_protocol=TaggedEcho)
    port = server._transport.get_extra_info("sockname")[1]
    print("READY", port, flush=True)
    await asyncio.Future()

asyncio.run(main())
"""#
}

/// The aioquic interop peer cannot run; the message says how to fix that.
public struct AioquicUnavailable: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
