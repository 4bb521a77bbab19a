import ArgumentParser

/// Every subcommand, in the order `motifattn --help` lists them.
let allSubcommands: [ParsableCommand.Type] = [
    WindowsCommand.self,
    ScoreCommand.self,
    VariantsCommand.self,
    TrainCommand.self,
    PruneCommand.self,
    ScanCommand.self,
    DiscoverCommand.self,
    AnalyzeCommand.self,
    MergeCommand.self,
    EvaluateCommand.self,
    ClassesCommand.self,
    SiteClaimsCommand.self,
    BenchTrainCommand.self,
    BenchEncoderCommand.self,
]
