import CCurl
import CCurlShims
import Foundation

/// Blocking HTTP for the plugin's own thread, through libcurl: GET and PUT of relay payloads.
/// One easy handle is reused so connections to a relay stay open between requests.
final class RelayHTTPClient {
    /// What a relay answered.
    struct Reply {
        var status: Int
        var body: [UInt8]
        /// From a `Retry-After` header in seconds or as an HTTP date.
        var retryAfterSeconds: Double?
    }

    /// Bodies larger than this are cut off: a relay payload is at most 1072 bytes.
    static let bodyLimit = 4096

    private let handle: UnsafeMutableRawPointer
    private let userAgent: String
    private let stop: StopSignal

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    init(userAgent: String, stop: StopSignal) throws {
        guard Self.globalInit, let handle = curl_easy_init() else {
            throw RelayRequestFailure(url: "", reason: "libcurl could not be initialized")
        }
        self.handle = handle
        self.userAgent = userAgent
        self.stop = stop
    }

    deinit { curl_easy_cleanup(handle) }

    func get(_ url: String) throws(RelayRequestFailure) -> Reply {
        try perform(url, body: nil, timeoutSeconds: 10, headers: ["Cache-Control: no-cache"])
    }

    func put(_ url: String, body: [UInt8]) throws(RelayRequestFailure) -> Reply {
        try perform(url, body: body, timeoutSeconds: 15,
                    headers: ["Content-Type: application/octet-stream", "Expect:"])
    }

    private func perform(_ url: String, body: [UInt8]?, timeoutSeconds: Int, headers: [String]) throws(RelayRequestFailure) -> Reply {
        let sink = ResponseSink()
        let sinkPointer = Unmanaged.passRetained(sink).toOpaque()
        let stopPointer = Unmanaged.passUnretained(stop).toOpaque()
        defer { Unmanaged<ResponseSink>.fromOpaque(sinkPointer).release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in headers { headerList = curl_slist_append(headerList, header) }
        defer { curl_slist_free_all(headerList) }

        curl_easy_reset(handle)
        curl_shim_setopt_string(handle, CURLOPT_URL, url)
        curl_shim_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        curl_shim_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        curl_shim_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 5)
        curl_shim_setopt_long(handle, CURLOPT_TIMEOUT, timeoutSeconds)
        curl_shim_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        curl_shim_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList)
        curl_shim_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer)
        curl_shim_setopt_write_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let sink = Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue()
            let length = size * count
            guard sink.body.count + length <= RelayHTTPClient.bodyLimit else { return 0 }
            data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
            return length
        }
        curl_shim_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer)
        curl_shim_setopt_header_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let length = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue().header(line)
            return length
        }
        curl_shim_setopt_pointer(handle, CURLOPT_XFERINFODATA, stopPointer)
        curl_shim_setopt_xferinfo_function(handle) { user, _, _, _, _ in
            guard let user else { return 0 }
            return Unmanaged<StopSignal>.fromOpaque(user).takeUnretainedValue().isStopped ? 1 : 0
        }

        let code: CURLcode
        if let body {
            curl_shim_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "PUT")
            curl_shim_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            code = body.withUnsafeBufferPointer { bytes in
                curl_shim_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                return curl_easy_perform(handle)
            }
        } else {
            curl_shim_setopt_long(handle, CURLOPT_HTTPGET, 1)
            code = curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            throw RelayRequestFailure(url: url, reason: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        curl_shim_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Reply(status: status, body: sink.body, retryAfterSeconds: sink.retryAfterSeconds)
    }
}

/// A request that got no HTTP answer (DNS, connect, TLS, timeout, abort).
struct RelayRequestFailure: Error, CustomStringConvertible {
    var url: String
    var reason: String
    var description: String { "\(url): \(reason)" }
}

/// Collects one response's body and the headers the plugin needs.
private final class ResponseSink {
    var body: [UInt8] = []
    var retryAfterSeconds: Double?

    func header(_ line: String) {
        guard let colon = line.firstIndex(of: ":"),
              line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "retry-after" else { return }
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if let seconds = Double(value), seconds >= 0 {
            retryAfterSeconds = seconds
        } else {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            if let date = formatter.date(from: value) { retryAfterSeconds = max(0, date.timeIntervalSinceNow) }
        }
    }
}
