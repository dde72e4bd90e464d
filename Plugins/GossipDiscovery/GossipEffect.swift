import PluginAPI

/// Something the protocol decided to do; the worker carries it out with no lock held.
enum GossipEffect {
    case send(to: [UInt8], bytes: [UInt8])
    case discovered([UInt8], addresses: [String])
    case log(csync_log_level, String)
}
