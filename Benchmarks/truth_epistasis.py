#!/usr/bin/env python3
"""Does the model need both sites of a planted pair? Knock-out interactions read from ONNX Runtime
(independent of motifattn's Swift code), for planted partners and for non-partner planted sites.

usage: truth_epistasis.py SIMDIR MODEL.safetensors [--limit N] [--threads T] [--seed S]

SIMDIR is a simulate.py output (test.fa, sites.tsv). For every positive test sequence and every two
planted sites of different motifs, the sequence is scored as it is (L), with site A replaced by random
bases (L_A), with site B replaced (L_B) and with both replaced (L_AB); the interaction is
L - L_A - L_B + L_AB (first logit). A model that needs both sites (an AND of two TFs) gives about the
full logit drop; a site that adds evidence on its own gives about 0. The same on the probability scale
(the logistic of each logit, `--epistasis-scale probability`): positive also for a pair whose evidence the
model adds in logits but which only together make the sequence bound. Prints, per motif pair, partners
(P) and non-partners in positives (N): count, mean and median interaction, fraction positive, the
mean drop for each site alone, and the mean and fraction positive of the probability-scale interaction, and the count of positive
logit interactions. This is what `motifattn analyze --specificity epistasis` measures on
PWM-called instances. Needs numpy, onnx, onnxruntime, safetensors.
"""
import collections, os, sys
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(here, "peer"), here]
import ort_peer  # noqa: E402
from truth_coattention import read_test_set, test_set_parser  # noqa: E402


def main():
    parser = test_set_parser(__doc__)
    parser.add_argument("--seed", type=int, default=1, help="seed of the replacement bases")
    args = parser.parse_args()

    config, weights = ort_peer.load(args.model)
    session = ort_peer.session(ort_peer.build(config, weights, with_attention=False), args.threads)
    names, sequences, labels, sites = read_test_set(args.simdir, args.limit)
    k, stride = config["tokenizer"]["k"], config["tokenizer"]["stride"]
    rng = np.random.default_rng(args.seed)

    def knocked(sequence, site):
        composition = np.array([sequence.count(b) for b in "ACGT"], dtype=float)
        drawn = rng.choice(list("ACGT"), site[1] - site[0], p=composition / composition.sum())
        return sequence[:site[0]] + "".join(drawn) + sequence[site[1]:]

    jobs = []
    for name, sequence in zip(names, sequences):
        if labels[name] != 1:
            continue
        planted = sites.get(name, [])
        for i in range(len(planted)):
            for j in range(i + 1, len(planted)):
                a, b = planted[i], planted[j]
                if a[2] == b[2]:
                    continue
                partners = a[3].startswith("pair") and b[3].startswith("pair")
                key = ("P " if partners else "N ") + " + ".join(sorted([a[2], b[2]]))
                jobs.append((key, [sequence, knocked(sequence, a), knocked(sequence, b), knocked(knocked(sequence, a), b)]))
    flat = [s for _, variants in jobs for s in variants]
    logits = []
    for first in range(0, len(flat), 512):
        ids = ort_peer.tokenize(flat[first:first + 512], k, stride)
        logits.append(session.run(None, {session.get_inputs()[0].name: ids})[0][:, 0])
    scores = np.concatenate(logits).reshape(-1, 4)
    interaction = scores[:, 0] - scores[:, 1] - scores[:, 2] + scores[:, 3]
    probabilities = 1 / (1 + np.exp(-scores.astype(np.float64)))
    probability_interaction = probabilities[:, 0] - probabilities[:, 1] - probabilities[:, 2] + probabilities[:, 3]
    grouped = collections.defaultdict(list)
    for (key, _), value, row, on_probability in zip(jobs, interaction, scores, probability_interaction):
        grouped[key].append((value, row, on_probability))
    print(f"model {args.model}; {len(names)} test sequences")
    print("pair\tn\tmean_interaction\tmedian_interaction\tfraction_positive\tdrop_a\tdrop_b"
          "\tmean_probability_interaction\tfraction_positive_probability\tpositive")
    for key in sorted(grouped):
        values = np.array([v for v, _, _ in grouped[key]])
        rows = np.array([r for _, r, _ in grouped[key]])
        on_probability = np.array([p for _, _, p in grouped[key]])
        if len(values) < 15:
            continue
        print(f"{key}\t{len(values)}\t{values.mean():.2f}\t{np.median(values):.2f}\t{np.mean(values > 0):.2f}"
              f"\t{np.mean(rows[:, 0] - rows[:, 1]):.2f}\t{np.mean(rows[:, 0] - rows[:, 2]):.2f}"
              f"\t{on_probability.mean():.3f}\t{np.mean(on_probability > 0):.2f}\t{int(np.sum(values > 0))}")


if __name__ == "__main__":
    main()
