import NIOCore

/// An upload's bytes as one async sequence: a prefix, the chunks of `body` as they come, then a suffix.
/// The suffix follows only a body that ended without an error, so a failed body never completes the
/// form it is part of.
struct FramedChunks<Body: AsyncSequence & Sendable>: AsyncSequence, Sendable where Body.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let prefix: ByteBuffer
    let body: Body
    let suffix: ByteBuffer

    func makeAsyncIterator() -> Iterator {
        Iterator(prefix: prefix, body: body.makeAsyncIterator(), suffix: suffix)
    }

    struct Iterator: AsyncIteratorProtocol {
        var prefix: ByteBuffer?
        var body: Body.AsyncIterator
        var suffix: ByteBuffer?

        mutating func next() async throws -> ByteBuffer? {
            if let first = prefix {
                prefix = nil
                return first
            }
            if suffix != nil, let chunk = try await body.next() { return chunk }
            defer { suffix = nil }
            return suffix
        }
    }
}
