// bad.swift — every marked line holds a distinct syntax error; the checker must fail.
import Foundation

public struct Broken: Codable {
    public let id: String
    public let count Int                // E1: missing ':' in property declaration
    public let tags: [String            // E2: unclosed array type

    public init(id: String, count: Int {  // E3: missing ')' in parameter list
        self.id = id
    }
}

public enum Kind: String, Codable {
    case a = "a",                       // E4: dangling comma
    case 1b                             // E5: identifier may not start with a digit
}

func f() -> Int {
    let x = (1 + 2                      // E6: unbalanced parenthesis
    return x
}

let s = "unterminated string literal    // E7: unterminated string
