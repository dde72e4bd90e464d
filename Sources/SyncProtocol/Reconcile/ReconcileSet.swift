import CSodium

/// An immutable snapshot of one side's items, sorted by key, with prefix sums of item hashes so
/// that the fingerprint of any index range costs two subtractions and one hash.
///
/// Build one per sync session from the library's current winners (asset hash → entry digest);
/// a set of 100 000 items builds in well under a second in a debug build.
public struct ReconcileSet: Sendable {
    /// Sorted by key, keys unique.
    public let items: [ReconcileItem]
    /// prefixSums[i] = sum of the hashes of items[0..<i].
    private let prefixSums: [UInt256Sum]

    /// Why items cannot form a set.
    public struct DuplicateKeyError: Error, Equatable, Sendable, CustomStringConvertible {
        public let key: Bytes32
        public var description: String { "two reconciliation items share the key \(key.hex): keep only the winning entry per asset" }
    }

    /// Sorts `items`; throws `DuplicateKeyError` if two share a key.
    public init(_ items: some Sequence<ReconcileItem>) throws {
        let sorted = items.sorted { $0.key < $1.key }
        for index in sorted.indices.dropFirst() where sorted[index - 1].key == sorted[index].key {
            throw DuplicateKeyError(key: sorted[index].key)
        }
        self.items = sorted
        var sums = [UInt256Sum]()
        sums.reserveCapacity(sorted.count + 1)
        var running = UInt256Sum.zero
        sums.append(running)
        var input = [UInt8](repeating: 0, count: 64)
        var output = [UInt8](repeating: 0, count: 32)
        Sodium.ensureReady()
        for item in sorted {
            input.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: item.key.w0.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: item.key.w1.bigEndian, toByteOffset: 8, as: UInt64.self)
                raw.storeBytes(of: item.key.w2.bigEndian, toByteOffset: 16, as: UInt64.self)
                raw.storeBytes(of: item.key.w3.bigEndian, toByteOffset: 24, as: UInt64.self)
                raw.storeBytes(of: item.value.w0.bigEndian, toByteOffset: 32, as: UInt64.self)
                raw.storeBytes(of: item.value.w1.bigEndian, toByteOffset: 40, as: UInt64.self)
                raw.storeBytes(of: item.value.w2.bigEndian, toByteOffset: 48, as: UInt64.self)
                raw.storeBytes(of: item.value.w3.bigEndian, toByteOffset: 56, as: UInt64.self)
            }
            _ = crypto_generichash(&output, 32, input, 64, nil, 0)
            running = running + output.withUnsafeBytes { UInt256Sum(littleEndian: $0) }
            sums.append(running)
        }
        prefixSums = sums
    }

    public var count: Int { items.count }

    /// The number of items whose key lies below `bound`.
    public func index(of bound: RangeBound) -> Int {
        if bound.isInfinity { return items.count }
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if items[middle].key < bound.value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// The fingerprint of items[range].
    public func fingerprint(_ range: Range<Int>) -> Fingerprint {
        let sum = prefixSums[range.upperBound] - prefixSums[range.lowerBound]
        var input = sum.littleEndianBytes
        withUnsafeBytes(of: UInt64(range.count).littleEndian) { input.append(contentsOf: $0) }
        let digest = Blake2b.hash(input, length: 32)
        return Fingerprint(digest.prefix(16))!
    }

    /// The fingerprint of the whole set.
    public var fingerprint: Fingerprint { fingerprint(0..<items.count) }
}
