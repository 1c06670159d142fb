import Imaging
import PNGCodec

/// A label's intensity window for volume slices: which source intensities (Hounsfield units for
/// CT) map to black and white. It is stored in the label's context manifest and used both by the
/// labeling page and for the network's input, so the user sees what the network sees. Images that
/// are not volume slices (plain 8/16-bit PNGs) ignore it.
///
/// ```swift
/// let lung = LabelWindow(preset: .lung)              // width 1500, level -600
/// lung.resolved(percentiles: nil)                    // (center: -600, width: 1500)
/// let mr = LabelWindow(preset: .percentiles)          // 0.5 and 99.5 percentiles of each volume
/// let mine = try LabelWindow(center: 50, width: 350)  // custom
/// ```
public struct LabelWindow: Codable, Sendable, Hashable {
    /// The presets of the labeling page, plus `custom`.
    public enum Preset: String, Codable, Sendable, CaseIterable {
        /// CT soft tissue: width 400, level 40 HU.
        case softTissue = "soft-tissue"
        /// CT lung: width 1500, level -600 HU.
        case lung
        /// CT bone: width 1800, level 400 HU.
        case bone
        /// CT brain: width 80, level 40 HU.
        case brain
        /// MR (or any modality): each volume's 0.5 and 99.5 percentiles.
        case percentiles
        /// `center` and `width` as given.
        case custom

        /// (center, width) of the fixed CT presets; nil for `percentiles` and `custom`.
        public var fixed: (center: Double, width: Double)? {
            switch self {
            case .softTissue: return (40, 400)
            case .lung: return (-600, 1500)
            case .bone: return (400, 1800)
            case .brain: return (40, 80)
            case .percentiles, .custom: return nil
            }
        }
    }

    public var preset: Preset
    /// The window's centre (level) and width in the source's units; set for `custom` only.
    public var center: Double?
    public var width: Double?

    /// A preset other than `custom`.
    public init(preset: Preset) {
        precondition(preset != .custom, "a custom window needs its centre and width: use init(center:width:)")
        self.preset = preset
    }

    /// A custom window; `width` must be positive and both finite.
    public init(center: Double, width: Double) throws {
        self.preset = .custom
        self.center = center
        self.width = width
        try validate()
    }

    /// Throws `invalidWindow` for a custom window without a finite centre and positive width (a
    /// hand-edited manifest or a hostile request).
    public func validate() throws {
        guard preset == .custom else { return }
        guard let center, let width, center.isFinite, width.isFinite, width > 0, abs(center) < 1e9, width < 1e9 else {
            throw ProjectStoreError.invalidWindow("a custom window needs a finite center and a width above 0 (in the volume's units, e.g. HU)")
        }
    }

    /// The window's (center, width) in source units for a volume whose 0.5 and 99.5 percentiles
    /// are `percentiles` (`VolumeSidecar.percentiles`); nil when it cannot be resolved (the
    /// percentiles preset for a volume without them, a constant volume).
    public func resolved(percentiles: [Double]?) -> (center: Double, width: Double)? {
        switch preset {
        case .custom:
            guard let center, let width, width > 0 else { return nil }
            return (center, width)
        case .percentiles:
            guard let range = percentiles, range.count == 2, range[1] > range[0] else { return nil }
            return ((range[0] + range[1]) / 2, range[1] - range[0])
        default:
            return preset.fixed
        }
    }

    /// The one mapping from a stored volume slice to what the network sees (and the page shows):
    /// each stored 16-bit sample `s` becomes `mapping.value(ofStored: s)` in source units, then
    /// `(value - (center - width / 2)) / width`, clamped to 0...1.
    ///
    /// ```swift
    /// // scale 1, offset -1024 (CT), soft tissue (40/400): stored 1024 (0 HU) -> (0 + 160) / 400 = 0.4
    /// let image = try LabelWindow.apply((40, 400), mapping: mapping, to: slicePNG)
    /// ```
    public static func apply(_ window: (center: Double, width: Double), mapping: IntensityMapping, to png: PNGImage) throws -> GreyImage {
        let low = window.center - window.width / 2
        // value = scale * s + offset, so (value - low) / width = a * s + b.
        let a = mapping.scale / window.width, b = (mapping.offset - low) / window.width
        let count = png.width * png.height
        var out = [Float](repeating: 0, count: count)
        if png.bitDepth == 16 && png.channels <= 2 {
            png.samples.withUnsafeBufferPointer { samples in
                for i in 0..<count {
                    out[i] = Float(min(max(a * Double(samples[i * png.channels]) + b, 0), 1))
                }
            }
        } else {
            // A slice replaced by an 8-bit or colour PNG by hand: its luminance on the 16-bit scale.
            for (i, level) in png.luminance().enumerated() {
                out[i] = Float(min(max(a * Double(level) * 65535 + b, 0), 1))
            }
        }
        return try GreyImage(width: png.width, height: png.height, windowedPixels: out)
    }
}
