import Foundation
import MultipartKit
import NIOCore

/// Reads an `/ingest` request body as it arrives: MultipartKit's streaming parser splits the parts, the
/// `file` part goes straight to an `UploadFile` (hashed while written), the small text fields are kept.
/// The body is never held in memory as a whole.
struct MultipartIngestReader {
    /// Cap on one text field: metadata is JSON text, not content.
    static let maxFieldBytes = 1 << 20
    /// Cap on all text fields together.
    static let maxTotalFieldBytes = 8 << 20

    let temporaryDirectory: URL
    let maxBodyBytes: Int64

    /// The multipart boundary from a `multipart/form-data; boundary=...` Content-Type, or 400.
    static func boundary(fromContentType contentType: String?) throws -> String {
        guard let contentType,
              contentType.lowercased().hasPrefix("multipart/form-data")
        else {
            throw CANStoreError.badRequest(
                "ingest needs a multipart/form-data body with a 'file' part, got Content-Type '\(contentType ?? "none")'")
        }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if !value.isEmpty && value.utf8.count <= 200 { return value }
        }
        throw CANStoreError.badRequest("multipart/form-data Content-Type has no usable boundary parameter")
    }

    /// Consumes `body` and returns the validated form; on any failure the upload file is removed.
    func read<Body: AsyncSequence>(_ body: Body, boundary: String) async throws -> IngestForm
    where Body.Element == ByteBuffer {
        let collector = FormCollector(temporaryDirectory: temporaryDirectory)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { collector.header(name: $0, value: $1) }
        parser.onBody = { collector.body($0) }
        parser.onPartComplete = { collector.partComplete() }
        do {
            var received: Int64 = 0
            for try await chunk in body {
                received += Int64(chunk.readableBytes)
                if received > maxBodyBytes {
                    throw CANStoreError.tooLarge("request body exceeds this store's limit of \(maxBodyBytes) bytes")
                }
                do {
                    try parser.execute(chunk)
                } catch {
                    throw CANStoreError.badRequest("malformed multipart body after \(received) bytes")
                }
                if let failure = collector.failure { throw failure }
            }
            guard collector.completedParts > 0, !collector.inPart else {
                throw CANStoreError.badRequest("multipart body ended before its closing boundary")
            }
            guard let upload = collector.upload else {
                throw CANStoreError.badRequest("multipart body has no 'file' part")
            }
            let hash = try upload.finish()
            return try IngestForm(upload: upload, hash: hash, fields: collector.fields,
                                  filePartType: collector.fileContentType, filePartFilename: collector.fileFilename)
        } catch {
            collector.upload?.discard()
            throw error
        }
    }
}

/// The parser's callbacks land here; errors are kept and rethrown after each parser step, since the
/// callbacks cannot throw.
private final class FormCollector {
    let temporaryDirectory: URL
    var fields: [String: [String]] = [:]
    var upload: UploadFile?
    var fileContentType: String?
    var fileFilename: String?
    var failure: (any Error)?
    var completedParts = 0
    var inPart = false

    private var headers: [(String, String)] = []
    private var current: Part?
    private var fieldBytes = 0

    private enum Part {
        case file
        case field(name: String, bytes: [UInt8])
        case ignored
    }

    init(temporaryDirectory: URL) {
        self.temporaryDirectory = temporaryDirectory
    }

    func header(name: String, value: String) {
        inPart = true
        headers.append((name, value))
    }

    func body(_ buffer: ByteBuffer) {
        guard failure == nil else { return }
        inPart = true
        do {
            switch try currentPart() {
            case .file:
                try upload?.append(buffer)
            case .field(let name, var bytes):
                fieldBytes += buffer.readableBytes
                guard bytes.count + buffer.readableBytes <= MultipartIngestReader.maxFieldBytes,
                      fieldBytes <= MultipartIngestReader.maxTotalFieldBytes
                else {
                    throw CANStoreError.badRequest("form field '\(name)' is too large (limit \(MultipartIngestReader.maxFieldBytes) bytes)")
                }
                current = .ignored
                bytes.append(contentsOf: buffer.readableBytesView)
                current = .field(name: name, bytes: bytes)
            case .ignored:
                break
            }
        } catch {
            failure = error
        }
    }

    func partComplete() {
        guard failure == nil else { return }
        do {
            if case .field(let name, let bytes) = try currentPart() {
                fields[name, default: []].append(String(decoding: bytes, as: UTF8.self))
            }
        } catch {
            failure = error
        }
        completedParts += 1
        inPart = false
        headers = []
        current = nil
    }

    /// Decides what the part is from its headers, on its first byte (or at its end, if it is empty).
    private func currentPart() throws -> Part {
        if let current { return current }
        var disposition = ContentDisposition("")
        var contentType: String?
        for (name, value) in headers {
            switch name.lowercased() {
            case "content-disposition": disposition = ContentDisposition(value)
            case "content-type": contentType = value.trimmingCharacters(in: .whitespaces)
            default: continue
            }
        }
        let part: Part
        switch disposition.name {
        case "file":
            guard upload == nil else { throw CANStoreError.badRequest("multipart body has more than one 'file' part") }
            upload = try UploadFile(directory: temporaryDirectory)
            fileContentType = contentType.flatMap { $0.isEmpty ? nil : $0 }
            fileFilename = disposition.filename.flatMap { $0.isEmpty ? nil : $0 }
            part = .file
        case let name?:
            part = .field(name: name, bytes: [])
        case nil:
            part = .ignored
        }
        current = part
        return part
    }
}
