import CANModel
import Foundation

/// A parsed ingest: the content (already on disk, hashed) and the metadata fields, from an `/ingest`
/// form or from a finished partial upload.
struct IngestForm {
    /// The finished upload file, not yet installed.
    let upload: any StagedContent
    let hash: String
    /// `mime_type` field, else the file part's own Content-Type, else application/octet-stream.
    let mimeType: String
    let application: String?
    let tags: [String]
    let user: String?
    /// `filename` field, else the file part's filename.
    let filename: String?
    let metadata: [String: JSONValue]
    let createdAt: Int64?
    let expectedHash: String?

    /// Validates the text fields; throws 400 naming the first bad field.
    init(upload: any StagedContent, hash: String, fields: [String: [String]], filePartType: String?,
         filePartFilename: String?) throws {
        self.upload = upload
        self.hash = hash
        func last(_ name: String) -> String? {
            guard let value = fields[name]?.last?.trimmingWhitespace(), !value.isEmpty
            else { return nil }
            return value
        }
        mimeType = last("mime_type") ?? filePartType ?? "application/octet-stream"
        application = last("application")
        user = last("user")
        filename = last("filename") ?? filePartFilename
        tags = Self.tags(fields["tags", default: []])
        if let text = last("metadata") {
            guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                throw CANStoreError.badRequest("field 'metadata' must be a JSON object, got: \(text.prefix(200))")
            }
            metadata = object
        } else {
            metadata = [:]
        }
        if let text = last("created_at") {
            guard let value = Int64(text), value >= 0 else {
                throw CANStoreError.badRequest("field 'created_at' must be milliseconds since the epoch, got '\(text.prefix(40))'")
            }
            createdAt = value
        } else {
            createdAt = nil
        }
        if let text = last("expected_hash") {
            guard let value = AssetHash.normalized(text) else {
                throw CANStoreError.badRequest("field 'expected_hash' must be 64 hex digits, got '\(text.prefix(80))'")
            }
            expectedHash = value
        } else {
            expectedHash = nil
        }
    }

    /// Tags from every `tags` field, each comma-separated; trimmed, empty ones dropped, first occurrence kept.
    static func tags(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}
