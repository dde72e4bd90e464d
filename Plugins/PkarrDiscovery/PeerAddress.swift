#if canImport(Glibc)
import Glibc
#endif

/// The ABI's address text forms, "IPv4:port" and "[IPv6]:port". Slot packets can be written by anyone
/// who knows the passphrase, so addresses read from them are checked before the host sees them.
enum PeerAddress {
    static func isValid(_ text: String) -> Bool {
        let host: String
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return false }
            host = String(text[text.index(after: text.startIndex)..<close])
            port = text[text.index(close, offsetBy: 2)...]
            var scratch = in6_addr()
            guard inet_pton(AF_INET6, host, &scratch) == 1 else { return false }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return false }
            host = String(text[..<colon])
            port = text[text.index(after: colon)...]
            var scratch = in_addr()
            guard inet_pton(AF_INET, host, &scratch) == 1 else { return false }
        }
        guard port.allSatisfy(\.isASCII), let number = Int(port), (1...65_535).contains(number) else { return false }
        return true
    }
}
