/// The JSON envelope every CAN Service response uses: `{"status":"success","data":...}` or
/// `{"status":"error","error":"..."}`.
public struct Envelope<Payload: Codable & Sendable>: Codable, Sendable {
    public var status: String
    public var data: Payload?
    public var error: String?

    public init(data: Payload) {
        status = "success"
        self.data = data
        error = nil
    }

    /// An envelope with `status` and nothing else yet, for a reader that fills it in.
    public init(status: String) {
        self.status = status
    }

    public var isSuccess: Bool { status == "success" }
}

/// The error form of the envelope, for responses that carry no payload.
public struct ErrorEnvelope: Codable, Sendable {
    public var status: String
    public var error: String

    public init(error: String) {
        status = "error"
        self.error = error
    }
}
