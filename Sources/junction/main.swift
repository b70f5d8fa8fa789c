import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionServer
import JunctionStore

// `--home DIR` (or `--home=DIR`) may stand anywhere before `--`: take it out and hand it on
// through JUNCTION_HOME, so every subcommand sees the same home without repeating the option.
var arguments = Array(CommandLine.arguments.dropFirst())
let terminator = arguments.firstIndex(of: "--") ?? arguments.endIndex
var index = 0
while index < min(terminator, arguments.count) {
    let argument = arguments[index]
    if argument == "--home", index + 1 < arguments.count, index + 1 != terminator {
        setenv("JUNCTION_HOME", arguments[index + 1], 1)
        arguments.removeSubrange(index...(index + 1))
        break
    } else if argument.hasPrefix("--home=") {
        setenv("JUNCTION_HOME", String(argument.dropFirst("--home=".count)), 1)
        arguments.remove(at: index)
        break
    }
    index += 1
}

/// Runs the command; its exit status, with the error said on stderr.
func runCommand(_ arguments: [String]) async -> Int32 {
    do {
        var command = try Junction.parseAsRoot(arguments)
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.runAsync()
        } else {
            try command.run()
        }
        return 0
    } catch let error as StoreError {
        Output.printError(error.description)
    } catch let error as CLIError {
        Output.printError(error.description)
    } catch let error as DaemonError {
        Output.printError(error.description)
    } catch let error as LocalAPIError {
        Output.printError(error.description)
    } catch let error as OAuthError {
        Output.printError(error.description)
    } catch let error as JunctionCore.ValidationError {
        Output.printError(error.description)
    } catch {
        let code = Junction.exitCode(for: error)
        let message = Junction.fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
            return 0
        }
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }
    return 1
}

let status = await runCommand(arguments)
// The daemon's API client, if a command used it: its connections close before the process ends.
await LocalAPIClient.shutdownSharedClient()
exit(status)
