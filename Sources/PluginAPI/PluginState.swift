/// Moves a Swift object across the ABI as the opaque `void *state` a plugin hands the host.
public enum PluginState {
    /// Retains `object` and returns the pointer to store in `*out_state`.
    public static func retain<Object: AnyObject>(_ object: Object) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(object).toOpaque()
    }

    /// The object behind a state pointer, without changing its retain count.
    public static func object<Object: AnyObject>(_ state: UnsafeMutableRawPointer?, as _: Object.Type = Object.self) -> Object {
        Unmanaged<Object>.fromOpaque(state!).takeUnretainedValue()
    }

    /// Releases the object retained by `retain` (call from `shutdown`).
    public static func release<Object: AnyObject>(_ state: UnsafeMutableRawPointer?, as _: Object.Type) {
        guard let state else { return }
        Unmanaged<Object>.fromOpaque(state).release()
    }
}
