#if canImport(CoreML)
import CoreML
import CoreVideo
import Foundation

/// Why an input could not be made for a model.
struct InputSynthesisError: HarnessError {
    let description: String
}

/// Builds a prediction input for any model from its `MLModelDescription`.
///
/// No code per model: every input feature is synthesized from its constraint.
/// Multi-arrays get the constrained shape and data type with seeded values in
/// [-1, 1); images get a `CVPixelBuffer` of the constrained size and pixel
/// format (32BGRA / 32ARGB for colour, OneComponent8 / OneComponent16Half for
/// grayscale), IOSurface-backed so the Neural Engine can read it without a copy.
/// The input is built once per load, outside the timed region.
struct InputSynthesizer {
    var seed: UInt64 = 0x6D6F_6265_6E63_6801
    /// The plan's inputs by name: their shapes replace the model's default (a flexible-shape
    /// model runs at the plan's shape) and their values files, when given, fill the arrays.
    var planInputs: [PlanInput] = []

    func planned(_ name: String) -> PlanInput? {
        planInputs.first { $0.name == name }
    }

    func makeInputs(for description: MLModelDescription) throws -> MLDictionaryFeatureProvider {
        var generator = SplitMix64(seed: seed)
        var features: [String: MLFeatureValue] = [:]
        // Sorted so the generator hands out the same values on every run.
        for name in description.inputDescriptionsByName.keys.sorted() {
            guard let feature = description.inputDescriptionsByName[name] else {
                continue
            }
            features[name] = try makeValue(for: feature, using: &generator)
        }
        return try MLDictionaryFeatureProvider(dictionary: features)
    }

    func makeValue(for feature: MLFeatureDescription, using generator: inout SplitMix64) throws -> MLFeatureValue {
        switch feature.type {
        case .multiArray:
            guard let constraint = feature.multiArrayConstraint else {
                throw InputSynthesisError(description: "input '\(feature.name)' is a multi-array without a constraint")
            }
            let plan = planned(feature.name)
            var shape = try Self.concreteShape(of: constraint, name: feature.name)
            if let plan {
                shape = plan.shape.isEmpty ? [1] : plan.shape  // Core ML has no rank-0 arrays
            }
            let array = try MLMultiArray(shape: shape.map { NSNumber(value: $0) }, dataType: constraint.dataType)
            if let url = plan?.valuesURL {
                try Self.copyValues(from: url, into: array, name: feature.name)
            } else {
                Self.fill(array, using: &generator)
            }
            return MLFeatureValue(multiArray: array)
        case .image:
            guard let constraint = feature.imageConstraint else {
                throw InputSynthesisError(description: "input '\(feature.name)' is an image without a constraint")
            }
            var size = Self.concreteSize(of: constraint)
            if let shape = planned(feature.name)?.shape, shape.count == 4 {
                size = (width: shape[3], height: shape[2])  // [1, C, H, W]
            }
            let buffer = try Self.makePixelBuffer(
                width: size.width,
                height: size.height,
                pixelFormat: constraint.pixelFormatType,
                using: &generator
            )
            return MLFeatureValue(pixelBuffer: buffer)
        case .double:
            return MLFeatureValue(double: Double.random(in: 0..<1, using: &generator))
        case .int64:
            return MLFeatureValue(int64: Int64.random(in: 0..<16, using: &generator))
        case .string:
            return MLFeatureValue(string: "mobench")
        default:
            throw InputSynthesisError(
                description: "input '\(feature.name)' has a feature type (\(feature.type.rawValue)) the harness cannot synthesize"
            )
        }
    }

    // MARK: - Multi-arrays

    /// The default shape of a multi-array input; for flexible shapes the first
    /// enumerated shape or the lower bound of every range.
    static func concreteShape(of constraint: MLMultiArrayConstraint, name: String) throws -> [Int] {
        let shape = constraint.shape.map { $0.intValue }
        if !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) {
            return shape
        }
        let flexible = constraint.shapeConstraint
        switch flexible.type {
        case .enumerated:
            if let first = flexible.enumeratedShapes.first, !first.isEmpty {
                return first.map { $0.intValue }
            }
        case .range:
            let lower = flexible.sizeRangeForDimension.map { max(1, $0.rangeValue.location) }
            if !lower.isEmpty {
                return lower
            }
        default:
            break
        }
        throw InputSynthesisError(description: "input '\(name)' has no usable shape (shape \(shape))")
    }

    /// The plan's values (raw little-endian C-order bytes, written by the host in the model's
    /// element type) copied into a freshly made, contiguous array; a size mismatch is an error.
    static func copyValues(from url: URL, into array: MLMultiArray, name: String) throws {
        let data = try Data(contentsOf: url)
        try array.withUnsafeMutableBytes { raw, _ in
            guard data.count == raw.count else {
                throw InputSynthesisError(
                    description: "values of input '\(name)' (\(url.lastPathComponent)) hold \(data.count) bytes; the array takes \(raw.count)"
                )
            }
            data.withUnsafeBytes { source in
                raw.copyMemory(from: source)
            }
        }
    }

    static func fill(_ array: MLMultiArray, using generator: inout SplitMix64) {
        switch array.dataType {
        case .float32:
            array.withUnsafeMutableBufferPointer(ofType: Float.self) { buffer, _ in
                for index in buffer.indices {
                    buffer[index] = Float.random(in: -1..<1, using: &generator)
                }
            }
        case .double:
            array.withUnsafeMutableBufferPointer(ofType: Double.self) { buffer, _ in
                for index in buffer.indices {
                    buffer[index] = Double.random(in: -1..<1, using: &generator)
                }
            }
        case .float16:
            // Written as raw half-precision bits through the untyped buffer:
            // `Float16` is unavailable on Intel Macs, and `UInt16` is not an
            // `MLShapedArrayScalar`; the values only need to be finite.
            array.withUnsafeMutableBytes { raw, _ in
                let halves = raw.bindMemory(to: UInt16.self)
                for index in halves.indices {
                    halves[index] = HalfFloat.bits(Float.random(in: -1..<1, using: &generator))
                }
            }
        case .int32:
            array.withUnsafeMutableBufferPointer(ofType: Int32.self) { buffer, _ in
                for index in buffer.indices {
                    buffer[index] = Int32.random(in: 0..<16, using: &generator)
                }
            }
        default:
            for index in 0..<array.count {
                array[index] = NSNumber(value: Int.random(in: 0..<16, using: &generator))
            }
        }
    }

    // MARK: - Images

    /// The default size of an image input; for flexible sizes the first
    /// enumerated size or the smallest size of the range.
    static func concreteSize(of constraint: MLImageConstraint) -> (width: Int, height: Int) {
        if constraint.pixelsWide > 0, constraint.pixelsHigh > 0 {
            return (constraint.pixelsWide, constraint.pixelsHigh)
        }
        let flexible = constraint.sizeConstraint
        switch flexible.type {
        case .enumerated:
            if let first = flexible.enumeratedImageSizes.first {
                return (first.pixelsWide, first.pixelsHigh)
            }
        case .range:
            return (max(1, flexible.pixelsWideRange.location), max(1, flexible.pixelsHighRange.location))
        default:
            break
        }
        return (224, 224)
    }

    static func makePixelBuffer(
        width: Int,
        height: Int,
        pixelFormat: OSType,
        using generator: inout SplitMix64
    ) throws -> CVPixelBuffer {
        let attributes: [String: Any] = [
            kCVPixelBufferIOSurfacePropertiesKey as String: [String: Any](),
            kCVPixelBufferMetalCompatibilityKey as String: true,
        ]
        var created: CVPixelBuffer?
        let status = CVPixelBufferCreate(
            kCFAllocatorDefault, width, height, pixelFormat, attributes as CFDictionary, &created
        )
        guard status == kCVReturnSuccess, let buffer = created else {
            throw InputSynthesisError(
                description: "cannot create a \(width)x\(height) pixel buffer of format \(fourCharacterCode(pixelFormat)) (CVReturn \(status))"
            )
        }
        CVPixelBufferLockBaseAddress(buffer, [])
        defer { CVPixelBufferUnlockBaseAddress(buffer, []) }
        guard let base = CVPixelBufferGetBaseAddress(buffer) else {
            throw InputSynthesisError(
                description: "pixel format \(fourCharacterCode(pixelFormat)) is planar; the harness fills packed formats only"
            )
        }
        let bytesPerRow = CVPixelBufferGetBytesPerRow(buffer)
        let rows = CVPixelBufferGetHeight(buffer)
        if pixelFormat == kCVPixelFormatType_OneComponent16Half {
            let halves = base.bindMemory(to: UInt16.self, capacity: bytesPerRow * rows / 2)
            for index in 0..<(bytesPerRow * rows / 2) {
                halves[index] = HalfFloat.bits(Float.random(in: 0..<1, using: &generator))
            }
        } else {
            let bytes = base.bindMemory(to: UInt8.self, capacity: bytesPerRow * rows)
            for index in 0..<(bytesPerRow * rows) {
                bytes[index] = UInt8.random(in: UInt8.min...UInt8.max, using: &generator)
            }
        }
        return buffer
    }

    /// `'BGRA'` style name of a pixel format, for error messages.
    static func fourCharacterCode(_ code: OSType) -> String {
        let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: code >> $0) }
        if bytes.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            return "'" + String(decoding: bytes, as: UTF8.self) + "'"
        }
        return String(code)
    }
}
#endif
