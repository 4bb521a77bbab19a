# Shards from the genome's .fai: every chromosome cut into chunks of at most
# `chunk_size` bases, aligned to the stride so that the windows of all shards
# together are exactly the windows of one whole-genome scan.
import os

FINAL_FILES = ["scores.tsv", "scores.bedgraph", "head_motifs.tsv", "motifs.meme", "motif_matches.tsv",
               "interactions.tsv", "heads.tsv", "report.html", "run.json"]


def fai_path():
    genome = config["genome"]
    return genome + ".fai"


def read_shards():
    fai = fai_path()
    if not os.path.exists(fai):
        shell("samtools faidx {genome}", genome=config["genome"])
    stride = int(config["stride"])
    chunk = max(stride, int(config["chunk_size"]) // stride * stride)
    shards = []
    with open(fai) as f:
        for line in f:
            name, length = line.split("\t")[:2]
            for start in range(0, int(length), chunk):
                end = min(int(length), start + chunk)
                shards.append((name, start, end))
    return shards


SHARDS = {f"{c}_{s}_{e}": (c, s, e) for c, s, e in read_shards()}


def optional(flag, key):
    value = config.get(key, "")
    return f"{flag} {value}" if value else ""
