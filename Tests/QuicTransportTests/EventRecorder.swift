import Foundation
import PluginHost

/// Collects a transport's connection events as they happen, for polling with `eventually`.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var closedReasons: [String] = []
    private var openedCount = 0

    init(_ transport: PeerTransport) {
        Task { [self] in
            for await event in transport.events {
                lock.withLock {
                    switch event {
                    case .opened: openedCount += 1
                    case .closed(_, _, let reason): closedReasons.append(reason)
                    }
                }
            }
        }
    }

    var closed: [String] { lock.withLock { closedReasons } }
    var opened: Int { lock.withLock { openedCount } }
}
