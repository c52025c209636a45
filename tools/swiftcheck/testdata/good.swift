// good.swift — syntax-check fixture shaped like the generated GatewayModels.swift.
// It must parse with zero ERROR/MISSING nodes.

import Foundation

// MARK: - Plain Codable structs

public struct ConnectParams: Codable, Sendable, Equatable {
    public let minProtocol: Int
    public let maxProtocol: Int
    public let client: ClientInfo
    public let caps: [String]?
    public let auth: [String: AnyCodable]?
    public let locale: String?
    public let `protocol`: Int
    public let `default`: Bool?

    public init(
        minProtocol: Int,
        maxProtocol: Int,
        client: ClientInfo,
        caps: [String]? = nil,
        auth: [String: AnyCodable]? = nil,
        locale: String? = nil,
        `protocol`: Int,
        default: Bool? = nil  // keywords other than inout/var/let may be bare labels (SE-0001)
    ) {
        self.minProtocol = minProtocol
        self.maxProtocol = maxProtocol
        self.client = client
        self.caps = caps
        self.auth = auth
        self.locale = locale
        self.protocol = `protocol`
        self.default = `default`
    }

    private enum CodingKeys: String, CodingKey {
        case minProtocol = "min_protocol"
        case maxProtocol = "max_protocol"
        case client
        case caps
        case auth
        case locale
        case `protocol`
        case `default` = "default"
    }
}

public struct ClientInfo: Codable, Sendable, Equatable {
    public let id: String
    public let displayName: String?
    public let version: String
    public let platform: String
    public let instanceId: String?

    public init(id: String, displayName: String? = nil, version: String, platform: String, instanceId: String? = nil) {
        self.id = id
        self.displayName = displayName
        self.version = version
        self.platform = platform
        self.instanceId = instanceId
    }

    private enum CodingKeys: String, CodingKey {
        case id
        case displayName = "display_name"
        case version
        case platform
        case instanceId = "instance_id"
    }
}

public struct ErrorShape: Codable, Sendable {
    public let code: String
    public let message: String
    public let details: AnyCodable?
    public let retryable: Bool?
    public let retryAfterMs: Int?

    public init(code: String, message: String, details: AnyCodable? = nil, retryable: Bool? = nil, retryAfterMs: Int? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryable = retryable
        self.retryAfterMs = retryAfterMs
    }
}

public struct RequestFrame: Codable, Sendable {
    public let type: String
    public let id: String
    public let method: String
    public let params: AnyCodable?

    public init(type: String = "req", id: String, method: String, params: AnyCodable? = nil) {
        self.type = type
        self.id = id
        self.method = method
        self.params = params
    }
}

public struct ResponseFrame: Codable, Sendable {
    public let type: String
    public let id: String
    public let ok: Bool
    public let payload: AnyCodable?
    public let error: ErrorShape?
}

public struct EventFrame: Codable, Sendable {
    public let type: String
    public let event: String
    public let payload: AnyCodable?
    public let seq: Int?
    public let stateVersion: [String: Int]?
}

// MARK: - Discriminated union

public enum GatewayFrame: Codable, Sendable {
    case req(RequestFrame)
    case res(ResponseFrame)
    case event(EventFrame)
    case unknown(type: String, raw: [String: AnyCodable])

    private enum CodingKeys: String, CodingKey {
        case type
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "req":
            self = .req(try RequestFrame(from: decoder))
        case "res":
            self = .res(try ResponseFrame(from: decoder))
        case "event":
            self = .event(try EventFrame(from: decoder))
        default:
            let raw = try [String: AnyCodable](from: decoder)
            self = .unknown(type: type, raw: raw)
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case let .req(value):
            try value.encode(to: encoder)
        case let .res(value):
            try value.encode(to: encoder)
        case .event(let value):
            try value.encode(to: encoder)
        case let .unknown(_, raw):
            try raw.encode(to: encoder)
        }
    }
}

// MARK: - AnyCodable

public struct AnyCodable: Codable, @unchecked Sendable, Hashable {
    public let value: Any

    public init(_ value: Any) {
        self.value = value
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self.value = NSNull()
        } else if let boolVal = try? container.decode(Bool.self) {
            self.value = boolVal
        } else if let intVal = try? container.decode(Int.self) {
            self.value = intVal
        } else if let doubleVal = try? container.decode(Double.self) {
            self.value = doubleVal
        } else if let stringVal = try? container.decode(String.self) {
            self.value = stringVal
        } else if let arrayVal = try? container.decode([AnyCodable].self) {
            self.value = arrayVal.map { $0.value }
        } else if let dictVal = try? container.decode([String: AnyCodable].self) {
            self.value = dictVal.mapValues { $0.value }
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "Unsupported JSON value"
            )
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self.value {
        case is NSNull:
            try container.encodeNil()
        case let b as Bool:
            try container.encode(b)
        case let i as Int:
            try container.encode(i)
        case let d as Double:
            try container.encode(d)
        case let s as String:
            try container.encode(s)
        case let arr as [Any]:
            try container.encode(arr.map { AnyCodable($0) })
        case let dict as [String: Any]:
            try container.encode(dict.mapValues { AnyCodable($0) })
        case let nested as [String: [String: Any]]:
            try container.encode(nested.mapValues { inner in inner.mapValues { AnyCodable($0) } })
        default:
            let context = EncodingError.Context(
                codingPath: encoder.codingPath,
                debugDescription: "Unsupported value \(String(describing: self.value))"
            )
            throw EncodingError.invalidValue(self.value, context)
        }
    }

    public static func == (lhs: AnyCodable, rhs: AnyCodable) -> Bool {
        switch (lhs.value, rhs.value) {
        case (is NSNull, is NSNull):
            return true
        case let (l as Bool, r as Bool):
            return l == r
        case let (l as Int, r as Int):
            return l == r
        case let (l as Double, r as Double):
            return l == r
        case let (l as String, r as String):
            return l == r
        default:
            return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self.value {
        case let b as Bool: hasher.combine(b)
        case let i as Int: hasher.combine(i)
        case let d as Double: hasher.combine(d)
        case let s as String: hasher.combine(s)
        default: hasher.combine(0)
        }
    }
}

extension AnyCodable: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
    public init(booleanLiteral value: Bool) { self.init(value) }
}

// MARK: - Constants and nested literals

public enum GatewayProtocol {
    public static let version = 3
    public static let methods: [String] = ["connect", "chat.send", "sessions.list"]
    public static let sample: [String: AnyCodable] = [
        "name": AnyCodable("x"),
        "nested": AnyCodable(["a": 1, "b": [true, false], "c": ["d": NSNull()]] as [String: Any]),
        "list": AnyCodable([1, 2.5, "three"] as [Any]),
    ]
}

public enum SessionKind: String, Codable, Sendable, CaseIterable {
    case main
    case group
    case `default`
    case `protocol` = "protocol"
}
