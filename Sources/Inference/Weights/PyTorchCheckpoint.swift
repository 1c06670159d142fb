import ZIP
/// Why a PyTorch checkpoint could not be imported.
public enum PyTorchCheckpointError: Error, CustomStringConvertible, Equatable {
    case archive(ZipArchiveError)
    case pickle(PickleError)
    case noDataPickle
    case severalDataPickles(names: [String])
    case bigEndian(found: String)
    case missingStorage(key: String)
    case storageSizeMismatch(key: String, expectedBytes: Int, actualBytes: Int)
    case tensorOutsideStorage(tensor: String)
    case unsupportedTensorType(tensor: String, storage: String)
    case legacyFormat
    case sizeOverflow(tensor: String)
    case notAStateDict(found: String)
    case nonStringKey
    case nonTensorEntry(name: String, found: String)
    case emptyStateDict
    case totalSizeTooLarge(bytes: Int, limit: Int)
    case cannotInferArchitecture(sampleKeys: [String])

    public var description: String {
        switch self {
        case .archive(let error): error.description
        case .pickle(let error): error.description
        case .noDataPickle:
            "the archive has no <name>/data.pkl: it is not a checkpoint written by torch.save (>= 1.6); re-save it with torch.save"
        case .severalDataPickles(let names):
            "the archive holds several pickles (\(names.joined(separator: ", "))); keep one checkpoint per file"
        case .bigEndian(let found):
            "the checkpoint was written on a \(found)-endian machine; load and re-save it with torch on a little-endian machine"
        case .missingStorage(let key):
            "the checkpoint refers to storage '\(key)' but the archive has no data/\(key); the file is truncated or corrupt"
        case .storageSizeMismatch(let key, let expectedBytes, let actualBytes):
            "storage '\(key)' should hold \(expectedBytes) bytes but has \(actualBytes); the file is corrupt"
        case .unsupportedTensorType(let tensor, let storage):
            "tensor '\(tensor)' is stored as torch.\(storage); only float32, float16 and bfloat16 tensors can be weights — convert it with .float() or drop it (e.g. num_batches_tracked) before torch.save"
        case .legacyFormat:
            "the checkpoint uses PyTorch's legacy (pre-1.6, non-zip) format; load it with torch and re-save it with torch.save from PyTorch >= 1.6"
        case .tensorOutsideStorage(let tensor):
            "tensor '\(tensor)' reaches past the end of its storage; the file is corrupt or hostile"
        case .sizeOverflow(let tensor):
            "tensor '\(tensor)' is too large to address; the file is corrupt or hostile"
        case .notAStateDict(let found):
            "the checkpoint holds \(found), not a state_dict (a dict of tensors, or {\"model\": state_dict}); save model.state_dict()"
        case .nonStringKey:
            "the state_dict has a key that is not a string; save model.state_dict()"
        case .nonTensorEntry(let name, let found):
            "state_dict entry '\(name)' is \(found), not a tensor; save model.state_dict() without extra entries"
        case .emptyStateDict:
            "the state_dict holds no tensors; save model.state_dict() of a built model"
        case .totalSizeTooLarge(let bytes, let limit):
            "the tensors need \(bytes) bytes as float32, over the limit of \(limit); raise the limit only for a file you trust"
        case .cannotInferArchitecture(let sampleKeys):
            "cannot tell the architecture from the tensor names (\(sampleKeys.joined(separator: ", ")), ...); pass --arch multiverseg or --arch scribbleprompt-unet"
        }
    }
}

/// Imports a checkpoint written by `torch.save` (PyTorch >= 1.6: a ZIP archive holding
/// `<name>/data.pkl`, `<name>/data/<key>` raw storages and `<name>/byteorder`), without Python.
/// The pickle runs on a restricted machine that only builds dicts, tuples, tensors and storages.
///
/// ```swift
/// let weights = try PyTorchCheckpoint.read(contentsOf: "MultiverSeg_v1_nf256_res128.pt")
/// try SafeTensors.write(weights, to: "multiverseg.safetensors")
/// ```
public enum PyTorchCheckpoint {
    /// How to label the imported weights.
    public struct Options: Sendable {
        /// The architecture; nil infers it from the tensor names.
        public var architecture: WeightsArchitecture?
        /// Network input resolution (not recorded in checkpoints; both released models use 128).
        public var resolution: Int = 128
        /// Extra metadata to record (e.g. "source").
        public var extraMetadata: [String: String] = [:]
        /// Largest accepted file, and largest total of tensors as Float.
        public var maxFileBytes: Int64 = 16 << 30
        public var maxTotalBytes: Int = 8 << 30

        public init(architecture: WeightsArchitecture? = nil, resolution: Int = 128) {
            self.architecture = architecture
            self.resolution = resolution
        }
    }

    /// Reads and imports the checkpoint at `path`. Throws `WeightsIOError` or `PyTorchCheckpointError`.
    public static func read(contentsOf path: String, options: Options = Options()) throws -> WeightsFile {
        let bytes = try WeightsFileSystem.readFile(atPath: path, maxBytes: options.maxFileBytes)
        return try decode(bytes, options: options)
    }

    /// Imports a checkpoint held in memory; metadata is inferred as far as the tensors allow.
    public static func decode(_ bytes: [UInt8], options: Options = Options()) throws(PyTorchCheckpointError) -> WeightsFile {
        let tensors = try stateDict(bytes, maxTotalBytes: options.maxTotalBytes)
        var metadata = try inferredMetadata(tensors, architecture: options.architecture)
        metadata[WeightsMetadataKey.format] = WeightsFile.formatName
        metadata[WeightsMetadataKey.formatVersion] = String(WeightsFile.formatVersion)
        metadata[WeightsMetadataKey.resolution] = String(options.resolution)
        metadata.merge(options.extraMetadata) { _, extra in extra }
        return WeightsFile(metadata: metadata, tensors: tensors)
    }

    /// The tensors of the checkpoint's state_dict (unwrapping `{"model": state_dict}`), as
    /// contiguous row-major Float tensors.
    public static func stateDict(_ bytes: [UInt8], maxTotalBytes: Int = 8 << 30) throws(PyTorchCheckpointError) -> [String: Tensor] {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(bytes)
        } catch {
            // The legacy format is a pickle stream that starts with PyTorch's magic number as LONG1.
            if error == .notAZipArchive, bytes.starts(with: [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8]) {
                throw .legacyFormat
            }
            throw .archive(error)
        }

        let pickles = archive.entries.map(\.name).filter { name in
            name.hasSuffix("/data.pkl") && name.split(separator: "/", omittingEmptySubsequences: false).count == 2
        }
        guard let pickleName = pickles.first else { throw .noDataPickle }
        guard pickles.count == 1 else { throw .severalDataPickles(names: pickles.sorted()) }
        let prefix = String(pickleName.dropLast("data.pkl".count))

        if let order = try contents(archive, prefix + "byteorder") {
            let text = String(decoding: order, as: UTF8.self)
            guard text == "little" else { throw .bigEndian(found: text) }
        }

        var machine = RestrictedUnpickler(Array(try contents(archive, pickleName) ?? []))
        let root: PickleValue
        do { root = try machine.run() } catch { throw .pickle(error) }

        guard var dict = machine.dict(root) else { throw .notAStateDict(found: root.kindName) }
        for wrapper in ["model", "state_dict"] {
            if let inner = dict[.string(wrapper)], let innerDict = machine.dict(inner) {
                dict = innerDict
                break
            }
        }

        var storageBytes: [String: ArraySlice<UInt8>] = [:]
        var tensors: [String: Tensor] = [:]
        var totalBytes = 0
        for (key, value) in zip(dict.keys, dict.values) {
            guard case .string(let name) = key else { throw .nonStringKey }
            guard case .tensor(let index) = value else { throw .nonTensorEntry(name: name, found: value.kindName) }
            let pickled = machine.tensors[index]
            let storage = machine.storages[pickled.storage]
            let data: ArraySlice<UInt8>
            if let cached = storageBytes[storage.key] {
                data = cached
            } else {
                guard let found = try contents(archive, prefix + "data/" + storage.key) else {
                    throw .missingStorage(key: storage.key)
                }
                data = found
                storageBytes[storage.key] = data
            }
            let tensor = try materialize(
                pickled, name: name, storage: storage, data: data, alreadyUsed: totalBytes, limit: maxTotalBytes)
            totalBytes += tensor.count * 4
            tensors[name] = tensor
        }
        guard !tensors.isEmpty else { throw .emptyStateDict }
        return tensors
    }

    private static func contents(_ archive: ZipArchive, _ name: String) throws(PyTorchCheckpointError) -> ArraySlice<UInt8>? {
        do { return try archive.contents(of: name) } catch { throw .archive(error) }
    }

    /// Copies the strided view `pickled` of `data` into a contiguous row-major tensor, after
    /// checking that every element it reaches lies inside the storage.
    /// `alreadyUsed` bytes of the `limit` are taken by earlier tensors: a stride-0 view of a tiny
    /// storage could otherwise ask for an arbitrarily large copy.
    static func materialize(
        _ pickled: PickledTensor, name: String, storage: PickledStorage, data: ArraySlice<UInt8>,
        alreadyUsed: Int = 0, limit: Int = 8 << 30
    ) throws(PyTorchCheckpointError) -> Tensor {
        guard let type = storage.type.scalarType else {
            throw .unsupportedTensorType(tensor: name, storage: storage.type.storageClassName)
        }
        let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: type.byteSize)
        guard !overflow, storageBytes == data.count else {
            throw .storageSizeMismatch(key: storage.key, expectedBytes: overflow ? Int.max : storageBytes, actualBytes: data.count)
        }
        var count = 1
        for size in pickled.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .sizeOverflow(tensor: name) }
            count = product
        }
        let (floatBytes, overflowBytes) = count.multipliedReportingOverflow(by: 4)
        let (total, overflowTotal) = alreadyUsed.addingReportingOverflow(floatBytes)
        guard !overflowBytes, !overflowTotal, total <= limit else {
            throw .totalSizeTooLarge(bytes: overflowBytes || overflowTotal ? Int.max : total, limit: limit)
        }
        if count == 0 { return Tensor(shape: pickled.shape, values: []) }
        // The furthest element: offset + sum((size - 1) * stride).
        var last = pickled.offset
        for (size, stride) in zip(pickled.shape, pickled.stride) {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflowSum) = last.addingReportingOverflow(step)
            guard !overflow, !overflowSum else { throw .sizeOverflow(tensor: name) }
            last = sum
        }
        guard last < storage.elementCount else { throw .tensorOutsideStorage(tensor: name) }

        var values: [Float] = []
        values.reserveCapacity(count)
        withRawBytes(data) { (raw: UnsafeRawBufferPointer) -> Void in
            let rank = pickled.shape.count
            var contiguous = true
            var expected = 1
            for axis in stride(from: rank - 1, through: 0, by: -1) where pickled.shape[axis] != 1 {
                if pickled.stride[axis] != expected { contiguous = false }
                expected *= pickled.shape[axis]
            }
            if contiguous {
                type.decode(raw, offset: pickled.offset * type.byteSize, count: count, into: &values)
                return
            }
            // Odometer over the multi-index, innermost axis fastest. Stepping past an axis's end
            // may leave the valid range (a size-1 axis may carry any stride), so the steps wrap; the
            // element read is always back inside [offset, last], checked above.
            var index = [Int](repeating: 0, count: rank)
            var element = pickled.offset
            for _ in 0..<count {
                values.append(type.element(raw, at: element * type.byteSize))
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    element &+= pickled.stride[axis]
                    if index[axis] < pickled.shape[axis] { break }
                    element &-= pickled.stride[axis] &* pickled.shape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return Tensor(shape: pickled.shape, values: values)
    }

    /// `arch`, `features`, `levels`, `in_channels` (and `context_channels` = 2 for MultiverSeg), from the authors' parameter names
    /// (Training/ARCHITECTURE.md): `enc_blocks.{i}.cross.cross_conv.weight` [F, Ct + 2, 3, 3] for
    /// MultiverSeg, `downs.{i}.conv.0.weight` [F, Ct, 3, 3] for ScribblePrompt-UNet. Fields that
    /// cannot be found are left out.
    public static func inferredMetadata(
        _ tensors: [String: Tensor], architecture: WeightsArchitecture? = nil
    ) throws(PyTorchCheckpointError) -> [String: String] {
        func blockIndices(_ prefix: String) -> Set<Int> {
            Set(tensors.keys.compactMap { key in
                guard key.hasPrefix(prefix) else { return nil }
                return Int(key.dropFirst(prefix.count).prefix { $0 != "." })
            })
        }
        let encoder = blockIndices("enc_blocks.")
        let downs = blockIndices("downs.")
        let arch: WeightsArchitecture
        if let architecture {
            arch = architecture
        } else if !encoder.isEmpty {
            arch = .multiverseg
        } else if !downs.isEmpty, tensors.keys.contains(where: { $0.hasPrefix("final_conv.") }) {
            arch = .scribblepromptUNet
        } else {
            throw .cannotInferArchitecture(sampleKeys: Array(tensors.keys.sorted().prefix(3)))
        }

        var metadata = [WeightsMetadataKey.arch: arch.rawValue]
        let blocks: Set<Int>
        let firstWeight: Tensor?
        let contextChannels: Int
        switch arch {
        case .multiverseg:
            blocks = encoder
            firstWeight = tensors["enc_blocks.0.cross.cross_conv.weight"]
            contextChannels = 2
        case .scribblepromptUNet:
            blocks = downs
            firstWeight = tensors["downs.0.conv.0.weight"]
            contextChannels = 0
        }
        // Levels only when the block indices run 0..<n without gaps.
        if !blocks.isEmpty, blocks == Set(0..<blocks.count) {
            metadata[WeightsMetadataKey.levels] = String(blocks.count)
        }
        if arch == .multiverseg { metadata[WeightsMetadataKey.contextChannels] = String(contextChannels) }
        if let weight = firstWeight, weight.shape.count == 4, weight.shape[1] > contextChannels {
            metadata[WeightsMetadataKey.features] = String(weight.shape[0])
            metadata[WeightsMetadataKey.inChannels] = String(weight.shape[1] - contextChannels)
        }
        return metadata
    }
}
