import Foundation
#if SWIFT_PACKAGE
@testable import MobenchHarnessCore
#else
@testable import MobenchHarness
#endif

/// A JSON Schema (draft 2020-12) check of the keywords the host's schemas use
/// ($ref, type, enum, const, properties, required, additionalProperties,
/// items, min/maxItems, minimum, maximum, min/maxLength, pattern, oneOf,
/// allOf with if/then), so `swift test` holds what the app writes against the
/// same schema files the host validates with the `jsonschema` package. The
/// host's end-to-end tests validate the real output with `jsonschema` too.
struct SchemaCheck {
    let root: JSONValue

    /// The host's `plan`, `report` or `progress` schema.
    init(schema name: String) throws {
        root = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: TestResources.schemaURL(name)))
    }

    /// Problems of `instance` against the schema (or the `$defs` entry `definition`).
    func problems(_ data: Data, definition: String? = nil) throws -> [String] {
        let instance = try JSONDecoder().decode(JSONValue.self, from: data)
        let schema: JSONValue = definition.map { .object(["$ref": .string("#/$defs/\($0)")]) } ?? root
        var found: [String] = []
        check(instance, schema, at: "$", into: &found)
        return found
    }

    private func resolve(_ reference: String) -> JSONValue {
        var node = root
        for part in reference.dropFirst(2).split(separator: "/") {
            guard case .object(let object) = node, let next = object[String(part)] else {
                return .null
            }
            node = next
        }
        return node
    }

    private func check(_ value: JSONValue, _ schema: JSONValue, at path: String, into found: inout [String]) {
        guard case .object(let s) = schema else {
            return
        }
        if case .string(let reference)? = s["$ref"] {
            check(value, resolve(reference), at: path, into: &found)
        }
        if case .array(let types)? = s["type"] {
            if !types.contains(where: { matches(value, type: $0) }) {
                found.append("\(path): \(value) is not of type \(types)")
            }
        } else if let type = s["type"], !matches(value, type: type) {
            found.append("\(path): \(value) is not of type \(type)")
        }
        if case .array(let options)? = s["enum"], !options.contains(value) {
            found.append("\(path): \(value) is not one of \(options)")
        }
        if let constant = s["const"], constant != value {
            found.append("\(path): \(value) is not \(constant)")
        }
        if case .array(let options)? = s["oneOf"] {
            let passing = options.filter { option in
                var inner: [String] = []
                check(value, option, at: path, into: &inner)
                return inner.isEmpty
            }
            if passing.count != 1 {
                found.append("\(path): matches \(passing.count) of oneOf")
            }
        }
        if case .array(let parts)? = s["allOf"] {
            for part in parts {
                guard case .object(let conditional) = part, let condition = conditional["if"] else {
                    check(value, part, at: path, into: &found)
                    continue
                }
                var inner: [String] = []
                check(value, condition, at: path, into: &inner)
                if inner.isEmpty, let then = conditional["then"] {
                    check(value, then, at: path, into: &found)
                }
            }
        }
        switch value {
        case .object(let object):
            let properties: [String: JSONValue]
            if case .object(let declared)? = s["properties"] {
                properties = declared
            } else {
                properties = [:]
            }
            if case .array(let required)? = s["required"] {
                for case .string(let key) in required where object[key] == nil {
                    found.append("\(path): missing required key \(key)")
                }
            }
            for (key, item) in object {
                if let property = properties[key] {
                    check(item, property, at: "\(path).\(key)", into: &found)
                } else if s["additionalProperties"] == .bool(false) {
                    found.append("\(path): key \(key) is not in the schema")
                }
            }
        case .array(let items):
            if case .number(let least)? = s["minItems"], Double(items.count) < least {
                found.append("\(path): fewer than \(least) items")
            }
            if case .number(let most)? = s["maxItems"], Double(items.count) > most {
                found.append("\(path): more than \(most) items")
            }
            if let itemSchema = s["items"] {
                for (index, item) in items.enumerated() {
                    check(item, itemSchema, at: "\(path)[\(index)]", into: &found)
                }
            }
        case .number(let number):
            if case .number(let least)? = s["minimum"], number < least {
                found.append("\(path): \(number) < \(least)")
            }
            if case .number(let most)? = s["maximum"], number > most {
                found.append("\(path): \(number) > \(most)")
            }
        case .string(let text):
            let length = Double(text.unicodeScalars.count)
            if case .number(let least)? = s["minLength"], length < least {
                found.append("\(path): shorter than \(least)")
            }
            if case .number(let most)? = s["maxLength"], length > most {
                found.append("\(path): longer than \(most) code points")
            }
            if case .string(let pattern)? = s["pattern"],
               let regex = try? NSRegularExpression(pattern: pattern),
               regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                found.append("\(path): '\(text)' does not match \(pattern)")
            }
        default:
            break
        }
    }

    private func matches(_ value: JSONValue, type: JSONValue) -> Bool {
        guard case .string(let name) = type else {
            return false
        }
        switch (name, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }
}
