import ArgumentParser
import Evaluation
import Foundation
import Imaging
import Inference
import PNGCodec

/// Failures of `multiverseg predict` that are not the libraries' own.
enum PredictCommandError: Error, CustomStringConvertible {
    case contextFolderMissing(path: String)
    case contextMaskMissing(image: String, expectedMask: String)
    case cannotWrite(path: String, reason: String)

    var description: String {
        switch self {
        case let .contextFolderMissing(path):
            return "no context images at '\(path)': a context folder holds images/ and masks/ with the same file names"
        case let .contextMaskMissing(image, expectedMask):
            return "context image '\(image)' has no mask: add '\(expectedMask)' (same name in masks/) or remove the image"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        }
    }
}

/// `multiverseg predict`: one prediction on one PNG, from the command line.
///
/// ```
/// multiverseg predict --weights model.safetensors --image scan.png --click 120,80 \
///     --context labeled/ -o scan-mask.png --probabilities scan-prob.png
/// ```
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Segment one image from interactions and an optional folder of labeled examples.",
        discussion: """
            Coordinates are pixel indices of the image (x to the right, y down; decimals allowed). \
            Options that take interactions may be repeated.
            """)

    @Option(help: "Weights file (safetensors): a MultiverSeg or ScribblePrompt-UNet network.")
    var weights: String

    @Option(help: "Optional ScribblePrompt-UNet weights, used when no context is given.")
    var interactiveWeights: String?

    @Option(help: "The image to segment (PNG, grey or colour, 8 or 16 bit).")
    var image: String

    @Option(name: .customLong("click"), help: "Positive click x,y.")
    var clicks: [String] = []

    @Option(name: .customLong("negative-click"), help: "Negative click x,y.")
    var negativeClicks: [String] = []

    @Option(name: .customLong("box"), help: "Box x0,y0,x1,y1 (opposite corner pixels).")
    var boxes: [String] = []

    @Option(name: .customLong("scribble"), help: "Positive scribble x,y;x,y;... (a polyline).")
    var scribbles: [String] = []

    @Option(name: .customLong("negative-scribble"), help: "Negative scribble x,y;x,y;...")
    var negativeScribbles: [String] = []

    @Option(help: "Scribble width in image pixels (default: one pixel at the network's resolution).")
    var scribbleWidth: Double?

    @Option(help: "Folder with images/ and masks/ (same file names): the labeled context.")
    var context: String?

    @Option(help: "At most this many context entries are used (the most similar to the image).")
    var contextLimit: Int = 16

    @Option(help: "Threads for the network.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("repeat"), help: "Run the prediction this many times and print the median time of each stage (a benchmark).")
    var repetitions: Int = 1

    @Option(name: .shortAndLong, help: "Output mask PNG (0/255, the image's size).")
    var output: String

    @Option(help: "Optional output PNG of the foreground probability (0-255).")
    var probabilities: String?

    func run() throws {
        let interactions = try parsedInteractions()
        let target = try GreyImage(contentsOfFile: image)

        let loadStart = ContinuousClock.now
        let predictor = try ModelSpec.load(weights: weights, interactiveWeights: interactiveWeights)
            .makePredictor(threads: threads, options: PredictorOptions(contextLimit: contextLimit))
        var contextSet = predictor.makeContextSet()
        if let context { contextSet = try loadContext(folder: context, into: contextSet) }
        let loaded = ContinuousClock.now - loadStart

        var runs: [Prediction] = []
        for _ in 0..<max(1, repetitions) {
            runs.append(try predictor.predict(target, interactions: interactions, context: contextSet))
        }
        let prediction = runs[0]
        let median = { (stage: (PredictionTiming) -> Duration) in runs.map { stage($0.timing) }.sorted()[runs.count / 2] }
        try write(prediction.mask.pngData(), to: output)
        if let probabilities {
            let samples = prediction.probabilities.map { UInt16(($0 * 255).rounded()) }
            try write(PNGImage.encode(samples: samples, width: prediction.width, height: prediction.height,
                                      colorType: .grey, bitDepth: 8), to: probabilities)
        }

        let foreground = prediction.mask.foregroundCount
        let ms = { (d: Duration) in String(format: "%.1f ms", d.inMilliseconds) }
        print("\(image): \(prediction.width)x\(prediction.height), foreground \(foreground) pixels "
              + "(\(String(format: "%.1f", 100 * Double(foreground) / Double(prediction.mask.pixels.count)))%)")
        print("network: \(prediction.usedInteractiveNetwork ? "interactive (no context)" : "MultiverSeg"), "
              + "context \(prediction.contextIDs.count) of \(contextSet.count)"
              + (prediction.contextIDs.isEmpty ? "" : ": \(prediction.contextIDs.joined(separator: ", "))"))
        print("time: load \(ms(loaded)); predict\(runs.count > 1 ? " (median of \(runs.count))" : "") "
              + "\(ms(median(\.total))) = pre \(ms(median(\.preprocessing))) + network \(ms(median(\.network))) "
              + "+ post \(ms(median(\.postprocessing)))")
        print("wrote \(output)" + (probabilities.map { " and \($0)" } ?? ""))
    }

    func parsedInteractions() throws -> Interactions {
        Interactions(
            positiveClicks: try clicks.map { try ImagePoint(parsing: $0) },
            negativeClicks: try negativeClicks.map { try ImagePoint(parsing: $0) },
            boxes: try boxes.map { try ImageBox(parsing: $0) },
            positiveScribbles: try scribbles.map { try Scribble(parsing: $0, width: scribbleWidth) },
            negativeScribbles: try negativeScribbles.map { try Scribble(parsing: $0, width: scribbleWidth) })
    }

    /// Every PNG in `folder/images` with its namesake in `folder/masks`, read as `eval` reads a
    /// task folder, except that an empty mask is a context entry too.
    func loadContext(folder: String, into set: ContextSet) throws -> ContextSet {
        var set = set
        let examples: [LabeledExample]
        do {
            examples = try LabeledExample.load(images: (folder as NSString).appendingPathComponent("images"),
                                               masks: (folder as NSString).appendingPathComponent("masks"),
                                               keepingEmptyMasks: true)
        } catch EvaluationError.folderMissing(let path) {
            throw PredictCommandError.contextFolderMissing(path: path)
        } catch EvaluationError.maskMissing(let image, let expectedMask) {
            throw PredictCommandError.contextMaskMissing(image: (image as NSString).lastPathComponent, expectedMask: expectedMask)
        }
        for example in examples {
            try set.insert(id: example.fileName, image: example.image, mask: example.truth)
        }
        return set
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PredictCommandError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
