// Stand-in for Apple's CoreVideo (iOS 18 / macOS 15 SDK): only the symbols
// ios_harness/Sources uses, declared as the SDK imports them into Swift.
// Bodies are `fatalError()`: this module exists to type-check, never to run.
// How to add a declaration: tools/apple-typecheck/README.md.
@_exported import Foundation

// MARK: - CoreFoundation types CoreVideo re-exports
// On Apple platforms these are toll-free bridged (`CFString as String`,
// `[String: Any] as CFDictionary`). Linux's Foundation has no such bridge, so
// they stand in as the Foundation classes they bridge to, which keeps both
// `as` conversions the harness writes compiling exactly as on Darwin.

/// https://developer.apple.com/documentation/corefoundation/cfstring
public typealias CFString = NSString
/// https://developer.apple.com/documentation/corefoundation/cfdictionary
public typealias CFDictionary = NSDictionary
/// https://developer.apple.com/documentation/corefoundation/cfallocator
public final class CFAllocator: @unchecked Sendable {
    private init() { fatalError() }
}
/// https://developer.apple.com/documentation/corefoundation/kcfallocatordefault
public var kCFAllocatorDefault: CFAllocator! { fatalError() }

/// MacTypes' four-character code: https://developer.apple.com/documentation/kernel/ostype
public typealias OSType = FourCharCode
/// https://developer.apple.com/documentation/kernel/fourcharcode
public typealias FourCharCode = UInt32

// MARK: - Buffers

/// https://developer.apple.com/documentation/corevideo/cvbuffer
public final class CVBuffer: @unchecked Sendable {
    private init() { fatalError() }
}
/// https://developer.apple.com/documentation/corevideo/cvimagebuffer
public typealias CVImageBuffer = CVBuffer
/// https://developer.apple.com/documentation/corevideo/cvpixelbuffer
public typealias CVPixelBuffer = CVImageBuffer

/// https://developer.apple.com/documentation/corevideo/cvreturn
public typealias CVReturn = Int32
/// https://developer.apple.com/documentation/corevideo/kcvreturnsuccess
public var kCVReturnSuccess: CVReturn { fatalError() }

/// https://developer.apple.com/documentation/corevideo/cvpixelbufferlockflags
public struct CVPixelBufferLockFlags: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { fatalError() }
}

// MARK: - Pixel formats (imported as `var ...: OSType { get }`)

/// https://developer.apple.com/documentation/corevideo/kcvpixelformattype_32bgra
public var kCVPixelFormatType_32BGRA: OSType { fatalError() }
/// https://developer.apple.com/documentation/corevideo/kcvpixelformattype_32argb
public var kCVPixelFormatType_32ARGB: OSType { fatalError() }
/// https://developer.apple.com/documentation/corevideo/kcvpixelformattype_onecomponent8
public var kCVPixelFormatType_OneComponent8: OSType { fatalError() }
/// https://developer.apple.com/documentation/corevideo/kcvpixelformattype_onecomponent16half
public var kCVPixelFormatType_OneComponent16Half: OSType { fatalError() }

// MARK: - Pixel buffer attributes (imported as `let ...: CFString`)

/// https://developer.apple.com/documentation/corevideo/kcvpixelbufferiosurfacepropertieskey
public var kCVPixelBufferIOSurfacePropertiesKey: CFString { fatalError() }
/// https://developer.apple.com/documentation/corevideo/kcvpixelbuffermetalcompatibilitykey
public var kCVPixelBufferMetalCompatibilityKey: CFString { fatalError() }

// MARK: - Functions
// C functions imported into Swift never warn about an unused result, hence
// `@discardableResult` on every one that returns a value.

/// https://developer.apple.com/documentation/corevideo/cvpixelbuffercreate(_:_:_:_:_:_:)
@discardableResult
public func CVPixelBufferCreate(
    _ allocator: CFAllocator?,
    _ width: Int,
    _ height: Int,
    _ pixelFormatType: OSType,
    _ pixelBufferAttributes: CFDictionary?,
    _ pixelBufferOut: UnsafeMutablePointer<CVPixelBuffer?>
) -> CVReturn { fatalError() }

/// https://developer.apple.com/documentation/corevideo/cvpixelbufferlockbaseaddress(_:_:)
@discardableResult
public func CVPixelBufferLockBaseAddress(_ pixelBuffer: CVPixelBuffer, _ lockFlags: CVPixelBufferLockFlags) -> CVReturn {
    fatalError()
}

/// https://developer.apple.com/documentation/corevideo/cvpixelbufferunlockbaseaddress(_:_:)
@discardableResult
public func CVPixelBufferUnlockBaseAddress(_ pixelBuffer: CVPixelBuffer, _ unlockFlags: CVPixelBufferLockFlags) -> CVReturn {
    fatalError()
}

/// https://developer.apple.com/documentation/corevideo/cvpixelbuffergetbaseaddress(_:)
@discardableResult
public func CVPixelBufferGetBaseAddress(_ pixelBuffer: CVPixelBuffer) -> UnsafeMutableRawPointer? { fatalError() }

/// https://developer.apple.com/documentation/corevideo/cvpixelbuffergetbytesperrow(_:)
@discardableResult
public func CVPixelBufferGetBytesPerRow(_ pixelBuffer: CVPixelBuffer) -> Int { fatalError() }

/// https://developer.apple.com/documentation/corevideo/cvpixelbuffergetheight(_:)
@discardableResult
public func CVPixelBufferGetHeight(_ pixelBuffer: CVPixelBuffer) -> Int { fatalError() }
