#!/usr/bin/env python3
"""Rebuild the bad-input corpus (run from this folder): python3 make_corpus.py

Every file is a small, deliberately broken input that motifattn must reject with
a typed, one-line error (or, where noted, accept with a warning). Made from the
committed lambda genome, the SARS-CoV-2 BAM and the k3_d32_h4_l2 fixture model. Needs
python3 with numpy and safetensors, bgzip and samtools.
"""
import gzip, json, os, shutil, struct, subprocess
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.dirname(HERE)
os.chdir(HERE)


def fasta_text():
    with gzip.open(f"{FIX}/genomes/lambda_virus.fa.gz", "rt") as f:
        return f.read()


def write(name, data):
    with open(name, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


text = fasta_text()
small = text[:6100]  # header and ~100 lines
small = small[: small.rfind("\n") + 1]
write("good_small.fa", small)

# Compressed files: truncated gzip, truncated BGZF, BGZF with a corrupt block.
write("truncated.fa.gz", gzip.compress(text.encode())[:5000])
raw = subprocess.run(["bgzip", "-c"], input=text.encode(), capture_output=True, check=True).stdout
write("truncated_bgzf.fa.gz", raw[: len(raw) // 2])
corrupt = bytearray(raw)
corrupt[len(raw) // 3: len(raw) // 3 + 64] = b"\x00" * 64
write("corrupt_block_bgzf.fa.gz", bytes(corrupt))

# A stale .fai: index of another file next to this FASTA.
write("stale_index.fa", ">lambda\n" + "ACGT" * 500 + "\n")
write("stale_index.fa.fai", "lambda\t48502\t8\t60\t61\n")

write("crlf.fa", small.replace("\n", "\r\n"))
write("empty.fa", b"")
write("binary_garbage.bin", bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)))
write("non_utf8_header.fa", b">seq\xff\xfe latin1 \xe9\nACGTACGTACGT\n")
write("zero_length_record.fa", ">empty\n>next\nACGTACGTAC\n")
write("duplicate_names.fa", ">chrA\nACGTACGT\n>chrA\nTTTTGGGG\n")
write("no_header.fa", "ACGTACGTACGT\nACGT\n")

# BED problems (contig is 'gi|9626243|ref|NC_001416.1|' in lambda; use 'lambda' for good_small.fa).
name = small.split("\n", 1)[0][1:].split()[0]
write("end_before_start.bed", f"{name}\t100\t50\n")
write("negative_start.bed", f"{name}\t-5\t50\n")
write("unknown_contig.bed", "chrNope\t0\t100\n")
write("malformed.bed", f"track name=x\n{name}\t0\t100\n{name}\tten\t200\n")
write("past_end.bed", f"{name}\t5900\t7000\n")

# Alignments: a BAM without its index, a truncated BAM.
shutil.copy(f"{FIX}/genomes/sarscov2_SRR11728627.sorted.bam", "no_index.bam")
bam = open(f"{FIX}/genomes/sarscov2_SRR11728627.sorted.bam", "rb").read()
write("truncated.bam", bam[: len(bam) // 2])

# Models: safetensors with each kind of damage, from the k3_d32_h4_l2 fixture.
from safetensors.numpy import load_file, save_file
from safetensors import safe_open
src = f"{FIX}/model-v1/k3_d32_h4_l2/model.safetensors"
with safe_open(src, "np") as f:
    meta = f.metadata()
w = load_file(src)


def save(name, tensors, metadata=meta):
    save_file(tensors, name, metadata=metadata)


t = dict(w); t["head.weight"] = np.zeros((2, 32), np.float32); save("wrong_shape.safetensors", t)
t = dict(w); t["head.bias"] = w["head.bias"].astype(np.float64); save("wrong_dtype.safetensors", t)
t = dict(w); del t["encoder.norm.weight"]; save("missing_tensor.safetensors", t)
t = dict(w); t["head.weight"] = w["head.weight"].copy(); t["head.weight"][0, 3] = np.nan; save("nan_weights.safetensors", t)
cfg = json.loads(meta["motifattn"]); cfg["rotary"] = True
save("unknown_config_key.safetensors", dict(w), {"motifattn": json.dumps(cfg, sort_keys=True)})
save("no_config.safetensors", dict(w), {"other": "x"})


def rewrite_header(name, change):
    data = open(src, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    change(header)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    write(name, struct.pack("<Q", len(h)) + h + data[8 + n:])


def out_of_range(h):
    h["head.bias"]["data_offsets"] = [10 ** 9, 10 ** 9 + 4]


def overlapping(h):
    h["head.bias"]["data_offsets"] = list(h["head.weight"]["data_offsets"][:1]) + [h["head.weight"]["data_offsets"][0] + 4]


rewrite_header("offsets_out_of_range.safetensors", out_of_range)
rewrite_header("overlapping_offsets.safetensors", overlapping)
data = open(src, "rb").read()
write("huge_header_length.safetensors", struct.pack("<Q", 2 ** 62) + data[8:])
write("truncated.safetensors", data[: len(data) // 2])
for name in os.listdir("."):
    os.chmod(name, 0o644)
print("corpus written")
