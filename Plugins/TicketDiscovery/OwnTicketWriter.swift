import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps this node's ticket file current: rewrites it (temp file + rename, so readers never see half a
/// ticket) when the addresses change or the file was removed or altered by someone else.
final class OwnTicketWriter {
    let path: String
    private let nodeID: [UInt8]
    private var written: (addresses: [String], signature: FileSignature)?

    init(path: String, nodeID: [UInt8]) {
        self.path = path
        self.nodeID = nodeID
    }

    /// Returns an error message when the file needed writing and could not be written.
    func update(addresses: [String]) -> String? {
        guard !addresses.isEmpty else { return nil }
        if let written, written.addresses == addresses, FileSignature(path: path) == written.signature { return nil }
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try EndpointTicket(nodeID: nodeID, addresses: addresses).encoded().write(to: temporary)
            guard rename(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                return "cannot rename \(temporary.path) to \(path): \(reason)"
            }
        } catch {
            return "cannot write own ticket \(path): \(error.localizedDescription) (check that the directory is writable)"
        }
        guard let signature = FileSignature(path: path) else { return "own ticket \(path) vanished right after it was written" }
        written = (addresses, signature)
        return nil
    }
}
