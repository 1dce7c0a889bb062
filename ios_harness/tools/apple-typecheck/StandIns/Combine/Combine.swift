// Stand-in for Apple's Combine (iOS 18 / macOS 15 SDK): only what the SwiftUI
// shell uses (`ObservableObject`, `@Published`), declared as the SDK declares it.
// Bodies are `fatalError()`. How to add a declaration: tools/apple-typecheck/README.md.

/// https://developer.apple.com/documentation/combine/publisher
@available(iOS 13.0, macOS 10.15, *)
public protocol Publisher<Output, Failure> {
    associatedtype Output
    associatedtype Failure: Error
}

/// https://developer.apple.com/documentation/combine/observableobjectpublisher
@available(iOS 13.0, macOS 10.15, *)
final public class ObservableObjectPublisher: Publisher {
    public typealias Output = Void
    public typealias Failure = Never
    public init() { fatalError() }
}

/// https://developer.apple.com/documentation/combine/observableobject
@available(iOS 13.0, macOS 10.15, *)
public protocol ObservableObject: AnyObject {
    associatedtype ObjectWillChangePublisher: Publisher = ObservableObjectPublisher
        where Self.ObjectWillChangePublisher.Failure == Never
    var objectWillChange: Self.ObjectWillChangePublisher { get }
}

@available(iOS 13.0, macOS 10.15, *)
extension ObservableObject where Self.ObjectWillChangePublisher == ObservableObjectPublisher {
    /// https://developer.apple.com/documentation/combine/observableobject/objectwillchange-2oa5v
    public var objectWillChange: ObservableObjectPublisher { fatalError() }
}

/// https://developer.apple.com/documentation/combine/published
@available(iOS 13.0, macOS 10.15, *)
@propertyWrapper
public struct Published<Value> {
    /// https://developer.apple.com/documentation/combine/published/init(wrappedvalue:)
    public init(wrappedValue: Value) { fatalError() }
    /// https://developer.apple.com/documentation/combine/published/init(initialvalue:)
    public init(initialValue: Value) { fatalError() }

    /// https://developer.apple.com/documentation/combine/published/publisher
    public struct Publisher: Combine.Publisher {
        public typealias Output = Value
        public typealias Failure = Never
    }

    /// https://developer.apple.com/documentation/combine/published/projectedvalue
    public var projectedValue: Published<Value>.Publisher {
        mutating get { fatalError() }
        set { fatalError() }
    }

    @available(*, unavailable, message: "@Published is only available on properties of classes")
    public var wrappedValue: Value {
        get { fatalError() }
        set { fatalError() }
    }

    public static subscript<EnclosingSelf: AnyObject>(
        _enclosingInstance object: EnclosingSelf,
        wrapped wrappedKeyPath: ReferenceWritableKeyPath<EnclosingSelf, Value>,
        storage storageKeyPath: ReferenceWritableKeyPath<EnclosingSelf, Published<Value>>
    ) -> Value {
        get { fatalError() }
        set { fatalError() }
    }
}
