import Foundation

/// Text limits of the schemas. JSON Schema's `maxLength` counts Unicode code
/// points, so strings are cut by Unicode scalars, never by `Character`s (one
/// Character can hold several scalars, e.g. a flag emoji or a combining accent).
///
/// Not named `Text`: the Xcode app target compiles Sources/Core and Sources/App
/// as one module, where a Core type named `Text` would hide `SwiftUI.Text`
/// (tools/apple-typecheck builds that module shape on Linux and catches it).
enum SchemaText {
    /// `text` cut to at most `maxScalars` Unicode scalars.
    static func truncated(_ text: String, toScalars maxScalars: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > maxScalars else {
            return text
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars.prefix(max(0, maxScalars)))
        return String(view)
    }
}
