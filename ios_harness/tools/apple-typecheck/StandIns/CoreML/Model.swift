// Stand-in for Apple's Core ML (iOS 18 / macOS 15 SDK): only the symbols
// ios_harness/Sources uses, declared as the SDK's Swift interface declares
// them (CoreML.swiftmodule and the Objective-C headers as Swift imports them).
// Bodies are `fatalError()`: this module exists to type-check, never to run.
// How to add a declaration: tools/apple-typecheck/README.md.
//
// Sendable: the Objective-C classes (MLModel, MLModelConfiguration, the
// descriptions and constraints) carry no NS_SWIFT_SENDABLE in the SDK headers,
// so they are not Sendable here either; imported NS_ENUMs and the Swift
// overlay's compute-plan value types are.
@_exported import CoreVideo
@_exported import Foundation

/// https://developer.apple.com/documentation/coreml/mlcomputeunits
@available(iOS 12.0, macOS 10.14, *)
public enum MLComputeUnits: Int, @unchecked Sendable {
    case cpuOnly = 0
    case cpuAndGPU = 1
    case all = 2
    /// https://developer.apple.com/documentation/coreml/mlcomputeunits/cpuandneuralengine
    @available(iOS 16.0, macOS 13.0, *)
    case cpuAndNeuralEngine = 3
}

/// https://developer.apple.com/documentation/coreml/mlmodelconfiguration
@available(iOS 12.0, macOS 10.14, *)
open class MLModelConfiguration: NSObject, NSCopying {
    public override init() { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmodelconfiguration/computeunits
    open var computeUnits: MLComputeUnits
    open func copy(with zone: NSZone? = nil) -> Any { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlmodel
@available(iOS 11.0, macOS 10.13, *)
open class MLModel: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlmodel/init(contentsof:configuration:)
    @available(iOS 12.0, macOS 10.14, *)
    public convenience init(contentsOf url: URL, configuration: MLModelConfiguration) throws { fatalError() }

    /// https://developer.apple.com/documentation/coreml/mlmodel/modeldescription
    open var modelDescription: MLModelDescription { fatalError() }

    /// https://developer.apple.com/documentation/coreml/mlmodel/prediction(from:)
    open func prediction(from input: any MLFeatureProvider) throws -> any MLFeatureProvider { fatalError() }

    /// The Swift overlay's async compile (the synchronous `compileModel(at:)` is deprecated):
    /// https://developer.apple.com/documentation/coreml/mlmodel/compilemodel(at:)-6442s
    @available(iOS 16.0, macOS 13.0, tvOS 16.0, *)
    @available(watchOS, unavailable)
    public class func compileModel(at url: URL) async throws -> URL { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlmodeldescription
@available(iOS 11.0, macOS 10.13, *)
open class MLModelDescription: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlmodeldescription/inputdescriptionsbyname
    open var inputDescriptionsByName: [String: MLFeatureDescription] { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlfeaturedescription
@available(iOS 11.0, macOS 10.13, *)
open class MLFeatureDescription: NSObject, NSCopying {
    /// https://developer.apple.com/documentation/coreml/mlfeaturedescription/name
    open var name: String { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturedescription/type
    open var type: MLFeatureType { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturedescription/multiarrayconstraint
    open var multiArrayConstraint: MLMultiArrayConstraint? { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturedescription/imageconstraint
    open var imageConstraint: MLImageConstraint? { fatalError() }
    open func copy(with zone: NSZone? = nil) -> Any { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlfeaturetype
@available(iOS 11.0, macOS 10.13, *)
public enum MLFeatureType: Int, @unchecked Sendable {
    case invalid = 0
    case int64 = 1
    case double = 2
    case string = 3
    case image = 4
    case multiArray = 5
    case dictionary = 6
    @available(iOS 12.0, macOS 10.14, *)
    case sequence = 7
    /// https://developer.apple.com/documentation/coreml/mlfeaturetype/state
    @available(iOS 18.0, macOS 15.0, *)
    case state = 8
}

/// https://developer.apple.com/documentation/coreml/mlfeatureprovider
@available(iOS 11.0, macOS 10.13, *)
public protocol MLFeatureProvider {
    var featureNames: Set<String> { get }
    func featureValue(for featureName: String) -> MLFeatureValue?
}

/// https://developer.apple.com/documentation/coreml/mldictionaryfeatureprovider
@available(iOS 11.0, macOS 10.13, *)
open class MLDictionaryFeatureProvider: NSObject, MLFeatureProvider {
    /// https://developer.apple.com/documentation/coreml/mldictionaryfeatureprovider/init(dictionary:)
    public init(dictionary: [String: Any]) throws { fatalError() }
    open var featureNames: Set<String> { fatalError() }
    open func featureValue(for featureName: String) -> MLFeatureValue? { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlfeaturevalue
@available(iOS 11.0, macOS 10.13, *)
open class MLFeatureValue: NSObject, NSCopying {
    /// https://developer.apple.com/documentation/coreml/mlfeaturevalue/init(multiarray:)
    public convenience init(multiArray value: MLMultiArray) { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturevalue/init(pixelbuffer:)
    public convenience init(pixelBuffer value: CVPixelBuffer) { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturevalue/init(double:)
    public convenience init(double value: Double) { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturevalue/init(int64:)
    public convenience init(int64 value: Int64) { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlfeaturevalue/init(string:)
    public convenience init(string value: String) { fatalError() }
    open func copy(with zone: NSZone? = nil) -> Any { fatalError() }
}
