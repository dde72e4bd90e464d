import Foundation
import NIOCore

/// A streaming multipart/form-data parser (RFC 7578 framing): feed it the body as it arrives and it
/// reports each part's headers, its bytes in large runs, and its end.
///
/// The part bodies are searched for the delimiter with `memchr` and `memcmp`, so content costs one pass at memory
/// speed whatever bytes it holds; only fewer than a delimiter's length of bytes are ever held back between
/// chunks (plus a part's header block, capped at `maxHeaderBytes`).
struct MultipartStreamParser {
    enum Event {
        case partBegin(headers: [(name: String, value: String)])
        case body(ByteBuffer)
        case partEnd
    }

    struct SyntaxError: Error, CustomStringConvertible {
        let description: String
    }

    static let maxHeaderBytes = 16 << 10

    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    /// `CRLF--boundary`: every delimiter, including the first once a virtual CRLF is put in front of the body.
    private let delimiter: [UInt8]
    private var state = State.preamble
    private var pending: ByteBuffer

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        pending = ByteBuffer(string: "\r\n")
    }

    /// Whether the closing delimiter has been seen.
    var isComplete: Bool { state == .epilogue }

    mutating func feed(_ chunk: ByteBuffer, _ emit: (Event) throws -> Void) throws {
        guard state != .epilogue else { return }
        if pending.readableBytes == 0 {
            pending = chunk
        } else {
            var chunk = chunk
            pending.writeBuffer(&chunk)
        }
        while try step(emit) {}
        if pending.readableBytes == 0 {
            pending.clear()
        } else if pending.readerIndex > 64 << 10 {
            // What is left is a possible delimiter's start, a few bytes: moving it to the front keeps
            // the buffer near one chunk's size instead of growing towards the whole part.
            pending.discardReadBytes()
        }
    }

    /// Processes what it can of `pending`; returns whether to go on.
    private mutating func step(_ emit: (Event) throws -> Void) throws -> Bool {
        switch state {
        case .preamble:
            if let index = find(delimiter) {
                pending.moveReaderIndex(forwardBy: index + delimiter.count)
                state = .afterDelimiter
                return true
            }
            pending.moveReaderIndex(forwardBy: max(0, pending.readableBytes - (delimiter.count - 1)))
            return false
        case .afterDelimiter:
            // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
            while let byte = pending.getInteger(at: pending.readerIndex, as: UInt8.self), byte == 0x20 || byte == 0x09 {
                pending.moveReaderIndex(forwardBy: 1)
            }
            guard pending.readableBytes >= 2 else { return false }
            let pair = pending.getBytes(at: pending.readerIndex, length: 2)!
            pending.moveReaderIndex(forwardBy: 2)
            if pair == [0x2D, 0x2D] {
                state = .epilogue
                pending.clear()
                return false
            }
            guard pair == [0x0D, 0x0A] else {
                throw SyntaxError(description: "a multipart delimiter must be followed by CRLF or '--'")
            }
            state = .headers
            return true
        case .headers:
            if pending.readableBytesView.starts(with: [0x0D, 0x0A]) {
                pending.moveReaderIndex(forwardBy: 2)
                try emit(.partBegin(headers: []))
                state = .body
                return true
            }
            guard let end = find([0x0D, 0x0A, 0x0D, 0x0A]) else {
                if pending.readableBytes > Self.maxHeaderBytes {
                    throw SyntaxError(description: "multipart part headers exceed \(Self.maxHeaderBytes) bytes")
                }
                return false
            }
            let block = pending.readString(length: end) ?? ""
            pending.moveReaderIndex(forwardBy: 4)
            try emit(.partBegin(headers: try Self.headers(block)))
            state = .body
            return true
        case .body:
            if let index = find(delimiter) {
                if index > 0 { try emit(.body(pending.readSlice(length: index)!)) }
                pending.moveReaderIndex(forwardBy: delimiter.count)
                try emit(.partEnd)
                state = .afterDelimiter
                return true
            }
            let safe = pending.readableBytes - (delimiter.count - 1)
            if safe > 0 { try emit(.body(pending.readSlice(length: safe)!)) }
            return false
        case .epilogue:
            return false
        }
    }

    /// The offset of `needle` in the readable bytes, if present: `memchr` to each candidate first byte, then
    /// `memcmp`, both vectorised by libc.
    private func find(_ needle: [UInt8]) -> Int? {
        pending.withUnsafeReadableBytes { haystack -> Int? in
            guard let base = haystack.baseAddress, haystack.count >= needle.count else { return nil }
            return needle.withUnsafeBytes { needle -> Int? in
                let first = Int32(needle[0])
                let lastStart = haystack.count - needle.count
                var offset = 0
                while offset <= lastStart {
                    guard let hit = memchr(base + offset, first, lastStart - offset + 1) else { return nil }
                    let candidate = UnsafeRawPointer(hit) - base
                    if memcmp(base + candidate, needle.baseAddress!, needle.count) == 0 { return candidate }
                    offset = candidate + 1
                }
                return nil
            }
        }
    }

    private static func headers(_ block: String) throws -> [(name: String, value: String)] {
        try block.split(separator: "\r\n", omittingEmptySubsequences: true).map { line in
            guard let colon = line.firstIndex(of: ":") else {
                throw SyntaxError(description: "malformed multipart header line '\(line.prefix(100))'")
            }
            return (String(line[..<colon]).trimmingWhitespace(),
                    String(line[line.index(after: colon)...]).trimmingWhitespace())
        }
    }
}
