import Foundation
import TestSupport
import Testing

/// `multiverseg bench` on a tiny random-init network, shaped by the options `bench` shares with
/// `eval` (`RandomNetworkOptions`), in both spellings.
@Suite struct BenchCommandTests {
    struct Report: Decodable {
        let features: Int
        let levels: Int
        let resolution: Int
        let arch: String
    }

    func bench(_ shape: [String]) throws -> Report {
        let (status, output) = try BuiltTool.run(
            ["bench"] + shape + ["--contexts", "0", "--runs", "1", "--warmup", "0", "--threads", "1", "--json"])
        #expect(status == 0, "\(output)")
        let json = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") })
        return try JSONDecoder().decode(Report.self, from: Data(json.utf8))
    }

    @Test func theRandomNetworkTakesItsShapeFromTheSharedOptions() throws {
        let plain = try bench(["--features", "4", "--levels", "2", "--resolution", "32"])
        #expect(plain.features == 4 && plain.levels == 2 && plain.resolution == 32 && plain.arch == "multiverseg")
        // eval's spelling works for bench too: one group of options.
        let spelled = try bench(["--random-features", "6", "--random-levels", "3", "--resolution", "32",
                                 "--arch", "scribbleprompt-unet"])
        #expect(spelled.features == 6 && spelled.levels == 3 && spelled.arch == "scribbleprompt-unet")
        let (status, output) = try BuiltTool.run(["bench", "--arch", "resnet", "--contexts", "0", "--runs", "1"])
        #expect(status != 0 && output.contains("--arch must be multiverseg or scribbleprompt-unet"))
    }
}
