import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore

/// Background windows made from bound ones, as SATORI's shuffled background: each bound window is
/// dinucleotide-shuffled (2-mer counts kept) and its motif instances are put back at random,
/// non-overlapping places, so the background has the same motifs but not their arrangement.
public enum ShuffledBackground {
    /// The shuffled copy of `window` with `instances` (sites in its bases) re-embedded; deterministic for the generator state.
    public static func make(from window: Window, instances: [MotifInstance], using generator: inout SeededGenerator) -> Window {
        var bases = DinucleotideShuffle.shuffle(window.bases, using: &generator)
        var taken: [Range<Int>] = []
        for instance in instances.sorted(by: { ($0.end - $0.start, $0.start) > ($1.end - $1.start, $1.start) }) {
            let width = instance.end - instance.start
            guard width > 0, width <= bases.count else { continue }
            let site = Array(window.bases[instance.start..<instance.end])
            for _ in 0..<50 {
                let start = generator.uniform(below: bases.count - width + 1)
                let range = start..<(start + width)
                if taken.contains(where: { $0.overlaps(range) }) { continue }
                bases.replaceSubrange(range, with: site)
                taken.append(range)
                break
            }
        }
        var shuffled = window
        shuffled.bases = bases
        shuffled.name = window.label + "_shuffled"
        return shuffled
    }
}
