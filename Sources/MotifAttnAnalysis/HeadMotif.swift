import Foundation
import MotifAttnCore

/// A motif one head attends to, discovered from its high-attention regions.
public struct HeadMotif: Sendable {
    /// The head.
    public var head: HeadIndex
    /// The motif, named `L{layer}H{head}_{n}` (n from 1, in order of significance).
    public var motif: Motif
    /// Windows (bound and background) holding the seed word in a high-attention region of this head.
    public var sites: Int
    /// Fraction of bound windows where the seed word lies in a high-attention region.
    public var boundFraction: Double
    /// Fraction of background windows where the seed word lies in a high-attention region.
    public var backgroundFraction: Double
    /// Hypergeometric p-value of the seed word's enrichment in bound windows.
    public var pValue: Double
    /// Benjamini–Hochberg q-value of the seed word over all words and heads tested.
    public var qValue: Double
    /// Of the windows (bound and background) holding the seed word, the fraction where it lies in a
    /// high-attention region of this head.
    public var focusFraction: Double = .nan
    /// The head's overall rate: over every word, windows with the word in a region per window holding it.
    public var expectedFraction: Double = .nan
    /// Binomial p-value of the seed word's attention focus (`focusFraction` above `expectedFraction`).
    public var focusPValue: Double = .nan
    /// Benjamini–Hochberg q-value of the focus p-value over all words and heads.
    public var focusQValue: Double = .nan
    /// The best database match, if a comparator was given.
    public var bestMatch: MotifMatch? { matches.first }
    /// Every database match (one per target, best first), if a comparator was given.
    public var matches: [MotifMatch] = []
}
