import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Plain HTTP calls for tests that drive a real server from outside, as an API client would.
public enum TestHTTP {
    /// One response: status, body bytes, and the body parsed as a JSON object when it is one.
    public struct Reply: Sendable {
        public let status: Int
        public let body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        /// `data` of a `{"status":"success","data":...}` envelope.
        public var data: Any? { json?["data"] }
    }

    public static func request(_ method: String, _ url: String, json: Any? = nil, body: Data? = nil,
                               headers: [String: String] = [:], timeout: TimeInterval = 30) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    public static func get(_ url: String) async throws -> Reply { try await request("GET", url) }

    /// True once something answers HTTP at `url`.
    public static func isUp(_ url: String) async -> Bool {
        (try? await request("GET", url, timeout: 1)) != nil
    }
}
