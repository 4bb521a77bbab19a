import Dispatch
import Foundation
import MotifAttnCore

/// Which motif the instance caller credits with the sites of each motif of a database.
///
/// The co-attention keeps one motif per site (`MotifInstance.bestPerSite`, smallest p-value first).
/// With a large database this is a lottery for short motifs: at a site drawn from JASPAR's Elf5 (8
/// columns), some of the other thousand motifs, overlapping the site and its flanks, often reach a
/// smaller p-value by chance, so Elf5 keeps few of its own sites. This measures it: for every motif,
/// `sitesPerMotif` sites are drawn from its own probabilities and set between random flanks, the whole
/// database is scanned over them with the analysis's thresholds, and the kept instance covering most
/// of the drawn site (at least half of the shorter of the two) claims it.
public enum SiteClaims {
    /// Settings of the measurement.
    public struct Settings: Sendable, Equatable {
        /// Sites drawn from each motif.
        public var sitesPerMotif = 60
        /// Random bases on each side of a drawn site.
        public var flank = 12
        /// Probabilities of `A C G T` in the flanks (strand-symmetric, 40 % GC).
        public var background = [0.3, 0.2, 0.2, 0.3]
        /// Seed of the drawn sites.
        public var seed: UInt64 = 1

        /// Default settings.
        public init() {}
    }

    /// `result[a][b]`: how many sites drawn from motif `a` motif `b` claimed (`b == a`: the motif kept its
    /// own site; sites no instance claimed are not counted). With `everyPassing`, every motif with an
    /// instance covering the site counts, not only the one kept (so look-alikes show as motifs that pass at
    /// most of each other's sites). Each motif draws from its own seed, so the result does not depend on `threads`.
    public static func measure(_ motifs: [Motif], threshold: InstanceThreshold, settings: Settings = Settings(),
                               threads: Int = 1, everyPassing: Bool = false) -> [[Int: Int]] {
        var claims = [[Int: Int]](repeating: [:], count: motifs.count)
        let workers = max(1, min(threads, motifs.count))
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let scanner = MotifScanner(motifs: motifs, threshold: threshold)
            var local: [(Int, [Int: Int])] = []
            for a in stride(from: worker, to: motifs.count, by: workers) {
                local.append((a, claimants(ofSitesFrom: a, motifs: motifs, scanner: scanner, settings: settings, everyPassing: everyPassing)))
            }
            lock.lock()
            for (a, counts) in local { claims[a] = counts }
            lock.unlock()
        }
        return claims
    }

    private static func claimants(ofSitesFrom a: Int, motifs: [Motif], scanner: MotifScanner, settings: Settings, everyPassing: Bool = false) -> [Int: Int] {
        var generator = SeededGenerator(seed: settings.seed ^ (UInt64(a + 1) &* 0x9E37_79B9_7F4A_7C15))
        let motif = motifs[a]
        let site = settings.flank..<(settings.flank + motif.width)
        var counts: [Int: Int] = [:]
        for _ in 0..<settings.sitesPerMotif {
            var bases: [UInt8] = []
            bases.reserveCapacity(motif.width + 2 * settings.flank)
            for _ in 0..<settings.flank { bases.append(generator.base(drawnFrom: settings.background)) }
            for column in motif.probabilities { bases.append(generator.base(drawnFrom: column)) }
            for _ in 0..<settings.flank { bases.append(generator.base(drawnFrom: settings.background)) }
            let all = scanner.scan(bases)
            func covers(_ instance: MotifInstance) -> Int? {
                let overlap = min(instance.end, site.upperBound) - max(instance.start, site.lowerBound)
                return 2 * overlap >= min(instance.end - instance.start, motif.width) ? overlap : nil
            }
            if everyPassing {
                for m in Set(all.filter { covers($0) != nil }.map(\.motifIndex)) { counts[m, default: 0] += 1 }
                continue
            }
            var claimant: (motif: Int, overlap: Int)?
            for instance in MotifInstance.bestPerSite(all) {
                guard let overlap = covers(instance) else { continue }
                if claimant == nil || overlap > claimant!.overlap { claimant = (instance.motifIndex, overlap) }
            }
            if let claimant { counts[claimant.motif, default: 0] += 1 }
        }
        return counts
    }

    /// The `motifattn site-claims` table of `claims` (from `measure`): per motif its width, sites drawn, sites it
    /// kept, sites nobody claimed, and the motifs that claimed the rest (`id:count`, most first; `.` for none).
    public static func tsv(_ claims: [[Int: Int]], motifs: [Motif], sitesPerMotif: Int) -> String {
        var text = "motif_id\tname\twidth\tsites_drawn\tkept_own\tunclaimed\tclaimed_by_others\n"
        for (a, motif) in motifs.enumerated() {
            let others = claims[a].filter { $0.key != a }.sorted { ($0.value, -$0.key) > ($1.value, -$1.key) }
            let unclaimed = sitesPerMotif - claims[a].values.reduce(0, +)
            let list = others.isEmpty ? "." : others.map { "\(motifs[$0.key].id):\($0.value)" }.joined(separator: ",")
            text += "\(motif.id)\t\(motif.displayName)\t\(motif.width)\t\(sitesPerMotif)\t\(claims[a][a, default: 0])\t\(unclaimed)\t\(list)\n"
        }
        return text
    }
}
