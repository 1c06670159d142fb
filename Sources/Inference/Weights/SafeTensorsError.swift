/// Why a safetensors file was refused. Each case names the tensor or key at fault and the message
/// says what to do. Reading never traps: every malformed input ends in one of these.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// Fewer than the 8 bytes of the header length.
    case fileTooShort(size: Int)
    /// The declared header length is over the reader's cap.
    case headerTooLarge(length: UInt64, limit: Int)
    /// The declared header length runs past the end of the file.
    case headerBeyondFile(length: UInt64, available: Int)
    /// The header is not valid JSON (byte offset inside the header).
    case invalidHeaderJSON(offset: Int, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(found: String)
    /// Two header entries have the same name.
    case duplicateTensor(name: String)
    /// More tensors than the reader's cap.
    case tooManyTensors(count: Int, limit: Int)
    /// `__metadata__` is not an object of strings to strings.
    case invalidMetadata(key: String?, reason: String)
    /// A key appears twice inside `__metadata__`.
    case duplicateMetadataKey(key: String)
    /// A tensor's entry is not an object.
    case tensorEntryNotObject(tensor: String, found: String)
    /// A field appears twice inside a tensor's entry.
    case duplicateTensorField(tensor: String, field: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingTensorField(tensor: String, field: String)
    /// A tensor's field has the wrong JSON type or form.
    case invalidTensorField(tensor: String, field: String, expected: String)
    /// A negative dimension in a tensor's shape.
    case negativeDimension(tensor: String, shape: String)
    /// Element count or byte size does not fit in a 64-bit integer.
    case sizeOverflow(tensor: String, shape: String)
    /// A dtype other than F32, F16 or BF16.
    case unsupportedDType(tensor: String, dtype: String)
    /// `data_offsets` with begin > end.
    case invertedOffsets(tensor: String, begin: Int, end: Int)
    /// `data_offsets` past the end of the byte buffer.
    case offsetsOutsideBuffer(tensor: String, end: Int, bufferSize: Int)
    /// The byte range does not match shape x dtype size.
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(first: String, second: String)
    /// The tensors together are over the reader's size cap (in Float bytes after conversion).
    case totalSizeTooLarge(bytes: Int, limit: Int)
    /// The writer was given a tensor named like the reserved metadata entry.
    case reservedTensorName(name: String)

    public var description: String {
        switch self {
        case .fileTooShort(let size):
            return "the file has \(size) bytes, fewer than the 8-byte header length of a safetensors file; it is truncated or not safetensors"
        case .headerTooLarge(let length, let limit):
            return "the header declares \(length) bytes, over the limit of \(limit); the file is corrupt or not safetensors"
        case .headerBeyondFile(let length, let available):
            return "the header declares \(length) bytes but only \(available) follow; the file is truncated — download or export it again"
        case .invalidHeaderJSON(let offset, let reason):
            return "the header is not valid JSON (\(reason) at header byte \(offset)); the file is corrupt"
        case .headerNotObject(let found):
            return "the header is \(found), not a JSON object; the file is corrupt or not safetensors"
        case .duplicateTensor(let name):
            return "tensor '\(name)' appears twice in the header; the file is corrupt — export it again"
        case .tooManyTensors(let count, let limit):
            return "the header lists \(count) tensors, over the limit of \(limit); this is not a segmentation weights file"
        case .invalidMetadata(let key, let reason):
            if let key { return "__metadata__ entry '\(key)': \(reason); metadata must map strings to strings" }
            return "__metadata__: \(reason); metadata must map strings to strings"
        case .duplicateMetadataKey(let key):
            return "__metadata__ key '\(key)' appears twice; the file is corrupt — export it again"
        case .tensorEntryNotObject(let tensor, let found):
            return "tensor '\(tensor)': its header entry is \(found), not an object with dtype, shape and data_offsets"
        case .duplicateTensorField(let tensor, let field):
            return "tensor '\(tensor)': field '\(field)' appears twice; the file is corrupt"
        case .missingTensorField(let tensor, let field):
            return "tensor '\(tensor)': the header entry has no '\(field)'; the file is corrupt or not safetensors"
        case .invalidTensorField(let tensor, let field, let expected):
            return "tensor '\(tensor)': '\(field)' must be \(expected); the file is corrupt"
        case .negativeDimension(let tensor, let shape):
            return "tensor '\(tensor)': shape \(shape) has a negative dimension; the file is corrupt"
        case .sizeOverflow(let tensor, let shape):
            return "tensor '\(tensor)': shape \(shape) is too large to address; the file is corrupt or hostile"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor '\(tensor)' has dtype \(dtype); only F32, F16 and BF16 are supported — convert the tensor to float32 before exporting"
        case .invertedOffsets(let tensor, let begin, let end):
            return "tensor '\(tensor)': data_offsets [\(begin), \(end)] end before they begin; the file is corrupt"
        case .offsetsOutsideBuffer(let tensor, let end, let bufferSize):
            return "tensor '\(tensor)': data ends at byte \(end) of a \(bufferSize)-byte buffer; the file is truncated or corrupt"
        case .sizeMismatch(let tensor, let shape, let dtype, let expectedBytes, let actualBytes):
            return "tensor '\(tensor)': shape \(shape) of \(dtype) needs \(expectedBytes) bytes but data_offsets span \(actualBytes); the file is corrupt"
        case .overlappingTensors(let first, let second):
            return "tensors '\(first)' and '\(second)' share bytes; the file is corrupt or hostile — export it again"
        case .totalSizeTooLarge(let bytes, let limit):
            return "the tensors need \(bytes) bytes as float32, over the limit of \(limit); raise the limit only for a file you trust"
        case .reservedTensorName(let name):
            return "a tensor cannot be named '\(name)': the name is reserved for the metadata; rename the tensor"
        }
    }
}
