// The motifattn library: every stage, re-exported for users who `import MotifAttn`.
@_exported import MotifAttnCore
@_exported import MotifAttnIO
@_exported import MotifAttnTokenizers
@_exported import MotifAttnModel
@_exported import MotifAttnAnalysis
