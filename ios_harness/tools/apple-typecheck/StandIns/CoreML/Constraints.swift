// Core ML input constraints and MLMultiArray (stand-in; see Model.swift).

/// https://developer.apple.com/documentation/coreml/mlmultiarraydatatype
@available(iOS 11.0, macOS 10.13, *)
public enum MLMultiArrayDataType: Int, @unchecked Sendable {
    case double = 65600
    case float32 = 65568
    /// https://developer.apple.com/documentation/coreml/mlmultiarraydatatype/float16
    @available(iOS 16.0, macOS 12.0, *)
    case float16 = 65552
    case int32 = 131104
    /// Same value as `.double` (imported as an alias).
    @available(iOS 14.0, macOS 11.0, *)
    public static var float64: MLMultiArrayDataType { fatalError() }
    /// Same value as `.float32` (imported as an alias).
    @available(iOS 14.0, macOS 11.0, *)
    public static var float: MLMultiArrayDataType { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlmultiarray
@available(iOS 11.0, macOS 10.13, *)
open class MLMultiArray: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlmultiarray/init(shape:datatype:)
    public init(shape: [NSNumber], dataType: MLMultiArrayDataType) throws { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarray/datatype
    open var dataType: MLMultiArrayDataType { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarray/shape
    open var shape: [NSNumber] { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarray/count
    open var count: Int { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarray/subscript(_:)-9qnaw
    open subscript(idx: Int) -> NSNumber {
        get { fatalError() }
        set { fatalError() }
    }
}

@available(iOS 13.0, macOS 10.15, *)
extension MLMultiArray {
    /// https://developer.apple.com/documentation/coreml/mlmultiarray/withunsafemutablebytes(_:)
    @available(iOS 15.4, macOS 12.3, *)
    public func withUnsafeMutableBytes<R>(
        _ body: (_ ptr: UnsafeMutableRawBufferPointer, _ strides: [Int]) throws -> R
    ) rethrows -> R { fatalError() }

    /// https://developer.apple.com/documentation/coreml/mlmultiarray/withunsafemutablebufferpointer(oftype:_:)
    @available(iOS 15.4, macOS 12.3, *)
    public func withUnsafeMutableBufferPointer<S, R>(
        ofType type: S.Type,
        _ body: (_ ptr: UnsafeMutableBufferPointer<S>, _ strides: [Int]) throws -> R
    ) rethrows -> R where S: MLShapedArrayScalar { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlshapedarrayscalar
@available(iOS 15.0, macOS 12.0, *)
public protocol MLShapedArrayScalar {
    static var multiArrayDataType: MLMultiArrayDataType { get }
}

@available(iOS 15.0, macOS 12.0, *)
extension Int32: MLShapedArrayScalar {
    public static var multiArrayDataType: MLMultiArrayDataType { fatalError() }
}

@available(iOS 15.0, macOS 12.0, *)
extension Double: MLShapedArrayScalar {
    public static var multiArrayDataType: MLMultiArrayDataType { fatalError() }
}

@available(iOS 15.0, macOS 12.0, *)
extension Float: MLShapedArrayScalar {
    public static var multiArrayDataType: MLMultiArrayDataType { fatalError() }
}
// `Float16: MLShapedArrayScalar` (iOS 16 / macOS 15) is left out: Swift has no
// Float16 on x86_64 Linux, the harness writes half floats as raw UInt16 bits.

/// https://developer.apple.com/documentation/coreml/mlmultiarrayconstraint
@available(iOS 11.0, macOS 10.13, *)
open class MLMultiArrayConstraint: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlmultiarrayconstraint/shape
    open var shape: [NSNumber] { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarrayconstraint/datatype
    open var dataType: MLMultiArrayDataType { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarrayconstraint/shapeconstraint
    @available(iOS 12.0, macOS 10.14, *)
    open var shapeConstraint: MLMultiArrayShapeConstraint { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlmultiarrayshapeconstraint
@available(iOS 12.0, macOS 10.14, *)
open class MLMultiArrayShapeConstraint: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlmultiarrayshapeconstraint/type
    open var type: MLMultiArrayShapeConstraintType { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarrayshapeconstraint/sizerangefordimension
    open var sizeRangeForDimension: [NSValue] { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlmultiarrayshapeconstraint/enumeratedshapes
    open var enumeratedShapes: [[NSNumber]] { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlmultiarrayshapeconstrainttype
@available(iOS 12.0, macOS 10.14, *)
public enum MLMultiArrayShapeConstraintType: Int, @unchecked Sendable {
    case unspecified = 1
    case enumerated = 2
    case range = 3
}

/// https://developer.apple.com/documentation/coreml/mlimageconstraint
@available(iOS 11.0, macOS 10.13, *)
open class MLImageConstraint: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlimageconstraint/pixelshigh
    open var pixelsHigh: Int { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimageconstraint/pixelswide
    open var pixelsWide: Int { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimageconstraint/pixelformattype
    open var pixelFormatType: OSType { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimageconstraint/sizeconstraint
    @available(iOS 12.0, macOS 10.14, *)
    open var sizeConstraint: MLImageSizeConstraint { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlimagesizeconstraint
@available(iOS 12.0, macOS 10.14, *)
open class MLImageSizeConstraint: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlimagesizeconstraint/type
    open var type: MLImageSizeConstraintType { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimagesizeconstraint/pixelswiderange
    open var pixelsWideRange: NSRange { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimagesizeconstraint/pixelshighrange
    open var pixelsHighRange: NSRange { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimagesizeconstraint/enumeratedimagesizes
    open var enumeratedImageSizes: [MLImageSize] { fatalError() }
}

/// https://developer.apple.com/documentation/coreml/mlimagesizeconstrainttype
@available(iOS 12.0, macOS 10.14, *)
public enum MLImageSizeConstraintType: Int, @unchecked Sendable {
    case unspecified = 0
    case enumerated = 2
    case range = 3
}

/// https://developer.apple.com/documentation/coreml/mlimagesize
@available(iOS 12.0, macOS 10.14, *)
open class MLImageSize: NSObject {
    /// https://developer.apple.com/documentation/coreml/mlimagesize/pixelswide
    open var pixelsWide: Int { fatalError() }
    /// https://developer.apple.com/documentation/coreml/mlimagesize/pixelshigh
    open var pixelsHigh: Int { fatalError() }
}
