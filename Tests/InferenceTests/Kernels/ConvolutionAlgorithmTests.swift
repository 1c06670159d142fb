import Testing
@testable import Inference

/// Choosing the 3x3 convolution path: names, the environment variable, what this CPU offers.
@Suite struct ConvolutionAlgorithmTests {
    @Test func everyCPURunsIm2colAndThePortableKernels() {
        let available = ConvolutionAlgorithm.available
        #expect(available.contains(.im2colGEMM))
        #expect(available.contains(.portable) && available.contains(.portableDirect))
        #expect(available.contains(ConvolutionAlgorithm.fastest))
        #expect(ConvolutionAlgorithm.fastest.usesWinograd)
        // One instruction-set family per architecture.
        #expect(!(available.contains(.neon) && available.contains(.avx2)))
        for algorithm in available { #expect(algorithm.kernels?.isAvailable ?? true) }
    }

    @Test func namesAreTheRawValuesPlusTheOldDirectAndWinograd() throws {
        for algorithm in ConvolutionAlgorithm.available {
            #expect(try ConvolutionAlgorithm.named(algorithm.rawValue) == algorithm)
        }
        #expect(try ConvolutionAlgorithm.named("winograd") == .fastest)
        let direct = try ConvolutionAlgorithm.named("direct")
        #expect(direct.kernels == ConvolutionAlgorithm.fastest.kernels && !direct.usesWinograd)
        #expect(throws: ConvolutionAlgorithmError.unknown("avx3", known: ConvolutionAlgorithm.allCases.map(\.rawValue))) {
            try ConvolutionAlgorithm.named("avx3")
        }
        if let missing = ConvolutionAlgorithm.allCases.first(where: { !ConvolutionAlgorithm.available.contains($0) }) {
            #expect(throws: ConvolutionAlgorithmError.unavailable(
                missing, available: ConvolutionAlgorithm.available.map(\.rawValue))) {
                try ConvolutionAlgorithm.named(missing.rawValue)
            }
        }
    }

    @Test func theEnvironmentVariableForcesAPathOrIsReported() throws {
        let variable = ConvolutionAlgorithm.environmentVariable
        #expect(try ConvolutionAlgorithm.fromEnvironment([:]) == nil)
        #expect(try ConvolutionAlgorithm.fromEnvironment([variable: ""]) == nil)
        #expect(try ConvolutionAlgorithm.fromEnvironment([variable: "portable"]) == .portable)
        #expect(try ConvolutionAlgorithm.fromEnvironment([variable: "im2col-gemm"]) == .im2colGEMM)
        do {
            _ = try ConvolutionAlgorithm.fromEnvironment([variable: "fast"])
            Issue.record("an unknown name was accepted")
        } catch {
            guard case .environment(variable, .unknown("fast", _)) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(error.description.hasPrefix("\(variable): unknown convolution algorithm 'fast'"))
        }
    }
}
