import Foundation

/// Drives real nodes through their HTTP APIs the way a user would: libraries, invites, joins,
/// and assets ingested into and read back from each node's store.
public enum SyncScenario {
    /// Creates a library on `node`; returns its id.
    public static func createLibrary(on node: NodeProcess, name: String, filter: [String: Any] = [:]) async throws -> String {
        let reply = try await TestHTTP.request("POST", "\(node.apiURL)/libraries", json: ["name": name, "filter": filter])
        guard reply.status == 201, let id = (reply.data as? [String: Any])?["id"] as? String else {
            throw ScenarioError("create library on \(node.apiURL) failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// Invites from `inviter` and joins on `joiner`.
    public static func share(_ library: String, from inviter: NodeProcess, to joiner: NodeProcess) async throws {
        let invite = try await TestHTTP.request("POST", "\(inviter.apiURL)/libraries/\(library)/invite")
        guard let ticket = (invite.data as? [String: Any])?["ticket"] as? String else {
            throw ScenarioError("invite failed: \(invite.status) \(invite.text)")
        }
        let join = try await TestHTTP.request("POST", "\(joiner.apiURL)/join", json: ["ticket": ticket])
        guard join.status == 201 else { throw ScenarioError("join failed: \(join.status) \(join.text)") }
    }

    /// Ingests `contents` into the node's store with multipart fields; returns the asset JSON.
    @discardableResult
    public static func ingest(_ contents: Data, into node: NodeProcess, fields: [String: String] = [:]) async throws -> [String: Any] {
        let boundary = "cansync-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += contents
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        let reply = try await TestHTTP.request("POST", "\(node.storeURL)/ingest", body: body,
                                               headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
        guard reply.status == 200, let asset = reply.data as? [String: Any] else {
            throw ScenarioError("ingest into \(node.storeURL) failed: \(reply.status) \(reply.text)")
        }
        return asset
    }

    /// The asset's metadata on the node's store, or nil when it does not have it (or deleted it).
    public static func meta(_ hash: String, on node: NodeProcess) async throws -> [String: Any]? {
        let reply = try await TestHTTP.get("\(node.storeURL)/asset/\(hash)/meta")
        guard reply.status == 200, let asset = reply.data as? [String: Any], asset["deleted"] as? Bool != true else { return nil }
        return asset
    }

    /// The asset's bytes on the node's store.
    public static func bytes(_ hash: String, on node: NodeProcess) async throws -> Data? {
        let reply = try await TestHTTP.get("\(node.storeURL)/asset/\(hash)")
        return reply.status == 200 ? reply.body : nil
    }

    public struct ScenarioError: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}
