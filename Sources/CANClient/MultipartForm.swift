import Foundation
import NIOCore

/// The multipart/form-data framing around an `/ingest` upload's fields and file.
struct MultipartForm {
    let boundary = "can-sync-" + UUID().uuidString
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The text fields followed by the `file` part's headers.
    func prefix(fields: [(String, String)], filename: String, mimeType: String) -> ByteBuffer {
        var text = ""
        for (name, value) in fields {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(Self.quoted(filename))\"\r\n"
        text += "Content-Type: \(mimeType)\r\n\r\n"
        return ByteBuffer(string: text)
    }

    var suffix: ByteBuffer { ByteBuffer(string: "\r\n--\(boundary)--\r\n") }

    private static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
