import Foundation
import FuzzSupport
import Imaging
import Inference

// `multiverseg serve --weights FILE` reads the file as safetensors, infers the network's
// configuration from its metadata and tensor shapes, and builds the network. A weights file is
// hostile input: every step must throw a typed error rather than crash or allocate without bound.
// The total-size limit is lowered from 8 GiB so that the fuzzer's memory cap only flags
// allocations the limits fail to stop.

private let limits: SafeTensors.Limits = {
    var limits = SafeTensors.Limits()
    limits.maxTotalBytes = 64 << 20
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let weights = try? SafeTensors.decode(bytes, limits: limits) else { return 0 }
    for tensor in weights.tensors.values {
        expect(tensor.shape.reduce(1, *) == tensor.values.count, "tensor shape does not match its values")
    }
    // Whatever decodes must survive a write and a re-read unchanged.
    if let encoded = try? SafeTensors.encode(weights) {
        let again = try? SafeTensors.decode(encoded)
        expect(sameContents(again, weights), "safetensors round trip changed the file")
    }
    _ = try? weights.checkFormat()
    guard let configuration = try? NetworkConfiguration(weights: weights) else { return 0 }
    let network: SegmentationNetwork?
    switch configuration.architecture {
    case .multiverseg: network = try? MultiverSegNetwork(weights: weights, threads: 1)
    case .scribblepromptUNet: network = try? ScribblePromptUNet(weights: weights, threads: 1)
    }
    // What the server does with the first click: a loaded network must predict (or throw).
    // Above 128 (the released models' size, and the most the corpus reaches cheaply) one
    // prediction takes seconds; `NetworkConfiguration.maxResolution` bounds what loads at all.
    expect(configuration.resolution <= NetworkConfiguration.maxResolution, "a network of resolution \(configuration.resolution) loaded")
    if let network, network.resolution <= 128, let predictor = try? Predictor(network: network) {
        var interactions = Interactions()
        interactions.positiveClicks = [ImagePoint(x: 3, y: 2)]
        if let prediction = try? predictor.predict(clickImage, interactions: interactions) {
            expect(prediction.probabilities.count == clickImage.width * clickImage.height,
                   "prediction does not cover the image")
        }
    }
    return 0
}

private let clickImage = try! GreyImage(width: 6, height: 4, pixels: (0..<24).map { Float($0) / 23 })
