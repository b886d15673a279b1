#if !FUZZING
import Foundation

/// Shared by the fuzz targets. Without libFuzzer: runs every file named on the command line (or in a directory named there)
/// through the fuzz entry point once, so corpora and crash inputs can be replayed in a normal build.
public func replay(_ arguments: ArraySlice<String>, _ entry: (UnsafePointer<UInt8>?, Int) -> CInt) throws {
    var files: [String] = []
    for argument in arguments where !argument.hasPrefix("-") {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
            files += try FileManager.default.contentsOfDirectory(atPath: argument).sorted().map { argument + "/" + $0 }
        } else {
            files.append(argument)
        }
    }
    for file in files {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        _ = bytes.withUnsafeBufferPointer { entry($0.baseAddress, $0.count) }
    }
    print("replayed \(files.count) input(s) without a crash")
}
#endif
