import Foundation

/// An exclusive `flock` on `<data dir>/.lock`, held while a store serves the directory, so a second store
/// process cannot interleave writes with the first. The kernel drops it when the process dies.
final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    init(directory: URL) throws {
        let path = directory.appendingPathComponent(".lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CANStoreError.fault("could not open lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CANStoreError.fault(
                "data directory \(directory.path) is in use by another store process; stop it or choose another --data-dir")
        }
    }

    deinit { close(descriptor) }
}
