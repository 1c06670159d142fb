import ArgumentParser

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the labeling app.")
    func run() throws { throw ValidationError("serve is being written") }
}
