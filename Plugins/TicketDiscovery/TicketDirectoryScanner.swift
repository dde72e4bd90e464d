import Foundation

/// Watches a directory of `*.ticket` files by polling, and reports each file once per change.
/// Used from the plugin's worker thread only.
final class TicketDirectoryScanner {
    /// What one scan found in a new or changed file.
    enum Finding {
        case ticket(EndpointTicket, path: String)
        case malformed(path: String, reason: String)
    }

    let directory: String
    private let ignoredPath: String
    private let ownNodeID: [UInt8]
    private var seen: [String: FileSignature] = [:]

    init(directory: String, ignoring ownTicketFile: String, ownNodeID: [UInt8]) {
        self.directory = directory
        self.ignoredPath = URL(fileURLWithPath: ownTicketFile).standardizedFileURL.path
        self.ownNodeID = ownNodeID
    }

    /// Reads every ticket file that appeared or changed since the last scan. Removed files are forgotten,
    /// so a file that comes back is reported again.
    func scan() -> [Finding] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var current: [String: FileSignature] = [:]
        var findings: [Finding] = []
        for name in names.sorted() where name.hasSuffix(".ticket") && !name.hasPrefix(".") {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).standardizedFileURL.path
            guard path != ignoredPath, let signature = FileSignature(path: path) else { continue }
            current[path] = signature
            if seen[path] == signature { continue }
            if let finding = read(path) { findings.append(finding) }
        }
        seen = current
        return findings
    }

    private func read(_ path: String) -> Finding? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return .malformed(path: path, reason: "cannot be opened for reading (check its permissions)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: EndpointTicket.maximumSize + 1)) ?? Data()
        do {
            let ticket = try EndpointTicket(parsing: data)
            return ticket.nodeID == ownNodeID ? nil : .ticket(ticket, path: path)
        } catch {
            return .malformed(path: path, reason: String(describing: error))
        }
    }
}
