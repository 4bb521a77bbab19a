import MotifAttnCore

/// Dinucleotide-preserving shuffles of DNA (Altschul & Erickson 1985).
///
/// The shuffled sequence has exactly the same counts of every overlapping
/// 2-mer as the input, starts with the same base and ends with the same base.
/// It is a random Eulerian walk through the multigraph whose vertices are
/// letters and whose edges are the input's adjacent letter pairs: a random
/// "last exit" edge is drawn for every letter until those edges form a tree
/// leading to the final letter (rejection, as in the paper), the remaining
/// exits of each letter are permuted, and the walk follows them in order.
/// Any byte is a letter (N and IUPAC codes are kept and shuffled like bases).
public enum DinucleotideShuffle {
    /// A shuffle of `bases` with the same 2-mer counts; deterministic for a given generator state.
    public static func shuffle(_ bases: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        let n = bases.count
        guard n > 2 else { return bases }
        // Out-edges of each letter, in input order.
        var exits = [[UInt8]](repeating: [], count: 256)
        for i in 0..<(n - 1) { exits[Int(bases[i])].append(bases[i + 1]) }
        let last = Int(bases[n - 1])
        let letters = (0..<256).filter { !exits[$0].isEmpty }

        // Draw last exits until they form an arborescence rooted at `last`.
        var lastExitIndex = [Int](repeating: -1, count: 256)
        while true {
            for v in letters where v != last {
                lastExitIndex[v] = generator.uniform(below: exits[v].count)
            }
            if lastExitsReachFinalLetter(letters: letters, last: last, exits: exits, lastExitIndex: lastExitIndex) { break }
        }

        // Permute every letter's other exits, keeping the chosen last exit at the end.
        for v in letters {
            var edges = exits[v]
            if v != last {
                let chosen = edges.remove(at: lastExitIndex[v])
                generator.shuffle(&edges)
                edges.append(chosen)
            } else {
                generator.shuffle(&edges)
            }
            exits[v] = edges
        }

        var next = [Int](repeating: 0, count: 256)
        var result = [UInt8]()
        result.reserveCapacity(n)
        var current = Int(bases[0])
        result.append(bases[0])
        for _ in 1..<n {
            let letter = exits[current][next[current]]
            next[current] += 1
            result.append(letter)
            current = Int(letter)
        }
        return result
    }

    /// Whether following the chosen last exits from every letter leads to `last` without a cycle.
    private static func lastExitsReachFinalLetter(letters: [Int], last: Int, exits: [[UInt8]], lastExitIndex: [Int]) -> Bool {
        var reaches = [Bool](repeating: false, count: 256)
        reaches[last] = true
        for start in letters where !reaches[start] {
            var path: [Int] = []
            var onPath = [Bool](repeating: false, count: 256)
            var v = start
            while !reaches[v] {
                if onPath[v] { return false }
                onPath[v] = true
                path.append(v)
                v = Int(exits[v][lastExitIndex[v]])
            }
            for u in path { reaches[u] = true }
        }
        return true
    }
}
