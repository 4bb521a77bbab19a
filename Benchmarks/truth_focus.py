#!/usr/bin/env python3
"""Does a head attend a planted motif at all? Attention at planted sites read from ONNX Runtime
(independent of motifattn's Swift code), per planted motif and head.

usage: truth_focus.py SIMDIR MODEL.safetensors [--limit N] [--threads T] [--matrix TF LxHy]

SIMDIR is a simulate.py output (test.fa, sites.tsv). For every test sequence and every head, the
attention profile over bases is that of `motifattn analyze` (docs/analysis.md): the attention each
token receives, averaged over all query tokens ([CLS] included), spread evenly over the bases the
token covers. Regions are the bases whose running mean over 5 bases exceeds both the profile's mean
and mean + 0.2 * (max - mean) (analyze also needs 5 bases in a run; here any base counts). Per planted
motif and head it prints:
  share     the profile's mass on the site's bases over the site's share of the sequence (1 = uniform);
  in_region fraction of sites with at least 6 of their bases in a region;
and per head `coverage`, the fraction of all bases in a region: a motif is attended when its
in_region clearly exceeds the head's coverage. With --matrix TF LxHy it also prints the base
frequencies of the planted TF sites that head attends (in_region) and of all of them, as written in
sites.tsv: what a head motif learnt from attended sites should look like. Needs numpy, onnx,
onnxruntime, safetensors.
"""
import collections, os, sys
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(here, "peer"), here]
import ort_peer  # noqa: E402
from truth_coattention import read_test_set, test_set_parser  # noqa: E402


def base_profiles(attention, row, length, k, stride):
    """heads x bases: attention each token receives (mean over queries), spread over its bases."""
    received = np.concatenate([layer[row].mean(axis=1) for layer in attention])  # heads x tokens
    profile = np.zeros((received.shape[0], length))
    for token in range(1, received.shape[1] - 1):
        begin = (token - 1) * stride
        profile[:, begin:begin + k] += received[:, token:token + 1] / k
    return profile


def in_region(profile):
    """Bases of a head's profile inside a high-attention region (thresholds as analyze)."""
    smoothed = np.convolve(profile, np.ones(5) / 5, mode="same")
    mean = profile.mean()
    return smoothed > max(mean, mean + 0.2 * (smoothed.max() - mean))


def main():
    parser = test_set_parser(__doc__)
    parser.add_argument("--matrix", nargs=2, metavar=("TF", "HEAD"), help="frequencies of the TF's attended sites in HEAD (e.g. L0H0)")
    args = parser.parse_args()
    config, weights = ort_peer.load(args.model)
    session = ort_peer.session(ort_peer.build(config, weights, with_attention=True), args.threads)
    names, sequences, _, sites = read_test_set(args.simdir, args.limit)
    k, stride = config["tokenizer"]["k"], config["tokenizer"]["stride"]

    heads = config["n_heads"]
    chosen = None
    if args.matrix:
        layer, head = args.matrix[1].upper().lstrip("L").split("H")
        chosen = int(layer) * heads + int(head)
    shares, hits = collections.defaultdict(list), collections.defaultdict(list)
    attended_sites, all_sites = [], []
    covered, total = None, 0
    for first in range(0, len(names), 256):
        batch = sequences[first:first + 256]
        ids = ort_peer.tokenize(batch, k, stride)
        attention = session.run(None, {session.get_inputs()[0].name: ids})[1:]
        for row, sequence in enumerate(batch):
            profile = base_profiles(attention, row, len(sequence), k, stride)
            regions = np.array([in_region(head) for head in profile])
            covered = regions.sum(axis=1) if covered is None else covered + regions.sum(axis=1)
            total += len(sequence)
            for start, end, tf, _ in sites.get(names[first + row], []):
                shares[tf].append(profile[:, start:end].sum(axis=1) / ((end - start) / len(sequence)))
                hits[tf].append(regions[:, start:end].sum(axis=1) >= 6)
                if args.matrix and tf == args.matrix[0]:
                    all_sites.append(sequence[start:end])
                    if hits[tf][-1][chosen]:
                        attended_sites.append(sequence[start:end])
    head_names = [f"L{h // heads}H{h % heads}" for h in range(len(covered))]
    print(f"model {args.model}; {len(names)} test sequences")
    print("motif\tn\tmeasure\t" + "\t".join(head_names))
    print("all_bases\t%d\tcoverage\t" % total + "\t".join("%.2f" % v for v in covered / total))
    for tf in sorted(shares):
        print(f"{tf}\t{len(shares[tf])}\tshare\t" + "\t".join("%.2f" % v for v in np.mean(shares[tf], axis=0)))
        print(f"{tf}\t{len(hits[tf])}\tin_region\t" + "\t".join("%.2f" % v for v in np.mean(hits[tf], axis=0)))
    if args.matrix:
        for label, sites_read in (("attended in " + args.matrix[1], attended_sites), ("all", all_sites)):
            print(f"{args.matrix[0]} sites {label}: {len(sites_read)}\nA\tC\tG\tT")
            if sites_read:
                counts = np.array([[sum(site[j] == base for site in sites_read) for base in "ACGT"] for j in range(len(sites_read[0]))])
                for row in counts / len(sites_read):
                    print("\t".join("%.2f" % v for v in row))


if __name__ == "__main__":
    main()
