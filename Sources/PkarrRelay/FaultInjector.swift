import Synchronization

/// Numbers pkarr requests and decides which ones get an injected failure; reconfigurable at run time.
final class FaultInjector: Sendable {
    private let state: Mutex<(faults: RelayFaults, sequence: Int)>

    init(_ faults: RelayFaults) {
        state = Mutex((faults, 0))
    }

    var faults: RelayFaults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0 = (newValue, 0) } }
    }

    func nextRequest() -> InjectedFault? {
        state.withLock { state in
            state.sequence += 1
            return state.faults.fault(forRequest: state.sequence)
        }
    }
}
