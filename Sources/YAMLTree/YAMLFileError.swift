/// A problem in a YAML file, pointing at the file, the line and the key: `config.yaml:7: poll_interval_secs: ...`.
public struct YAMLFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let line: Int
    public let key: String?
    public let problem: String

    public init(file: String, line: Int, key: String?, problem: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key { "\(file):\(line): \(key): \(problem)" } else { "\(file):\(line): \(problem)" }
    }
}
