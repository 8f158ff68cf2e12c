import Foundation

// Entry point: pick the subcommand, hand it the rest of the arguments, exit with its code.
let arguments = Array(CommandLine.arguments.dropFirst())
exit(CommandRouter.run(arguments))
