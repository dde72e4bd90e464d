import Foundation
import NIOCore

/// Reads an `/ingest` request body as it arrives: `MultipartStreamParser` splits the parts, the `file`
/// part goes straight to an `UploadFile` (hashed while written), the small text fields are kept.
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
            guard pair.count == 2, pair[0].trimmingWhitespace().lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if !value.isEmpty && value.utf8.count <= 200 { return value }
        }
        throw CANStoreError.badRequest("multipart/form-data Content-Type has no usable boundary parameter")
    }

    /// Consumes `body` and returns the validated form; on any failure the upload file is removed.
    func read<Body: AsyncSequence>(_ body: Body, boundary: String) async throws -> IngestForm
    where Body.Element == ByteBuffer {
        let collector = FormCollector(temporaryDirectory: temporaryDirectory)
        var parser = MultipartStreamParser(boundary: boundary)
        do {
            var received: Int64 = 0
            for try await chunk in body {
                received += Int64(chunk.readableBytes)
                if received > maxBodyBytes {
                    throw CANStoreError.tooLarge("request body exceeds this store's limit of \(maxBodyBytes) bytes")
                }
                do {
                    try parser.feed(chunk, collector.handle)
                } catch let error as MultipartStreamParser.SyntaxError {
                    throw CANStoreError.badRequest("malformed multipart body near byte \(received): \(error)")
                }
                try await collector.upload?.throttle()
            }
            guard parser.isComplete else {
                throw CANStoreError.badRequest("multipart body ended before its closing boundary")
            }
            guard let upload = collector.upload else {
                throw CANStoreError.badRequest("multipart body has no 'file' part")
            }
            let hash = try await upload.finish()
            return try IngestForm(upload: upload, hash: hash, fields: collector.fields,
                                  filePartType: collector.fileContentType, filePartFilename: collector.fileFilename)
        } catch {
            await collector.upload?.discard()
            throw error
        }
    }
}

/// Collects the parser's events: the `file` part into an `UploadFile`, the others as text fields.
private final class FormCollector {
    let temporaryDirectory: URL
    var fields: [String: [String]] = [:]
    var upload: UploadFile?
    var fileContentType: String?
    var fileFilename: String?

    private enum Kind { case file, field, ignored }

    private var kind = Kind.ignored
    private var fieldName = ""
    private var fieldValue: [UInt8] = []
    private var fieldBytes = 0

    init(temporaryDirectory: URL) {
        self.temporaryDirectory = temporaryDirectory
    }

    func handle(_ event: MultipartStreamParser.Event) throws {
        switch event {
        case .partBegin(let headers):
            try begin(headers)
        case .body(let buffer):
            switch kind {
            case .file:
                upload?.append(buffer)
            case .field:
                fieldBytes += buffer.readableBytes
                guard fieldValue.count + buffer.readableBytes <= MultipartIngestReader.maxFieldBytes,
                      fieldBytes <= MultipartIngestReader.maxTotalFieldBytes
                else {
                    throw CANStoreError.badRequest(
                        "form field '\(fieldName)' is too large (limit \(MultipartIngestReader.maxFieldBytes) bytes)")
                }
                fieldValue.append(contentsOf: buffer.readableBytesView)
            case .ignored:
                break
            }
        case .partEnd:
            if kind == .field {
                fields[fieldName, default: []].append(String(decoding: fieldValue, as: UTF8.self))
            }
            kind = .ignored
            fieldValue = []
        }
    }

    /// Decides what the part is from its headers.
    private func begin(_ headers: [(name: String, value: String)]) throws {
        var disposition = ContentDisposition("")
        var contentType: String?
        for (name, value) in headers {
            switch name.lowercased() {
            case "content-disposition": disposition = ContentDisposition(value)
            case "content-type": contentType = value
            default: continue
            }
        }
        switch disposition.name {
        case "file":
            guard upload == nil else { throw CANStoreError.badRequest("multipart body has more than one 'file' part") }
            upload = try UploadFile(directory: temporaryDirectory)
            fileContentType = contentType.flatMap { $0.isEmpty ? nil : $0 }
            fileFilename = disposition.filename.flatMap { $0.isEmpty ? nil : $0 }
            kind = .file
        case let name?:
            fieldName = name
            kind = .field
        case nil:
            kind = .ignored
        }
    }
}
