import ArgumentParser
import Inference

/// `multiverseg`: the app's command line. Each subcommand lives in Commands/ and stays thin:
/// it parses options and calls into the libraries.
@main
struct MultiverSeg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multiverseg",
        abstract: "Interactive in-context segmentation of a whole folder of biomedical images.",
        version: MultiverSegVersion.string,
        subcommands: [
            ServeCommand.self, ImportCommand.self, ExportCommand.self, PredictCommand.self, BenchCommand.self,
            WeightsCommand.self, EvalCommand.self, PropagateCommand.self, MaskImportCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}
