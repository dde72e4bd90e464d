@_exported import CPluginAPI

/// An error a plugin reports across the ABI: a status code plus a message for the operator.
public struct PluginFailure: Error, CustomStringConvertible {
    public var status: csync_status
    public var message: String

    public init(_ status: csync_status = CSYNC_ERR_INVALID, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}

extension UnsafeMutablePointer where Pointee == csync_error {
    /// Writes `message` into the caller-owned error buffer, truncated to fit.
    public func write(_ message: String) {
        withUnsafeMutableBytes(of: &pointee.message) { raw in
            let bytes = Array(message.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
    }
}

/// Runs `body`, turning a thrown error into a status code and a message in `err`.
public func reportingFailure(_ err: UnsafeMutablePointer<csync_error>?, _ body: () throws -> Void) -> csync_status {
    do {
        try body()
        return CSYNC_OK
    } catch let failure as PluginFailure {
        err?.write(failure.message)
        return failure.status
    } catch {
        err?.write(String(describing: error))
        return CSYNC_ERR_INTERNAL
    }
}

/// Makes a C string that lives for the rest of the process: for descriptor names and field lists.
public func immortalCString(_ text: String) -> UnsafePointer<CChar> {
    UnsafePointer(strdupUTF8(text))
}

/// Makes a NULL-terminated array of immortal C strings (for `csync_filter_vtable.fields`).
public func immortalCStringArray(_ items: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
    let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: items.count + 1)
    for (index, item) in items.enumerated() { array[index] = immortalCString(item) }
    array[items.count] = nil
    return UnsafePointer(array)
}

func strdupUTF8(_ text: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = Array(text.utf8CString)
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    copy.initialize(from: utf8, count: utf8.count)
    return copy
}

/// Copies `value` to memory that is never freed and returns its address: for the static
/// descriptor and function tables a plugin's entry symbol hands out.
public func immortal<Value>(_ value: Value) -> UnsafePointer<Value> {
    let pointer = UnsafeMutablePointer<Value>.allocate(capacity: 1)
    pointer.initialize(to: value)
    return UnsafePointer(pointer)
}
