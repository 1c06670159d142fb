import ArgumentParser
import Foundation
import Inference

extension WeightsArchitecture: ExpressibleByArgument {}

/// `multiverseg weights import|inspect`: converting PyTorch checkpoints to our safetensors format
/// (Docs/weights-format.md) and looking inside weights files.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Import and inspect network weights files.",
        subcommands: [Import.self, Inspect.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a PyTorch checkpoint (torch.save, .pt) to a safetensors weights file.",
            discussion: """
                Runs no Python and no pickled code: the checkpoint is read by a restricted importer that only \
                accepts plain state_dicts. Example:
                  multiverseg weights import MultiverSeg_v1_nf256_res128.pt -o multiverseg-nf256.safetensors
                """)

        @Argument(help: "The checkpoint written by torch.save (PyTorch >= 1.6).")
        var checkpoint: String

        @Option(name: .shortAndLong, help: "The safetensors file to write.")
        var output: String

        @Option(help: "multiverseg or scribbleprompt-unet (default: inferred from the tensor names).")
        var arch: WeightsArchitecture?

        @Option(help: "Side of the square input the network was trained at.")
        var resolution: Int = 128

        @Flag(help: "Replace the output file if it exists.")
        var force = false

        func validate() throws {
            guard (8...8192).contains(resolution) else { throw ValidationError("--resolution must be from 8 to 8192") }
            if !force, FileManager.default.fileExists(atPath: output) {
                throw ValidationError("\(output) exists; pass --force to replace it")
            }
        }

        func run() throws {
            var options = PyTorchCheckpoint.Options(architecture: arch, resolution: resolution)
            options.extraMetadata["source"] = URL(fileURLWithPath: checkpoint).lastPathComponent
            let weights = try PyTorchCheckpoint.read(contentsOf: checkpoint, options: options)
            try SafeTensors.write(weights, to: output)
            print("wrote \(output): \(weights.tensors.count) tensors, \(weights.parameterCount) parameters")
            printMetadata(weights.metadata)
            let missing = [WeightsMetadataKey.features, WeightsMetadataKey.levels, WeightsMetadataKey.inChannels]
                .filter { weights.metadata[$0] == nil }
            if !missing.isEmpty {
                print("warning: could not infer \(missing.joined(separator: ", ")) from the tensor names; the network will refuse this file until they are set")
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a weights file's metadata, tensor count and parameter count.",
            discussion: "Reads safetensors files, and PyTorch checkpoints (shown as they would be imported).")

        @Argument(help: "A .safetensors weights file or a .pt checkpoint.")
        var file: String

        @Flag(name: .shortAndLong, help: "Also list every tensor with its shape and stored type.")
        var verbose = false

        func run() throws {
            let handle = FileHandle(forReadingAtPath: file)
            let magic = try handle?.read(upToCount: 2) ?? Data()
            try handle?.close()
            let weights: WeightsFile
            var storedTypes: [String: String] = [:]
            if magic == Data("PK".utf8) {
                print("\(file): PyTorch checkpoint (shown as imported)")
                var options = PyTorchCheckpoint.Options()
                options.extraMetadata["source"] = URL(fileURLWithPath: file).lastPathComponent
                do {
                    weights = try PyTorchCheckpoint.read(contentsOf: file, options: options)
                } catch PyTorchCheckpointError.cannotInferArchitecture {
                    let tensors = try PyTorchCheckpoint.stateDict(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
                    weights = WeightsFile(metadata: [:], tensors: tensors)
                }
            } else {
                print("\(file): safetensors")
                let (header, contents) = try SafeTensors.readWithHeader(contentsOf: file)
                for entry in header.entries { storedTypes[entry.name] = entry.dtype.rawValue }
                weights = contents
            }
            printMetadata(weights.metadata)
            print("tensors: \(weights.tensors.count)")
            print("parameters: \(weights.parameterCount)")
            do {
                try weights.checkFormat()
            } catch {
                print("note: \(error)")
            }
            if verbose {
                let width = weights.tensors.keys.map(\.count).max() ?? 0
                for name in weights.tensors.keys.sorted() {
                    let tensor = weights.tensors[name]!
                    let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
                    let stored = storedTypes[name].map { "  \($0)" } ?? ""
                    print("  \(padded)\(stored)  \(tensor.shape)")
                }
            }
        }
    }
}

private func printMetadata(_ metadata: [String: String]) {
    if metadata.isEmpty { print("metadata: (none)") }
    for key in metadata.keys.sorted() { print("  \(key): \(metadata[key]!)") }
}
