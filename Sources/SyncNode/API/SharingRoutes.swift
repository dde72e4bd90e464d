import Foundation
import Hummingbird
import PluginHost
import SyncProtocol

/// `POST /libraries/{id}/invite` and `POST /join`: sharing a library by ticket.
struct SharingRoutes<Context: RequestContext>: Sendable {
    let node: CANSyncNode

    func register(on router: Router<Context>) {
        router.post("/libraries/{id}/invite") { _, context in
            let text = context.parameters.get("id") ?? ""
            guard let id = UUID(uuidString: text) else { throw APIError.badRequest("'\(text)' is not a library id (a UUID)") }
            guard let library = node.libraries.active(id)?.library else { throw APIError.notFound("no library \(text)") }
            let addresses = node.reachableAddresses()
            let ticket = try LibraryTicket(libraryID: library.id, libraryName: library.name, filter: library.filterJSON,
                                           secret: library.secret, nodeID: node.identity.nodeID.publicKey,
                                           addresses: addresses)
            return APIResponse(InviteView(ticket: ticket.encoded(), libraryID: id.uuidString.lowercased(),
                                          nodeID: node.identity.nodeID.hex, addresses: addresses))
        }
        router.post("/join") { request, _ in
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any],
                  let text = object["ticket"] as? String else {
                throw APIError.badRequest(#"body must be {"ticket": "cansync..."}"#)
            }
            let ticket: LibraryTicket
            do {
                ticket = try LibraryTicket(decoding: text.trimmingCharacters(in: .whitespacesAndNewlines))
            } catch {
                throw APIError.badRequest("\(error)")
            }
            if node.libraries.active(ticket.libraryID) != nil {
                throw APIError(.conflict, "library \(ticket.libraryID.uuidString.lowercased()) is already synced on this node")
            }
            let library: Library
            do {
                library = try node.join(ticket)
            } catch let error as FilterError {
                throw APIError.badRequest("the ticket's filter is not accepted here: \(error.message)")
            } catch let error as LibraryError {
                throw APIError.badRequest(error.message)
            }
            return APIResponse(try LibraryRoutes<Context>(libraries: node.libraries, documents: node.documents).view(library),
                               status: .created)
        }
    }
}

/// The body of an invite answer.
struct InviteView: Encodable, Sendable {
    var ticket: String
    var libraryID: String
    var nodeID: String
    var addresses: [String]

    enum CodingKeys: String, CodingKey {
        case ticket, addresses, libraryID = "library_id", nodeID = "node_id"
    }
}
