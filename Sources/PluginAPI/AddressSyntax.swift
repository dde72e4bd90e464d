#if canImport(Glibc)
import Glibc
#endif

/// Checks the ABI's address text forms, "IPv4:port" and "[IPv6]:port", so that a plugin never
/// hands the host an address it cannot dial (tickets, gossip and pkarr packets come from others).
public enum AddressSyntax {
    /// nil when `text` is a valid address; otherwise why it is not.
    public static func problem(with text: String) -> String? {
        let host: String
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return "'\(text)' is not [IPv6]:port"
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            port = text[text.index(close, offsetBy: 2)...]
            var scratch = in6_addr()
            guard inet_pton(AF_INET6, host, &scratch) == 1 else { return "'\(host)' in '\(text)' is not an IPv6 address" }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return "'\(text)' has no port (expected IPv4:port or [IPv6]:port)" }
            host = String(text[..<colon])
            port = text[text.index(after: colon)...]
            var scratch = in_addr()
            guard inet_pton(AF_INET, host, &scratch) == 1 else { return "'\(host)' in '\(text)' is not an IPv4 address" }
        }
        guard port.allSatisfy(\.isASCII), let number = Int(port), (1...65535).contains(number) else {
            return "port '\(port)' in '\(text)' is not 1-65535"
        }
        return nil
    }

    public static func isValid(_ text: String) -> Bool {
        problem(with: text) == nil
    }
}
