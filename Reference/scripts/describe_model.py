#!/usr/bin/env python3
"""Adds to a motifattn model what it was trained on, for `scan`'s training-data check.

    describe_model.py MODEL.safetensors "NOUN PHRASE" [GENOME.fa.gz]

Writes two safetensors metadata keys (tensors unchanged, byte for byte):
  motifattn_trained_on          the noun phrase ("the simulated demo (...)")
  motifattn_trained_on_genome   when GENOME is given: the genome the training data came from, as
                                {"bases", "sequences", "sha256"} of its .fai (name<TAB>length<LF> lines)
`scan` then names the training data in its caution, and stays silent on GENOME.
"""
import hashlib
import json
import os
import struct
import sys


def genome_signature(path):
    names_and_lengths = []
    with open(path + ".fai") as fai:
        for line in fai:
            fields = line.rstrip("\n").split("\t")
            names_and_lengths.append((fields[0], int(fields[1])))
    text = "".join(f"{name}\t{length}\n" for name, length in names_and_lengths)
    return {"bases": sum(length for _, length in names_and_lengths), "sequences": len(names_and_lengths),
            "sha256": hashlib.sha256(text.encode()).hexdigest()}


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    model, phrase = sys.argv[1], sys.argv[2]
    with open(model, "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    metadata = header.setdefault("__metadata__", {})
    metadata["motifattn_trained_on"] = phrase
    if len(sys.argv) == 4:
        metadata["motifattn_trained_on_genome"] = json.dumps(genome_signature(sys.argv[3]), sort_keys=True,
                                                             separators=(",", ":"))
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    temporary = model + ".tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + data[8 + header_length:])
    os.replace(temporary, model)


if __name__ == "__main__":
    main()
