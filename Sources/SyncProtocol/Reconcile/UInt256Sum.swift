/// A 256-bit unsigned integer under addition and subtraction modulo 2^256: the running sums of
/// item hashes behind `Fingerprint`. Limbs are little-endian (limb 0 least significant).
struct UInt256Sum: Equatable, Sendable {
    var l0: UInt64 = 0
    var l1: UInt64 = 0
    var l2: UInt64 = 0
    var l3: UInt64 = 0

    static let zero = UInt256Sum()

    /// Reads 32 little-endian bytes.
    init(littleEndian raw: UnsafeRawBufferPointer) {
        l0 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        l1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        l2 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        l3 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    init() {}

    static func + (lhs: UInt256Sum, rhs: UInt256Sum) -> UInt256Sum {
        var out = UInt256Sum()
        var carry: UInt64
        var overflow: Bool
        (out.l0, overflow) = lhs.l0.addingReportingOverflow(rhs.l0)
        carry = overflow ? 1 : 0
        (out.l1, carry) = Self.addWithCarry(lhs.l1, rhs.l1, carry)
        (out.l2, carry) = Self.addWithCarry(lhs.l2, rhs.l2, carry)
        (out.l3, _) = Self.addWithCarry(lhs.l3, rhs.l3, carry)
        return out
    }

    static func - (lhs: UInt256Sum, rhs: UInt256Sum) -> UInt256Sum {
        var out = UInt256Sum()
        var borrow: UInt64
        var overflow: Bool
        (out.l0, overflow) = lhs.l0.subtractingReportingOverflow(rhs.l0)
        borrow = overflow ? 1 : 0
        (out.l1, borrow) = Self.subtractWithBorrow(lhs.l1, rhs.l1, borrow)
        (out.l2, borrow) = Self.subtractWithBorrow(lhs.l2, rhs.l2, borrow)
        (out.l3, _) = Self.subtractWithBorrow(lhs.l3, rhs.l3, borrow)
        return out
    }

    private static func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let (s1, o1) = a.addingReportingOverflow(b)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        return (s2, (o1 ? 1 : 0) + (o2 ? 1 : 0))
    }

    private static func subtractWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
        let (d1, o1) = a.subtractingReportingOverflow(b)
        let (d2, o2) = d1.subtractingReportingOverflow(borrow)
        return (d2, (o1 ? 1 : 0) + (o2 ? 1 : 0))
    }

    /// 32 little-endian bytes.
    var littleEndianBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for limb in [l0, l1, l2, l3] {
            withUnsafeBytes(of: limb.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }
}
