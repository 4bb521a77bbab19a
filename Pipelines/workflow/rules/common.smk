# Shards from the genome's .fai: every chromosome cut into chunks of at most
# `chunk_size` bases, aligned to the stride so that the windows of all shards
# together are exactly the windows of one whole-genome scan.
import os
import re

FINAL_FILES = ["scores.tsv.gz", "scores.bedgraph", "head_motifs.tsv", "motifs.meme", "motif_matches.tsv",
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


def shard_name(contig, start, end):
    # Sequence names may hold characters a file name or a shell should not see (lambda's "gi|9626243|...").
    return re.sub(r"[^A-Za-z0-9._-]", "_", contig) + f"_{start}_{end}"


SHARDS = {shard_name(c, s, e): (c, s, e) for c, s, e in read_shards()}


# With regions each shard scans in one job; without, a shard scores (phase 1), one job ranks all scores
# (`merge --phase threshold`), and each shard analyses the windows chosen for it (phase 2).
HAS_REGIONS = bool(config.get("regions") or "")


def optional(flag, key):
    value = config.get(key, "")
    return f"{flag} {value}" if value else ""
