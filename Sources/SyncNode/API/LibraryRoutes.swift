import CANModel
import Foundation
import Hummingbird
import PluginHost

/// `/libraries`: create, list, show and remove libraries.
struct LibraryRoutes<Context: RequestContext>: Sendable {
    let libraries: LibraryRegistry
    let documents: DocumentStore

    func register(on router: Router<Context>) {
        router.post("/libraries") { request, context in
            let body = try await CreateLibraryBody.decode(request, context: context)
            let library: Library
            do {
                library = try libraries.create(name: body.name, filterJSON: body.filterJSON)
            } catch let error as FilterError {
                throw APIError.badRequest(error.message)
            } catch let error as LibraryError {
                throw APIError.badRequest(error.message)
            }
            return APIResponse(try view(library), status: .created)
        }
        router.get("/libraries") { _, _ in
            APIResponse(try libraries.all.map { try view($0.library) })
        }
        router.get("/libraries/{id}") { _, context in
            APIResponse(try view(try lookup(context)))
        }
        router.get("/libraries/{id}/entries") { _, context in
            let library = try lookup(context)
            return APIResponse(try documents.entries(library.id).map(EntryView.init))
        }
        router.delete("/libraries/{id}") { _, context in
            let library = try lookup(context)
            try libraries.remove(library.id)
            return APIResponse(RemovedLibrary(id: library.id.uuidString.lowercased(), deleted: true))
        }
    }

    private func lookup(_ context: Context) throws -> Library {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw APIError.badRequest("'\(text)' is not a library id (a UUID)") }
        guard let active = libraries.active(id) else { throw APIError.notFound("no library \(text)") }
        return active.library
    }

    func view(_ library: Library) throws -> LibraryView {
        let counts = try documents.counts(library.id)
        return LibraryView(
            id: library.id.uuidString.lowercased(), name: library.name,
            filter: (try? JSONDecoder().decode(JSONValue.self, from: Data(library.filterJSON.utf8))) ?? .object([:]),
            createdAt: library.createdAt, entryCount: counts.live, tombstoneCount: counts.tombstones,
            missingBlobs: counts.missing, lastAnnounceAt: library.lastAnnounceAt, inviter: library.inviter?.hex)
    }
}

/// The body of `POST /libraries`: `{"name": "...", "filter": {...}}`.
struct CreateLibraryBody {
    var name: String
    var filterJSON: String

    static func decode(_ request: Request, context: some RequestContext) async throws -> CreateLibraryBody {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw APIError.badRequest(#"body must be a JSON object such as {"name": "images", "filter": {"mime_prefix": "image/"}}"#)
        }
        if let unknown = object.keys.sorted().first(where: { !["name", "filter"].contains($0) }) {
            throw APIError.badRequest("unknown field '\(unknown)' (a library has 'name' and 'filter')")
        }
        guard let name = object["name"] as? String else {
            throw APIError.badRequest("field 'name' is required and must be a string")
        }
        let filter = object["filter"] ?? [String: Any]()
        guard filter is [String: Any] else {
            throw APIError.badRequest("field 'filter' must be a JSON object such as {\"application\": \"paste\"}")
        }
        let filterData = try JSONSerialization.data(withJSONObject: filter, options: [.sortedKeys])
        return CreateLibraryBody(name: name, filterJSON: String(decoding: filterData, as: UTF8.self))
    }
}

/// The body of a `DELETE /libraries/{id}` answer.
struct RemovedLibrary: Encodable, Sendable {
    var id: String
    var deleted: Bool
}

/// A library as the API shows it.
struct LibraryView: Encodable, Sendable {
    var id: String
    var name: String
    var filter: JSONValue
    var createdAt: Int64
    var entryCount: Int
    var tombstoneCount: Int
    var missingBlobs: Int
    var lastAnnounceAt: Int64?
    var inviter: String?

    enum CodingKeys: String, CodingKey {
        case id, name, filter
        case createdAt = "created_at", entryCount = "entry_count", tombstoneCount = "tombstone_count"
        case lastAnnounceAt = "last_announce_at", missingBlobs = "missing_blobs", inviter
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(filter, forKey: .filter)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(entryCount, forKey: .entryCount)
        try container.encode(tombstoneCount, forKey: .tombstoneCount)
        try container.encode(missingBlobs, forKey: .missingBlobs)
        try container.encode(lastAnnounceAt, forKey: .lastAnnounceAt)
        try container.encode(inviter, forKey: .inviter)
    }
}
