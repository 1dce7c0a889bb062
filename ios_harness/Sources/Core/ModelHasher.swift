#if canImport(CryptoKit)
import CryptoKit
#endif
import Foundation

/// The sha256 of a model file or folder, computed exactly as the host does
/// (`mobench.core.util.sha256_path`, PROTOCOL.md "sha256 of a model"):
///
/// - a file: sha256 of its bytes;
/// - a folder (`.mlpackage`, `.mlmodelc`): one sha256 over every regular file
///   below it, in the order Python's `sorted()` gives its relative paths
///   (component by component), each contributing the relative POSIX path's
///   UTF-8 bytes, one NUL byte, then the file's bytes.
///
/// CryptoKit's SHA256 where it exists (Apple platforms), else `PortableSHA256`.
enum ModelHasher {
    struct HashError: HarnessError {
        let description: String
    }

    static func sha256(of url: URL) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw HashError(description: "\(url.lastPathComponent) does not exist")
        }
        var hasher = Hasher256()
        if isDirectory.boolValue {
            for relativePath in try regularFiles(under: url) {
                hasher.update(Data(relativePath.utf8))
                hasher.update(Data([0]))
                try stream(url.appendingPathComponent(relativePath), into: &hasher)
            }
        } else {
            try stream(url, into: &hasher)
        }
        return hexString(hasher.finalize())
    }

    /// The sha256 of `data`, as lowercase hex.
    static func sha256(of data: Data) -> String {
        var hasher = Hasher256()
        hasher.update(data)
        return hexString(hasher.finalize())
    }

    /// Relative POSIX paths of the regular files below `root`, sorted like
    /// Python sorts `pathlib` paths: by their lists of components.
    static func regularFiles(under root: URL) throws -> [String] {
        let manager = FileManager.default
        let subpaths = try manager.subpathsOfDirectory(atPath: root.path)
        var files: [String] = []
        for subpath in subpaths {
            let attributes = try manager.attributesOfItem(atPath: root.appendingPathComponent(subpath).path)
            if attributes[.type] as? FileAttributeType == .typeRegular {
                files.append(subpath)
            }
        }
        return files.sorted(by: pathPrecedes)
    }

    /// Python's `PurePosixPath.__lt__`: compare component lists; components by code point.
    static func pathPrecedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.split(separator: "/", omittingEmptySubsequences: true)
        let right = rhs.split(separator: "/", omittingEmptySubsequences: true)
        for (a, b) in zip(left, right) where a != b {
            // UTF-8 byte order is code point order.
            return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
        return left.count < right.count
    }

    static func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private static func stream(_ file: URL, into hasher: inout Hasher256) throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
    }
}

/// One SHA-256 implementation per platform behind one interface.
struct Hasher256 {
    #if canImport(CryptoKit)
    private var inner = CryptoKit.SHA256()

    mutating func update(_ data: Data) {
        inner.update(data: data)
    }

    func finalize() -> [UInt8] {
        Array(inner.finalize())
    }
    #else
    private var inner = PortableSHA256()

    mutating func update(_ data: Data) {
        inner.update(data: data)
    }

    func finalize() -> [UInt8] {
        inner.finalize()
    }
    #endif
}
