import Foundation
import Inference

/// Reports a broken invariant and aborts, so libFuzzer saves the input (`precondition` drops its
/// message in optimized builds).
///
/// ```swift
/// expect(image.samples.count == image.width * image.height, "samples do not fill the image")
/// ```
public func expect(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = "invariant broken",
                   file: StaticString = #fileID, line: UInt = #line) {
    guard !condition() else { return }
    FileHandle.standardError.write(Data("\n==FUZZ== \(file):\(line): \(message())\n".utf8))
    abort()
}

/// Same names, shapes and bit patterns (NaN payloads included), and the same metadata.
public func sameContents(_ a: WeightsFile?, _ b: WeightsFile) -> Bool {
    guard let a, a.metadata == b.metadata, a.tensors.count == b.tensors.count else { return false }
    return a.tensors.allSatisfy { name, tensor in
        guard let other = b.tensors[name], other.shape == tensor.shape else { return false }
        return tensor.values.map(\.bitPattern) == other.values.map(\.bitPattern)
    }
}
