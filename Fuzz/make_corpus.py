#!/usr/bin/env python3
"""Rebuild the seed corpora in corpus/<harness>/ (run from anywhere): python3 Fuzz/make_corpus.py

Seeds are small (a few KB): cut from the committed fixtures (Tests/Fixtures, Tests/Fixtures/bad-inputs,
Reference/) or made like them at a smaller size. Needs python3 with numpy, samtools and bgzip. The
partial-state seeds are written by the harness itself (see run.sh: MOTIFATTN_FUZZ_WRITE_SEEDS).
Files found by fuzzing (corpus/<harness>/finding-*) are kept: this script only writes seed-* files.
"""
import glob, gzip, json, os, struct, subprocess, tempfile
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIX = os.path.join(ROOT, "Tests", "Fixtures")
BAD = os.path.join(FIX, "bad-inputs")
REF = os.path.join(ROOT, "Reference")


def seed(harness, name, data):
    folder = os.path.join(HERE, "corpus", harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def bgzip(data):
    return subprocess.run(["bgzip", "-c"], input=data, capture_output=True, check=True).stdout


# --- region strings -----------------------------------------------------------------------------------
for i, text in enumerate(["chr1", "chr1:1000", "chr1:1-100", "chr1:1,000-2,000", "NC_045512.2:100-29903",
                          "HLA-A*01:01:01:01:1-50", "chrA:5-", "chr1:0-10", "chr1:10-5", ":1-2", "chr1:x-9"]):
    seed("region", f"{i:02d}", text)

# --- BED ----------------------------------------------------------------------------------------------
for path in sorted(glob.glob(os.path.join(BAD, "*.bed"))):
    seed("bed", os.path.basename(path), read(path))
peaks = b"".join(read(os.path.join(FIX, "genomes", "hg19_GM12878_CTCF_top500_200bp.bed")).splitlines(True)[:12])
seed("bed", "hg19_peaks.bed", peaks)
seed("bed", "hg19_peaks.bed.gz", gzip.compress(peaks))
seed("bed", "hg19_peaks.bed.bgz", bgzip(peaks))
seed("bed", "narrowpeak.bed", "track name=peaks\nbrowser position chr1:1-100\n# comment\n\n"
     "chr1\t100\t300\tpeak1\t500\t.\t12.5\t-1\t3.2\t87\nchr1\t400\t600\tpeak2\t0\t+\t1\t2\t3\t-1\r\nchr2\t0\t10\n")

# --- labels -------------------------------------------------------------------------------------------
for i, text in enumerate(["label=1", "label=0", "label=1,0,1", "source=sim label=0,1 gc=0.41", "label=", "label=1,,0",
                          "label=2", "no labels here", "\tlabel=1\t"]):
    seed("labels", f"{i:02d}", text)

# --- FASTA records and windows --------------------------------------------------------------------
fasta_seeds = {}
for name in ["duplicate_names.fa", "zero_length_record.fa", "non_utf8_header.fa", "no_header.fa", "empty.fa"]:
    fasta_seeds[name] = read(os.path.join(BAD, name))
fasta_seeds["good_small_cut.fa"] = read(os.path.join(BAD, "good_small.fa"))[:1500]
fasta_seeds["crlf_cut.fa"] = read(os.path.join(BAD, "crlf.fa"))[:1200]
with gzip.open(os.path.join(REF, "demo", "test.fa.gz"), "rb") as f:
    labelled = b"".join(f.read(4000).splitlines(True)[:6])
fasta_seeds["labelled.fa"] = labelled
fasta_seeds["labelled_multi.fa"] = b">a label=1,0\nACGTNNacgt\n>b label=0,1\nGGGCCC\nTTTA\n>c label=1,1\n\n"
fasta_seeds["labelled.fa.gz"] = gzip.compress(labelled)
fasta_seeds["labelled.fa.bgz"] = bgzip(labelled)
lam = subprocess.run(["bgzip", "-dc", os.path.join(FIX, "genomes", "lambda_virus.fa.gz")], capture_output=True, check=True).stdout
lam_cut = b"".join(lam.splitlines(True)[:30])
fasta_seeds["lambda_cut.fa.bgz"] = bgzip(lam_cut)
fasta_seeds["lambda_cut_truncated.fa.bgz"] = bgzip(lam_cut)[:-28]  # no BGZF end-of-file marker
fasta_seeds["lambda_cut_truncated.fa.gz"] = gzip.compress(lam_cut)[:700]
for name, data in fasta_seeds.items():
    seed("fasta-records", name, data)
    seed("window-reader", name, data)

# Alignments: the first reads of the SARS-CoV-2 BAM as SAM, BAM and CRAM (reference embedded).
with tempfile.TemporaryDirectory() as tmp:
    bam = os.path.join(FIX, "genomes", "sarscov2_SRR11728627.sorted.bam")
    sam = subprocess.run(["samtools", "view", "-h", bam], capture_output=True, check=True).stdout
    lines = sam.splitlines(True)
    header = [l for l in lines if l.startswith(b"@")]
    reads = [l for l in lines if not l.startswith(b"@")][:6]
    small = b"".join(header + reads)
    seed("window-reader", "reads.sam", small)
    with open(os.path.join(tmp, "small.sam"), "wb") as f:
        f.write(small)
    seed("window-reader", "reads.bam", subprocess.run(["samtools", "view", "-b", os.path.join(tmp, "small.sam")],
                                                      capture_output=True, check=True).stdout)
    ref = os.path.join(tmp, "ref.fa")
    with open(ref, "wb") as f:
        f.write(subprocess.run(["bgzip", "-dc", os.path.join(FIX, "genomes", "sarscov2_NC_045512.2.fa.gz")],
                               capture_output=True, check=True).stdout)
    seed("window-reader", "reads.cram", subprocess.run(
        ["samtools", "view", "-C", "-T", ref, "--output-fmt-option", "embed_ref=1", os.path.join(tmp, "small.sam")],
        capture_output=True, check=True).stdout)
    seed("window-reader", "unmapped.sam", "@HD\tVN:1.6\n@SQ\tSN:c1\tLN:30\nr1\t4\t*\t0\t0\t*\t*\t0\t0\tACGTN\t*\n"
         "r2\t0\tc1\t3\t60\t4M\t*\t0\t0\tACGT\tIIII\n")

# --- model config and safetensors --------------------------------------------------------------------
configs = []
for path in sorted(glob.glob(os.path.join(FIX, "model-v1", "*", "model.safetensors"))):
    data = read(path)
    n = struct.unpack("<Q", data[:8])[0]
    configs.append(json.loads(data[8:8 + n])["__metadata__"]["motifattn"])
for i, text in enumerate(configs):
    seed("model-config", f"fixture-{i}.json", text)
for i, path in enumerate(sorted(glob.glob(os.path.join(FIX, "model-v2", "*", "model.safetensors")))):
    data = read(path)
    n = struct.unpack("<Q", data[:8])[0]
    seed("model-config", f"fixture-v2-{i}.json", json.loads(data[8:8 + n])["__metadata__"]["motifattn"])
tiny = {"activation": "gelu", "d_ff": 4, "d_model": 2, "format": "motifattn-model", "layer_norm_eps": 1e-05,
        "max_len": 6, "n_heads": 1, "n_layers": 1, "n_outputs": 1, "norm_first": True, "pooling": "cls",
        "positional": "learned", "tokenizer": {"k": 1, "kind": "kmer", "stride": 1}, "version": 1}
seed("model-config", "tiny.json", json.dumps(tiny, sort_keys=True))
seed("model-config", "tiny-conv.json", json.dumps(dict(tiny, conv_width=3), sort_keys=True))
seed("model-config", "unknown-key.json", json.dumps(dict(tiny, rotary=True), sort_keys=True))
seed("model-config", "wrong-type.json", json.dumps(dict(tiny, d_model="2"), sort_keys=True))


def shapes(c):
    d, f, v = c["d_model"], c["d_ff"], 5 + 4 ** c["tokenizer"]["k"]
    s = {"tok_emb.weight": [v, d], "pos_emb.weight": [c["max_len"], d], "encoder.norm.weight": [d],
         "encoder.norm.bias": [d], "head.weight": [c["n_outputs"], d], "head.bias": [c["n_outputs"]]}
    if c.get("conv_width", 0):
        s["stem.weight"] = [d, d, c["conv_width"]]
        s["stem.bias"] = [d]
    for l in range(c["n_layers"]):
        p = f"encoder.layers.{l}."
        a = len(c["kept_heads"][l]) * d // c["n_heads"] if "kept_heads" in c else d  # a pruned layer is narrower
        s.update({p + "self_attn.in_proj_weight": [3 * a, d], p + "self_attn.in_proj_bias": [3 * a],
                  p + "self_attn.out_proj.weight": [d, a], p + "self_attn.out_proj.bias": [d],
                  p + "linear1.weight": [f, d], p + "linear1.bias": [f], p + "linear2.weight": [d, f],
                  p + "linear2.bias": [d]})
        for n in ["norm1", "norm2"]:
            s[p + n + ".weight"] = [d]
            s[p + n + ".bias"] = [d]
    return s


def safetensors(tensors, metadata, dtypes=None, offsets=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        array = tensors[name]
        dtype = (dtypes or {}).get(name, "F32")
        raw = array.astype({"F32": "<f4", "F64": "<f8", "F16": "<f2", "I8": "i1"}[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    for name, value in (offsets or {}).items():
        header[name]["data_offsets"] = value
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


rng = np.random.default_rng(1)
for label, config in [("tiny", tiny), ("tiny-conv", dict(tiny, conv_width=3)),
                      ("tiny-2out", dict(tiny, n_outputs=2, n_layers=0, tokenizer={"k": 2, "kind": "kmer", "stride": 2})),
                      ("tiny-pruned", dict(tiny, d_model=4, n_heads=2, n_layers=2, version=2, kept_heads=[[1], [0, 1]],
                                           heads_per_layer=[1, 2], head_dim=2))]:
    tensors = {name: (rng.standard_normal(shape) * 0.1).astype(np.float32) for name, shape in shapes(config).items()}
    for name in tensors:
        if "norm" in name and name.endswith("weight"):
            tensors[name][:] = 1
    meta = {"motifattn": json.dumps(config, sort_keys=True)}
    seed("safetensors", f"{label}.safetensors", safetensors(tensors, meta))
    if label == "tiny":
        seed("safetensors", "no_config.safetensors", safetensors(tensors, None))
        seed("safetensors", "wrong_dtype.safetensors", safetensors(tensors, meta, dtypes={"head.bias": "F64"}))
        seed("safetensors", "f16_tensor.safetensors", safetensors(dict(tensors, extra=np.ones(3)), meta, dtypes={"extra": "F16"}))
        missing = dict(tensors)
        del missing["encoder.norm.weight"]
        seed("safetensors", "missing_tensor.safetensors", safetensors(missing, meta))
        seed("safetensors", "wrong_shape.safetensors", safetensors(dict(tensors, **{"head.weight": np.zeros((2, 2), np.float32)}), meta))
        seed("safetensors", "overlapping.safetensors", safetensors(tensors, meta, offsets={"head.bias": [0, 4]}))
        seed("safetensors", "out_of_range.safetensors", safetensors(tensors, meta, offsets={"head.bias": [4000, 4004]}))
        nan = dict(tensors)
        nan["head.weight"] = nan["head.weight"].copy()
        nan["head.weight"][0, 0] = np.nan
        seed("safetensors", "nan_weights.safetensors", safetensors(nan, meta))
        good = safetensors(tensors, meta)
        seed("safetensors", "truncated.safetensors", good[: len(good) // 2])
        seed("safetensors", "huge_header_length.safetensors", struct.pack("<Q", 1 << 62) + good[8:200])

# --- MEME ---------------------------------------------------------------------------------------------
jaspar = read(os.path.join(REF, "jaspar", "jaspar_core_vertebrates.meme")).decode()
blocks = jaspar.split("\nMOTIF ")
seed("meme", "jaspar_first3.meme", blocks[0] + "".join("\nMOTIF " + b for b in blocks[1:4]))
seed("meme", "v5_url_background.meme", "MEME version 5.5.4\n\nALPHABET= ACGT\n\nstrands: +\n\nBackground letter frequencies\n"
     "A 0.3 C 0.2\nG 0.2 T 0.3\n\nMOTIF M1 GATA-like\nletter-probability matrix: alength= 4 w= 2 nsites= 7 E= 1.5e-3\n"
     " 0.1 0.1 0.7 0.1\n 0.9 0.0 0.0 0.1\nURL http://jaspar.genereg.net/matrix/M1\n")
seed("meme", "full_output.meme", "MEME version 4\r\n\r\nMOTIF ACGT MEME-1\r\nlog-odds matrix: alength= 4 w= 2 n= 100 bayes= 3\r\n"
     " 1.2 -0.3 -2 0.1\r\n 0 0 0 0\r\n\r\nletter-probability matrix: alength= 4 w= 2 nsites= 12.4 E= 3e-10\r\n"
     "0.7 0.1 0.1 0.1\r\n0.25 0.25 0.25 0.25\r\n")
seed("meme", "no_width.meme", "MEME version 4\nALPHABET= ACGT\nMOTIF x\nletter-probability matrix:\n1 0 0 0\n0 1 0 0\n\nMOTIF y\n"
     "letter-probability matrix: alength= 4\n0.5\t0.5\t0\t0\nnot a row\n")
seed("meme", "bad_row_sum.meme", "MEME version 4\n\nMOTIF bad\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0.5 0.5\n0.25 0.25 0.25 0.25\n")

# --- JASPAR annotation table ------------------------------------------------------------------------------
table = read(os.path.join(REF, "jaspar", "jaspar_core_vertebrates.tsv")).splitlines(True)
seed("jaspar", "jaspar_head.tsv", b"".join(table[:12]))
seed("jaspar", "dimers.tsv", b"".join(table[:1] + [l for l in table if b"::" in l][:5]))
seed("jaspar", "crlf_short_row.tsv", "matrix_id\tname\ttf_class\ttf_family\r\nMA1\tA\tc\tf1;f2\r\nMA2\tB\tc\r\n")
seed("jaspar", "provenance.tsv", "##motifattn version=1\n#matrix_id\tname\ttf_class\ttf_family\nMA1\tA\tc\tf\n")
