#!/usr/bin/env python3
"""The benchmark panel: motifattn on many simulated benchmarks and a few real data sets.

usage: panel.py [--panel quick|dev|heldout|sim|real|all] [--motifattn BIN] [--label L]
                [--analysis-args "..."] [--scan-args "..."] [--threads T] [--members NAME,...] [--retime-training] [--save-models]

Simulated members (members.tsv): simulate.py -> train (default settings) -> score test.fa (AUROC beside
the PWM oracle's) -> analyze test.fa and scan genome.fa, each scored by `motifattn evaluate` -> the
truth scripts (Benchmarks/truth_coattention.py, truth_focus.py, truth_epistasis.py) say whether the model
itself carries each planted pair and attends each planted motif, so a miss is placed in the model or in
the analysis. Real members (REAL_MEMBERS): fly insulator ChIP-chip peaks on dm3 chr2R and GM12878 CTCF
ChIP-seq: train, scan or analyze, and whether a head motif matches the protein's own JASPAR motif.

Caches (panel-cache/, git-ignored): simulated data keyed by the simulate.py arguments and the simulator's
SHA-256; models keyed by the training data's SHA-256, the train arguments (not the thread count: train
gives the same weights on any count) and TRAINING_CODE's git tree hashes, with the training time per thread
count (--retime-training measures it on --threads); the truth scripts' outputs live beside the model. Models committed
under Benchmarks/panel/models/ (--save-models puts the run's there) seed the cache: a fresh clone whose training
code and simulated data give the same key starts from them instead of training. Outputs of analyze and scan go to
panel-out/LABEL/ (git-ignored) with the tables members.tsv, aggregate.tsv, real.tsv and stages.tsv; a
finished analysis is reused when its command and binary are the same. So an ablation is
`panel.py --label no-epistasis --analysis-args "--specificity mutual-best"`: only the analysis runs again.
"""
import argparse, csv, datetime, hashlib, json, math, os, re, shlex, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(REPO, "panel-cache")
# Committed models, one folder per member as in CACHE/models (NAME-KEY): model.safetensors, done.json (the training
# record) and truth/ (the truth scripts' outputs). A cache folder missing from CACHE is copied from here.
SAVED_MODELS = os.path.join(HERE, "models")
SAVED_FILES = ("model.safetensors", "done.json", "truth/done.json", "truth/truth_coattention.tsv",
               "truth/truth_focus.tsv", "truth/truth_epistasis.tsv")
OUT = os.path.join(REPO, "panel-out")

# The sources that shape a trained model. A model is retrained when the git tree hash of any of them
# changes (paths that do not exist at HEAD count as absent, so files may move). CVectorMath and
# MatrixProduct hold the training's softmax, GELU and products; the IO files make the genome-trained sets.
TRAINING_CODE = (
    "Sources/MotifAttnModel/Training",
    "Sources/MotifAttn/TrainingData.swift",
    "Sources/MotifAttn/TrainingPipeline.swift",
    "Sources/MotifAttnCLI/TrainCommand.swift",
    "Sources/MotifAttnKernels/MatrixProduct.swift",
    "Sources/CVectorMath",
    "Sources/MotifAttnTokenizers",
    "Sources/MotifAttnIO/GCMatchedSampler.swift",
    "Sources/MotifAttnIO/DinucleotideShuffle.swift",
)
# Validation of the models trained on real peaks: train's default for a genome, held-out contiguous
# blocks (neighbouring windows and a peak's shuffled copy stay on one side).
REAL_VALIDATION_ARGS = ()

SIMULATE = "Reference/scripts/simulate.py"
ORACLE = "Reference/scripts/pwm_oracle.py"
VERTEBRATES = "Reference/jaspar/jaspar_core_vertebrates.meme"
INSECTS = "Reference/jaspar/jaspar_core_insects"
BACKGROUNDS = {"fly": "Tests/Fixtures/genomes/dm3_chr2R.fa.gz", "ecoli": "Tests/Fixtures/genomes/ecoli_K12_MG1655.fa.gz"}
FLY_GENOME = "Tests/Fixtures/genomes/dm3_chr2R.fa.gz"
FLY_PEAKS = "Tests/Fixtures/genomes/dm3_insulators_Bushey2009/{}_Kc_Bushey_2009.bed.gz"
GM12878 = "Tests/Fixtures/genomes/hg19_GM12878_CTCF_top500_200bp.fa.gz"

# Real members: name, kind, peaks file key or input, window, expected JASPAR base ids.
# The fly peaks are ChIP-chip regions of about 400 bases (median), so their windows are 300 bases.
# Their scans read every 300-base window of chr2R once (plus strand, stride 300: 70,000 windows)
# to keep the panel within its time; the simulated members scan with the defaults.
REAL_MEMBERS = [
    {"name": "fly-BEAF-32", "kind": "fly", "peaks": "BEAF", "window": 300, "expected": ["MA0529"]},
    {"name": "fly-CTCF", "kind": "fly", "peaks": "CTCF", "window": 300, "expected": ["MA0531"]},
    {"name": "fly-SuHw", "kind": "fly", "peaks": "SuHw", "window": 300, "expected": ["MA0533"]},
    {"name": "human-CTCF", "kind": "records", "input": GM12878, "window": 200, "expected": ["MA0139"]},
]
FLY_SCAN_ARGS = ("--stride", "300", "--strand", "plus")

# A planted pair is carried by the model when the best head's co-attention between partners exceeds the
# null (non-partner sites in negatives) with one-sided Mann-Whitney p at most this (about 0.05 / 48:
# 8 heads and up to 6 pairs). A planted motif is attended when some head has at least this many more of
# its sites in a high-attention region than the head's share of bases in such regions (truth_focus.py).
CARRIES_P = 1e-3
# A planted pair is used jointly when its knock-out interaction at the planted sites (truth_epistasis.py, logits)
# is positive in more positive sequences than chance: one-sided sign test p at most this. A pair that the model
# co-attends but does not use jointly is a miss of the model (it adds the two sites' evidence), not of the
# analysis, whose interaction test asks for joint use.
JOINT_P = 1e-3
ATTENDS_EXCESS = 0.15


def log(message):
    print(f"panel: {message}", file=sys.stderr, flush=True)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(path):
    """SHA-256 of a safetensors file's tensors (names, shapes, bytes), without its metadata: the training
    record in the metadata holds the command line and timings, which differ between equal trainings."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        header.pop("__metadata__", None)
        digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key_of(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


class StageError(Exception):
    pass


def run(cmd, logfile, stdout=None):
    """Runs cmd in the repository; stderr (and stdout unless redirected) to logfile. Returns seconds."""
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    start = time.time()
    with open(logfile, "a") as logf:
        logf.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        logf.flush()
        out = open(stdout, "w") if stdout else logf
        try:
            code = subprocess.call(cmd, cwd=REPO, stdout=out, stderr=logf)
        finally:
            if stdout:
                out.close()
    if code != 0:
        with open(logfile) as logf:
            tail = logf.read().strip().splitlines()[-3:]
        raise StageError(f"exit {code}: {' '.join(cmd[:3])} ...: " + " | ".join(tail))
    return time.time() - start


def training_code_key(revision="HEAD"):
    """git tree hashes of TRAINING_CODE at `revision` ('absent' for missing paths); at HEAD plus a hash of
    uncommitted changes."""
    parts = []
    for path in TRAINING_CODE:
        result = subprocess.run(["git", "rev-parse", f"{revision}:{path}"], cwd=REPO, capture_output=True, text=True)
        parts.append((path, result.stdout.strip() if result.returncode == 0 else "absent"))
    if revision != "HEAD":
        return parts
    diff = subprocess.run(["git", "diff", "HEAD", "--", *[p for p in TRAINING_CODE if os.path.exists(os.path.join(REPO, p))]],
                          cwd=REPO, capture_output=True, text=True).stdout
    if diff:
        log("training code has uncommitted changes; they are part of the model key")
        parts.append(("uncommitted", hashlib.sha256(diff.encode()).hexdigest()))
    return parts


class Stamp:
    """A JSON file written last into a cache folder: the folder is complete when it exists."""

    def __init__(self, folder):
        self.path = os.path.join(folder, "done.json")

    def read(self):
        if os.path.exists(self.path):
            with open(self.path) as f:
                return json.load(f)
        return None

    def write(self, record):
        with open(self.path + ".tmp", "w") as f:
            json.dump(record, f, indent=1, sort_keys=True)
        os.replace(self.path + ".tmp", self.path)


def fresh_folder(folder):
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)


# ---------------------------------------------------------------- simulated members

def read_members():
    with open(os.path.join(HERE, "members.tsv")) as f:
        rows = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(rows, delimiter="\t"))


def simulate_args(member):
    args = ["--motifs", VERTEBRATES, "--seed", member["seed"], "--n-tfs", member["n_tfs"], "--n-pairs", member["n_pairs"],
            "--gap", member["gap"], "--length", member["length"], "--n-train", member["n_train"], "--n-test", member["n_test"]]
    if member["tfs"] != ".":
        args += ["--tfs", member["tfs"]]
    if member["background"] == "iid":
        args += ["--gc", member["gc"]]
    else:
        args += ["--background", BACKGROUNDS[member["background"]]]
    return args


def simulated_data(member, stats, simulate=True):
    """The member's simulated data (folder, record), made now unless cached; (folder, None) when it is not cached
    and `simulate` is False."""
    args = simulate_args(member)
    key = key_of({"args": args, "simulator": sha256_file(os.path.join(REPO, SIMULATE))})
    folder = os.path.join(CACHE, "sim", f"{member['name']}-{key}")
    stamp = Stamp(folder)
    record = stamp.read()
    if record is None and not simulate:
        return folder, None
    if record is None:
        log(f"{member['name']}: simulate")
        fresh_folder(folder)
        seconds = run([sys.executable, SIMULATE, *args, "--out", folder], os.path.join(folder, "log.txt"))
        seconds += run([sys.executable, ORACLE, folder, VERTEBRATES], os.path.join(folder, "log.txt"),
                       stdout=os.path.join(folder, "oracle.txt"))
        with open(os.path.join(folder, "oracle.txt")) as f:
            oracle = float(f.read().split()[-1])
        record = {"args": args, "seconds": seconds, "oracle_auroc": oracle, "train_sha256": sha256_file(os.path.join(folder, "train.fa"))}
        stamp.write(record)
    stats["simulate"] = record["seconds"]
    return folder, record


def model_metadata(path):
    """The model file's training record (safetensors header metadata)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return json.loads(header["__metadata__"]["motifattn_training"])


def validation_auroc(training):
    best = training.get("best_epoch")
    for epoch in training.get("epochs", []):
        if epoch["epoch"] == best:
            return epoch.get("validation_auroc")
    return None


def model_key(data_sha256, train_args, code_key):
    """The cache key of a model: its training data by content, the train arguments without their folders, and
    the training code."""
    # Paths leave the key: the data is in it by content (clone and cache folders may be anywhere).
    portable = [os.path.basename(a) if a.startswith(CACHE) else os.path.relpath(a, REPO) if a.startswith(REPO) else a for a in train_args]
    return key_of({"data": data_sha256, "args": portable, "code": code_key})


def rekey_saved_models(revision, train_args):
    """Renames each committed model of a simulated member whose key was made with `revision`'s training code to
    the key HEAD's training code gives. For a commit that changed TRAINING_CODE's git trees without changing what
    training computes (a file moved out, a comment): check that first (`train` by both binaries gives the same
    weights, or `--retime-training`). Returns the (old, new) folder names renamed."""
    old_code, new_code = training_code_key(revision), training_code_key()
    renamed = []
    for member in read_members():
        # Never simulates: a panel running beside it may be writing the same cache folder.
        simdir, sim = simulated_data(member, {}, simulate=False)
        if sim is None:
            log(f"{member['name']}: no simulated data in {CACHE}; run the panel once, then --rekey-models again")
            continue
        args = ["--train", os.path.join(simdir, "train.fa")] + train_args
        old = f"{member['name']}-{model_key(sim['train_sha256'], args, old_code)}"
        new = f"{member['name']}-{model_key(sim['train_sha256'], args, new_code)}"
        if old != new and os.path.exists(os.path.join(SAVED_MODELS, old)):
            os.rename(os.path.join(SAVED_MODELS, old), os.path.join(SAVED_MODELS, new))
            renamed.append((old, new))
    return renamed


def trained_model(name, data_sha256, train_args, binary, threads, code_key, stats, retime=False):
    """Trains (or reuses) a model; train_args excludes -o and --threads. Returns (folder, record).

    The key leaves out the thread count: `train` gives the same model for any count (fixed shards summed in
    order; TrainingAugmentationTests), so a model trained on 1 thread serves a 2-thread panel. The record
    keeps the training time per thread count (`seconds_by_threads`). With retime, a cached model is trained
    again on `threads` threads into a scratch folder; its weights must equal the cached model's bit for bit
    (else StageError), and its time is recorded under `threads`."""
    folder = os.path.join(CACHE, "models", f"{name}-{model_key(data_sha256, train_args, code_key)}")
    stamp = Stamp(folder)
    record = stamp.read()
    if record is None and restore_saved_model(folder):
        record = stamp.read()
    args = list(train_args) + ["--threads", str(threads)]
    if record is None:
        log(f"{name}: train ({threads} threads)")
        fresh_folder(folder)
        model = os.path.join(folder, "model.safetensors")
        seconds = run([binary, "train", *args, "-o", model], os.path.join(folder, "train.log"))
        training = model_metadata(model)
        record = {"args": list(train_args), "seconds_by_threads": {str(threads): seconds}, "validation_auroc": validation_auroc(training),
                  "best_epoch": training.get("best_epoch"), "binary_sha256": sha256_file(binary),
                  "weights_sha256": weights_sha256(model)}
        stamp.write(record)
    elif retime:
        log(f"{name}: train again on {threads} threads (timing)")
        scratch = os.path.join(folder, f"retime-{threads}")
        fresh_folder(scratch)
        model = os.path.join(scratch, "model.safetensors")
        seconds = run([binary, "train", *args, "-o", model], os.path.join(scratch, "train.log"))
        cached = record.get("weights_sha256") or weights_sha256(os.path.join(folder, "model.safetensors"))
        if weights_sha256(model) != cached:
            raise StageError(f"{name}: training on {threads} threads gave a different model from the cached one")
        shutil.rmtree(scratch)
        record["weights_sha256"] = cached
        record["seconds_by_threads"][str(threads)] = seconds
        stamp.write(record)
    stats["train"] = train_seconds(record, threads)[0]
    return folder, record


def restore_saved_model(folder):
    """Copies a committed model (SAVED_MODELS, same NAME-KEY) into the cache folder; False when there is none.
    The copy's weights must be the ones its training record names (else StageError: a damaged file)."""
    saved = os.path.join(SAVED_MODELS, os.path.basename(folder))
    if not os.path.exists(os.path.join(saved, "done.json")):
        return False
    copy_saved_files(saved, folder)
    with open(os.path.join(folder, "done.json")) as f:
        expected = json.load(f).get("weights_sha256")
    if weights_sha256(os.path.join(folder, "model.safetensors")) != expected:
        shutil.rmtree(folder)
        raise StageError(f"{saved}: the model's weights are not the ones its done.json names")
    log(f"{os.path.basename(folder)}: the committed model (Benchmarks/panel/models)")
    return True


def save_model(folder):
    """Copies a cached model folder's SAVED_FILES to SAVED_MODELS, replacing the member's other saved models
    (older training code or data)."""
    name_key = os.path.basename(folder)
    member = name_key.rsplit("-", 1)[0]
    os.makedirs(SAVED_MODELS, exist_ok=True)
    for other in os.listdir(SAVED_MODELS):
        if other != name_key and other.rsplit("-", 1)[0] == member:
            shutil.rmtree(os.path.join(SAVED_MODELS, other))
    copy_saved_files(folder, os.path.join(SAVED_MODELS, name_key))


def copy_saved_files(source, target):
    """Copies the SAVED_FILES that `source` has into `target`, emptied first."""
    fresh_folder(target)
    for name in SAVED_FILES:
        if os.path.exists(os.path.join(source, name)):
            os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
            shutil.copyfile(os.path.join(source, name), os.path.join(target, name))


def train_seconds(record, threads):
    """(seconds, thread count) of the training time measured on `threads` threads, else on the most threads measured."""
    timed = record["seconds_by_threads"]
    count = str(threads) if str(threads) in timed else max(timed, key=int)
    return timed[count], int(count)


def train_minutes_text(record, threads):
    """The training minutes for the tables, with the thread count when it is not the panel's."""
    seconds, count = train_seconds(record, threads)
    return f"{seconds / 60:.1f}" + ("" if count == threads else f" ({count}t)")


def auroc(scores, labels):
    """Rank AUROC, ties averaged."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for t in range(i, j + 1):
            ranks[order[t]] = (i + j) / 2 + 1
        i = j + 1
    n1 = sum(labels)
    n0 = len(labels) - n1
    rank_sum = sum(r for r, y in zip(ranks, labels) if y == 1)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def test_auroc(simdir, model_dir, binary, threads, stats):
    scores_path = os.path.join(model_dir, "test_scores.tsv")
    stamp = Stamp(os.path.join(model_dir, "score"))
    record = stamp.read()
    if record is None:
        os.makedirs(os.path.join(model_dir, "score"), exist_ok=True)
        seconds = run([binary, "score", "--model", os.path.join(model_dir, "model.safetensors"), os.path.join(simdir, "test.fa"),
                       "--threads", str(threads), "--quiet", "-o", scores_path], os.path.join(model_dir, "score", "log.txt"))
        labels = {}
        with open(os.path.join(simdir, "test.fa")) as f:
            for line in f:
                if line.startswith(">"):
                    labels[line[1:].split()[0]] = int(line.split("label=")[1].split()[0])
        scores, ys = [], []
        with open(scores_path) as f:
            header = None
            for line in f:
                if line.startswith("##"):
                    continue
                fields = line.rstrip("\n").split("\t")
                if header is None:
                    header = fields
                    continue
                row = dict(zip(header, fields))
                scores.append(float(row["logit"]))
                ys.append(labels[row["name"]])
        record = {"seconds": seconds, "test_auroc": auroc(scores, ys)}
        stamp.write(record)
    stats["score"] = record["seconds"]
    return record["test_auroc"]


def truth_scripts(simdir, model_dir, n_test, threads, stats):
    """Runs the three truth scripts on the model (ONNX Runtime) once; returns their outputs' paths."""
    folder = os.path.join(model_dir, "truth")
    stamp = Stamp(folder)
    record = stamp.read()
    if record is None:
        os.makedirs(folder, exist_ok=True)
        model = os.path.join(model_dir, "model.safetensors")
        seconds = 0.0
        for script in ("truth_coattention", "truth_focus", "truth_epistasis"):
            seconds += run([sys.executable, os.path.join("Benchmarks", script + ".py"), simdir, model,
                            "--limit", str(n_test), "--threads", str(threads)],
                           os.path.join(folder, "log.txt"), stdout=os.path.join(folder, script + ".tsv"))
        record = {"seconds": seconds}
        stamp.write(record)
    stats["truth"] = record["seconds"]
    return {s: os.path.join(folder, s + ".tsv") for s in ("truth_coattention", "truth_focus", "truth_epistasis")}


def read_truth(simdir):
    with open(os.path.join(simdir, "truth_pairs.tsv")) as f:
        pairs = [line.rstrip("\n").split("\t") for line in f][1:]
    with open(os.path.join(simdir, "truth_motifs.tsv")) as f:
        motifs = [line.rstrip("\n").split("\t") for line in f][1:]
    return [(p[0], p[1], p[2], p[3]) for p in pairs], [(m[0], m[1]) for m in motifs]


def parse_coattention(path):
    """pair name 'TF_A + TF_B' (sorted) -> (n, best head, z, p)."""
    rows = {}
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines[2:]:
        fields = line.split("\t")
        if fields[0] == "null":
            continue
        rows[fields[0]] = (int(fields[1]), fields[-3], float(fields[-2]), float(fields[-1]))
    return rows


def parse_focus(path):
    """TF name -> (best head, in_region - coverage at that head)."""
    with open(path) as f:
        lines = f.read().splitlines()
    heads = lines[1].split("\t")[3:]
    coverage = [float(v) for v in lines[2].split("\t")[3:]]
    result = {}
    for line in lines[3:]:
        fields = line.split("\t")
        if len(fields) < 4 or fields[2] != "in_region":
            continue
        excess = [float(v) - c for v, c in zip(fields[3:], coverage)]
        best = max(range(len(excess)), key=lambda h: excess[h])
        result[fields[0]] = (heads[best], excess[best])
    return result


def sign_test_greater(n, positive):
    """One-sided p that `positive` of `n` signs are positive when each is with chance 1/2 (exact binomial tail)."""
    return sum(math.comb(n, k) for k in range(positive, n + 1)) / 2 ** n


def parse_epistasis(path):
    """'TF_A + TF_B' (sorted) -> (mean interaction of planted partners in logits, on the probability scale,
    sign-test p of a positive interaction in logits); the probability scale is nan in truth files written before
    the script reported it."""
    result = {}
    with open(path) as f:
        for line in f.read().splitlines()[2:]:
            fields = line.split("\t")
            if fields[0].startswith("P "):
                n = int(fields[1])
                # The count of positive interactions; older truth files give only the fraction, to two decimals.
                positive = int(fields[9]) if len(fields) > 9 else round(float(fields[4]) * n)
                result[fields[0][2:]] = (float(fields[2]), float(fields[7]) if len(fields) > 7 else float("nan"),
                                         sign_test_greater(n, positive))
    return result


EVALUATION = re.compile(r"pairs: recall [\d.]+ \((\d+)/(\d+)\), precision [\d.]+ \((\d+) of (\d+) reported\); "
                        r"motifs: recall [\d.]+ \((\d+)/(\d+)\), precision [\d.]+ \((\d+) of (\d+) reported\)")
# evaluate's second line: the motifs by family or look-alike class, one claim per class.
EVALUATION_BY_CLASS = re.compile(r"motifs by family or look-alike class: recall [\d.]+ \((\d+)/\d+\), "
                                 r"precision [\d.]+ \((\d+) of (\d+) classes reported\)")


def parse_evaluation(text):
    m = EVALUATION.search(text)
    if not m:
        raise StageError(f"cannot read evaluate's output: {text[:200]}")
    values = [int(v) for v in m.groups()]
    missed = re.search(r"missed pairs: ([^;\n]+)", text)
    missed_motifs = re.search(r"missed motifs: ([^;\n]+)", text)
    fit = re.search(r"; sum ([\d.]+)", text)
    # A binary older than the line gives no figures by class (the aggregate then leaves them out).
    by_class = EVALUATION_BY_CLASS.search(text)
    by_class_fields = dict(zip(("motifs_found_by_class", "motifs_correct_by_class", "motifs_reported_by_class"),
                               (int(v) for v in by_class.groups()))) if by_class else {}
    return {**by_class_fields,"pairs_found": values[0], "pairs_planted": values[1], "pairs_correct": values[2], "pairs_reported": values[3],
            "motifs_found": values[4], "motifs_planted": values[5], "motifs_correct": values[6], "motifs_reported": values[7],
            "missed_pairs": missed.group(1).split(", ") if missed else [],
            "missed_motifs": missed_motifs.group(1).split(", ") if missed_motifs else [], "fit": float(fit.group(1)) if fit else None}


def analysis(kind, cmd, folder, binary, stats):
    """Runs analyze or scan into folder unless a finished run of the same command and binary is there."""
    stamp = Stamp(folder)
    wanted = {"command": cmd, "binary_sha256": sha256_file(binary)}
    record = stamp.read()
    if record is None or {k: record.get(k) for k in wanted} != wanted:
        fresh_folder(folder)
        seconds = run(cmd + ["--out", folder], os.path.join(os.path.dirname(folder), f"{kind}.log"))
        record = dict(wanted, seconds=seconds)
        stamp.write(record)
    stats[kind] = record["seconds"]


def evaluate(binary, folder, simdir):
    result = subprocess.run([binary, "evaluate", folder, "--truth-pairs", os.path.join(simdir, "truth_pairs.tsv"),
                             "--truth-motifs", os.path.join(simdir, "truth_motifs.tsv")], cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        raise StageError(f"evaluate {folder}: {result.stderr.strip()}")
    with open(os.path.join(folder, "evaluation.txt"), "w") as f:
        f.write(result.stdout)
    return parse_evaluation(result.stdout)


def analysed_and_evaluated(member, simdir, model, out, options, stats):
    """`analyze` of the member's test set and `scan` of its genome with its peaks by `model` into out/analyze and
    out/scan (each kept when a finished run of the same command and binary is there), and `evaluate`'s verdicts."""
    binary, threads, name = options.motifattn, options.threads, member["name"]
    extra = shlex.split(options.analysis_args)
    window = [] if member["length"] == "200" else ["--window", member["length"]]
    log(f"{name}: analyze")
    analysis("analyze", [binary, "analyze", os.path.join(simdir, "test.fa"), "--model", model, "--threads", str(threads),
                         "--quiet", *extra, *shlex.split(options.analyze_args)], os.path.join(out, "analyze"), binary, stats)
    log(f"{name}: scan")
    analysis("scan", [binary, "scan", os.path.join(simdir, "genome.fa"), "--regions", os.path.join(simdir, "peaks.bed"),
                      *window, "--model", model, "--threads", str(threads), "--quiet", *extra, *shlex.split(options.scan_args)],
             os.path.join(out, "scan"), binary, stats)
    return {kind: evaluate(binary, os.path.join(out, kind), simdir) for kind in ("analyze", "scan")}


def pair_label(tf_a, tf_b):
    """A planted pair as the truth scripts name it: 'TF_A + TF_B', the names sorted."""
    return " + ".join(sorted([tf_a, tf_b]))


def pair_ids(id_a, id_b):
    """A planted pair as `evaluate` names it among its missed pairs: 'MA1+MA2', the IDs sorted."""
    return "+".join(sorted([id_a, id_b]))


def used_jointly(epistasis, label):
    """Whether the model uses the planted pair jointly at its planted sites (sign test p ≤ JOINT_P), from
    parse_epistasis's table; a pair the truth script could not measure is not."""
    return epistasis.get(label, (float("nan"), float("nan"), 1.0))[2] <= JOINT_P


def run_simulated(member, options, code_key):
    name, binary, threads = member["name"], options.motifattn, options.threads
    stats = {}
    row = {"member": name, "half": member["half"]}
    simdir, sim = simulated_data(member, stats)
    model_dir, trained = trained_model(name, sim["train_sha256"],
                                       ["--train", os.path.join(simdir, "train.fa")] + shlex.split(options.train_args),
                                       binary, threads, code_key, stats, options.retime_training)
    model = os.path.join(model_dir, "model.safetensors")
    auc = test_auroc(simdir, model_dir, binary, threads, stats)
    row.update(test_auroc=auc, oracle_auroc=sim["oracle_auroc"], auroc_ratio=auc / sim["oracle_auroc"],
               validation_auroc=trained["validation_auroc"], train_minutes=train_seconds(trained, threads)[0] / 60,
               train_minutes_text=train_minutes_text(trained, threads))
    truth = truth_scripts(simdir, model_dir, int(member["n_test"]), threads, stats)
    if options.save_models:
        save_model(model_dir)

    evaluations = analysed_and_evaluated(member, simdir, model, os.path.join(OUT, options.label, name), options, stats)

    pairs, motifs = read_truth(simdir)
    coattention = parse_coattention(truth["truth_coattention"])
    focus = parse_focus(truth["truth_focus"])
    epistasis = parse_epistasis(truth["truth_epistasis"])
    carried, pair_rows = 0, []
    for id_a, tf_a, id_b, tf_b in pairs:
        label = pair_label(tf_a, tf_b)
        n, head, z, p = coattention.get(label, (0, ".", float("nan"), 1.0))
        carries = p <= CARRIES_P and z > 0
        interaction, on_probability, _ = epistasis.get(label, (float("nan"), float("nan"), 1.0))
        carried += carries
        ids = pair_ids(id_a, id_b)
        pair_rows.append({"pair": ids, "names": f"{tf_a}+{tf_b}", "carried": carries, "z": z, "head": head,
                          "epistasis": interaction, "epistasis_probability": on_probability, "joint": used_jointly(epistasis, label),
                          "analyze": ids not in evaluations["analyze"]["missed_pairs"],
                          "scan": ids not in evaluations["scan"]["missed_pairs"]})
    attended_ids = [i for i, tf in motifs if focus.get(tf, (".", 0))[1] >= ATTENDS_EXCESS]
    attended = len(attended_ids)
    for kind, e in evaluations.items():
        for field, value in e.items():
            if field not in ("missed_pairs", "missed_motifs"):
                row[f"{kind}_{field}"] = value
        # The motif target counts the planted motifs the model attends (truth_focus.py): a motif no head
        # attends is the model's miss, not the analysis's.
        row[f"{kind}_motifs_found_attended"] = sum(i not in e["missed_motifs"] for i in attended_ids)
    row.update(pairs_planted=len(pairs), pairs_carried=carried, pairs_joint=sum(p["joint"] for p in pair_rows), motifs_planted=len(motifs), motifs_attended=attended,
               pairs_same=sum(p["analyze"] == p["scan"] for p in pair_rows), pair_details=pair_rows,
               motif_details=[{"id": i, "tf": tf, "head": focus.get(tf, (".", 0))[0], "excess": focus.get(tf, (".", 0))[1]}
                              for i, tf in motifs],
               stages=stats, settings=member)
    return row


# ---------------------------------------------------------------- real members

def prepared_peaks(member):
    """The member's bound regions as a plain BED (fly: the chr2R rows of the genome-wide peak file)."""
    folder = os.path.join(CACHE, "real")
    os.makedirs(folder, exist_ok=True)
    if member["kind"] == "fly":
        source = os.path.join(REPO, FLY_PEAKS.format(member["peaks"]))
        path = os.path.join(folder, f"{member['peaks']}_Kc.chr2R.bed")
        import gzip
        with gzip.open(source, "rt") as f, open(path + ".tmp", "w") as out:
            for line in f:
                fields = line.split("\t")
                if fields[0] == "chr2R":
                    out.write("\t".join(fields[:3]).rstrip("\n") + "\n")
        os.replace(path + ".tmp", path)
        return os.path.join(REPO, FLY_GENOME), path
    # One region per FASTA record: every record is a bound window.
    path = os.path.join(folder, os.path.basename(member["input"]).replace(".fa.gz", ".records.bed"))
    with open(os.path.join(REPO, member["input"] + ".fai")) as f, open(path + ".tmp", "w") as out:
        for line in f:
            name, length = line.split("\t")[:2]
            out.write(f"{name}\t0\t{length}\n")
    os.replace(path + ".tmp", path)
    return os.path.join(REPO, member["input"]), path


def read_table(path):
    with open(path) as f:
        lines = [line.rstrip("\n") for line in f if not line.startswith("##")]
    header = lines[0].lstrip("#").split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def run_real(member, options, code_key):
    name, binary, threads = member["name"], options.motifattn, options.threads
    stats = {}
    genome, peaks = prepared_peaks(member)
    with open(peaks) as f:
        n_peaks = sum(1 for _ in f)
    if member["kind"] == "fly":
        train_args = ["--genome", genome, "--peaks", peaks, "--negatives", "genomic", "--window", str(member["window"]),
                      *REAL_VALIDATION_ARGS]
        motifs, table = INSECTS + ".meme", INSECTS + ".tsv"
    else:
        train_args = ["--genome", genome, "--peaks", peaks, "--negatives", "shuffle", "--window", str(member["window"]),
                      *REAL_VALIDATION_ARGS]
        motifs, table = VERTEBRATES, VERTEBRATES.replace(".meme", ".tsv")
    data = key_of([sha256_file(genome), sha256_file(peaks)])
    model_dir, trained = trained_model(name, data, train_args + shlex.split(options.train_args), binary, threads, code_key, stats,
                                       options.retime_training)
    if options.save_models:
        save_model(model_dir)
    model = os.path.join(model_dir, "model.safetensors")
    out = os.path.join(OUT, options.label, name)
    extra = shlex.split(options.analysis_args)
    common = ["--model", model, "--motifs", motifs, "--motif-table", table, "--threads", str(threads), "--quiet", *extra]
    if member["kind"] == "fly":
        log(f"{name}: scan")
        kind = "scan"
        analysis(kind, [binary, "scan", genome, "--regions", peaks, "--window", str(member["window"]), *FLY_SCAN_ARGS, *common,
                        *shlex.split(options.scan_args)],
                 os.path.join(out, kind), binary, stats)
    else:
        log(f"{name}: analyze")
        kind = "analyze"
        analysis(kind, [binary, "analyze", genome, "--regions", peaks, "--background", "shuffle", *common,
                        *shlex.split(options.analyze_args)],
                 os.path.join(out, kind), binary, stats)
    summary = summarise_real(member, os.path.join(out, kind), table)
    return {"member": name, "kind": kind, "peaks": n_peaks, "validation_auroc": trained["validation_auroc"],
            "train_minutes": train_seconds(trained, threads)[0] / 60,
            "train_minutes_text": train_minutes_text(trained, threads), **summary, "stages": stats}


def summarise_real(member, folder, table):
    """What a real member's analysis found: its own JASPAR motif among the reported head motifs' matches at
    q <= 0.05 (the best match or not: look-alikes of the protein's site, such as Dref's for BEAF-32's CGATA
    site, can match a little better), the head motifs of its family, and the top interactions."""
    families = {r["matrix_id"]: r["tf_family"] for r in read_table(os.path.join(REPO, table))}
    expected_ids = [m for m in families if m.split(".")[0] in member["expected"]]
    expected_families = {families[m] for m in expected_ids if families[m]}
    head_motifs = read_table(os.path.join(folder, "head_motifs.tsv"))
    significant = [r for r in head_motifs if r.get("best_match_id", ".") not in ("", ".") and float(r["match_q_value"]) <= 0.05]
    reported = {r["motif_id"]: r for r in head_motifs}
    own = [r for r in read_table(os.path.join(folder, "motif_matches.tsv"))
           if r["query_id"] in reported and r["target_id"].split(".")[0] in member["expected"] and float(r["q_value"]) <= 0.05]
    family = [r for r in significant if families.get(r["best_match_id"]) in expected_families]
    best_own = min(own, key=lambda r: float(r["q_value"])) if own else None
    if best_own:
        head = reported[best_own["query_id"]]
        best = "" if head["best_match_id"] == best_own["target_id"] else f" (best match {head['best_match_name']} q={float(head['match_q_value']):.1e})"
        own_text = f"{best_own['query_id']} {best_own['target_id']} q={float(best_own['q_value']):.1e}{best}"
    else:
        own_text = "no"
    interactions = read_table(os.path.join(folder, "interactions.tsv"))
    top = [r for r in interactions if r.get("head") == "all"][:5]
    return {"expected": ",".join(expected_ids), "own_motif": own_text,
            "family_motif": len(family), "significant_head_motifs": len(significant),
            "top_matches": ", ".join(sorted({f"{r['best_match_name']}" for r in significant})[:12]),
            "top_interactions": "; ".join(f"{r['name_a']}+{r['name_b']} q={float(r['q_value']):.1e}" for r in top) or "none"}


# ---------------------------------------------------------------- tables

def fmt_ratio(num, den):
    return f"{num}/{den}"


def member_line(r):
    if "error" in r:
        return [r["member"], r["half"]] + ["-"] * 8 + [f"ERROR {r['error']}"]
    misses = []
    for p in r["pair_details"]:
        where = [k for k in ("analyze", "scan") if not p[k]]
        if where:
            use = "jointly" if p.get("joint") else "not jointly"
            misses.append(f"{p['names']} ({'+'.join(where)}; model {'co-attends' if p['carried'] else 'does not co-attend'}, uses it {use}: "
                          f"z {p['z']:.1f}, epistasis {p['epistasis']:.2f} logits, "
                          f"{p.get('epistasis_probability', float('nan')):.3f} probability)")
    return [r["member"], r["half"], f"{r['auroc_ratio']:.3f}", r["train_minutes_text"],
            f"{fmt_ratio(r['analyze_pairs_found'], r['pairs_planted'])} {fmt_ratio(r['analyze_pairs_correct'], r['analyze_pairs_reported'])}",
            f"{fmt_ratio(r['scan_pairs_found'], r['pairs_planted'])} {fmt_ratio(r['scan_pairs_correct'], r['scan_pairs_reported'])}",
            f"{fmt_ratio(r['analyze_motifs_found'], r['motifs_planted'])} {fmt_ratio(r['analyze_motifs_correct'], r['analyze_motifs_reported'])}",
            f"{fmt_ratio(r['scan_motifs_found'], r['motifs_planted'])} {fmt_ratio(r['scan_motifs_correct'], r['scan_motifs_reported'])}",
            fmt_ratio(r["pairs_carried"], r["pairs_planted"]), fmt_ratio(r["motifs_attended"], r["motifs_planted"]),
            "; ".join(misses) or "-"]


MEMBER_HEADER = ["member", "half", "auroc/oracle", "train_min", "analyze_pairs R P", "scan_pairs R P", "analyze_motifs R P",
                 "scan_motifs R P", "model_carries_pairs", "model_attends_motifs", "missed pairs (where; model evidence)"]


def aggregate(rows):
    ok = [r for r in rows if "error" not in r]
    agg = {"members": len(ok), "errors": len(rows) - len(ok)}
    if not ok:
        return agg
    total = lambda k: sum(r[k] for r in ok)
    for kind in ("analyze", "scan"):
        agg[f"{kind}_pair_recall"] = total(f"{kind}_pairs_found") / total("pairs_planted")
        agg[f"{kind}_pair_precision"] = total(f"{kind}_pairs_correct") / max(1, total(f"{kind}_pairs_reported"))
        agg[f"{kind}_motif_recall"] = total(f"{kind}_motifs_found") / total("motifs_planted")
        agg[f"{kind}_motif_recall_attended"] = (sum(r.get(f"{kind}_motifs_found_attended", 0) for r in ok)
                                                / max(1, total("motifs_attended")))
        agg[f"{kind}_motif_precision"] = total(f"{kind}_motifs_correct") / max(1, total(f"{kind}_motifs_reported"))
        # By family or look-alike class (evaluate's second line): one claim per class of best matches.
        if all(f"{kind}_motifs_found_by_class" in r for r in ok):
            agg[f"{kind}_motif_recall_by_class"] = total(f"{kind}_motifs_found_by_class") / total("motifs_planted")
            agg[f"{kind}_motif_precision_by_class"] = (total(f"{kind}_motifs_correct_by_class")
                                                       / max(1, total(f"{kind}_motifs_reported_by_class")))
        missed = [p for r in ok for p in r["pair_details"] if not p[kind]]
        agg[f"{kind}_missed_pairs_model_carries"] = sum(p["carried"] for p in missed)
        agg[f"{kind}_missed_pairs_model_lacks"] = sum(not p["carried"] for p in missed)
        # The analysis's own misses: pairs the model co-attends and uses jointly.
        agg[f"{kind}_missed_pairs_model_joint"] = sum(p["carried"] and p.get("joint", False) for p in missed)
    agg["pairs_planted"] = total("pairs_planted")
    agg["motifs_planted"] = total("motifs_planted")
    agg["model_carries_pairs"] = total("pairs_carried") / total("pairs_planted")
    agg["model_uses_pairs_jointly"] = sum(r.get("pairs_joint", 0) for r in ok) / total("pairs_planted")
    agg["model_attends_motifs"] = total("motifs_attended") / total("motifs_planted")
    agg["scan_analyze_same_pairs"] = total("pairs_same") / total("pairs_planted")
    agg["mean_auroc_ratio"] = sum(r["auroc_ratio"] for r in ok) / len(ok)
    return agg


def print_table(header, lines, file=sys.stdout):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    for line in [header] + lines:
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip(), file=file)


def write_tsv(path, header, lines, provenance):
    with open(path, "w") as f:
        f.write(f"##motifattn-panel {provenance}\n")
        f.write("\t".join(header) + "\n")
        for line in lines:
            f.write("\t".join(str(x) for x in line) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panel", default="all", choices=["quick", "dev", "heldout", "sim", "real", "all"])
    parser.add_argument("--members", default="", help="comma list of member names (overrides --panel)")
    parser.add_argument("--motifattn", default=".build/release/motifattn")
    parser.add_argument("--label", default="baseline", help="output folder under panel-out/")
    parser.add_argument("--analysis-args", default="", help="extra options for every analyze and scan")
    parser.add_argument("--scan-args", default="", help="extra options for every scan only (after --analysis-args)")
    parser.add_argument("--analyze-args", default="",
                        help="extra options for every analyze only (after --analysis-args), such as --instances discovered")
    parser.add_argument("--train-args", default="", help="extra options for every train (models are cached by them)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--retime-training", action="store_true",
                        help="train cached models again on --threads threads to time them (the model must come out the same)")
    parser.add_argument("--save-models", action="store_true",
                        help="copy each member's model and truth-script outputs to Benchmarks/panel/models (committed: a "
                             "fresh clone with the same training code starts from them)")
    parser.add_argument("--rekey-models", metavar="REV",
                        help="rename the committed models trained by REV's training code to HEAD's keys, then stop (only "
                             "when the commits since REV left what training computes unchanged: README)")
    options = parser.parse_args()
    if options.rekey_models:
        for old, new in rekey_saved_models(options.rekey_models, shlex.split(options.train_args)):
            log(f"{old} -> {new}")
        return
    options.motifattn = os.path.abspath(options.motifattn)
    # The bundled JASPAR and families table are this repository's, whichever tree the binary was built in.
    os.environ["MOTIFATTN_DATA"] = os.path.join(REPO, "Reference")
    if not os.path.exists(options.motifattn):
        sys.exit(f"panel: {options.motifattn}: no such binary (make build, or MOTIFATTN=...)")

    members = read_members()
    chosen = {"quick": lambda m: m["quick"] == "yes", "dev": lambda m: m["half"] == "dev", "heldout": lambda m: m["half"] == "heldout",
              "sim": lambda m: True, "all": lambda m: True, "real": lambda m: False}[options.panel]
    real = options.panel in ("real", "all")
    if options.members:
        names = options.members.split(",")
        members, chosen = [m for m in members if m["name"] in names], lambda m: True
        real_members = [m for m in REAL_MEMBERS if m["name"] in names]
    else:
        real_members = REAL_MEMBERS if real else []
    members = [m for m in members if chosen(m)]

    out = os.path.join(OUT, options.label)
    os.makedirs(out, exist_ok=True)
    code_key = training_code_key()
    version = subprocess.run([options.motifattn, "--version"], capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    provenance = (f"date={datetime.date.today().isoformat()} commit={head} motifattn={version} panel={options.panel} "
                  f"label={options.label} analysis_args={json.dumps(options.analysis_args)} "
                  f"scan_args={json.dumps(options.scan_args)} analyze_args={json.dumps(options.analyze_args)} "
                  f"threads={options.threads}")
    started = time.time()

    rows, real_rows = [], []

    def write_members_json(complete):
        """members.json after every member, so `compare.py` can read a run that is still going."""
        temporary = os.path.join(out, "members.json.part")
        with open(temporary, "w") as f:
            json.dump({"provenance": provenance, "complete": complete, "simulated": rows, "real": real_rows}, f, indent=1)
        os.replace(temporary, os.path.join(out, "members.json"))

    for member in members:
        try:
            rows.append(run_simulated(member, options, code_key))
        except StageError as error:
            log(f"{member['name']}: {error}")
            rows.append({"member": member["name"], "half": member["half"], "error": str(error)})
        write_members_json(complete=False)
    for member in real_members:
        try:
            real_rows.append(run_real(member, options, code_key))
        except StageError as error:
            log(f"{member['name']}: {error}")
            real_rows.append({"member": member["name"], "error": str(error)})
        write_members_json(complete=False)
    write_members_json(complete=True)
    lines = [member_line(r) for r in rows]
    if lines:
        write_tsv(os.path.join(out, "members.tsv"), MEMBER_HEADER, lines, provenance)
        print_table(MEMBER_HEADER, lines)
        aggs = [(half, aggregate([r for r in rows if r["half"] == half])) for half in ("dev", "heldout")]
        aggs = [(half, a) for half, a in aggs if a["members"] + a["errors"]] + [("all", aggregate(rows))]
        keys = sorted({k for _, a in aggs for k in a}, key=lambda k: list(aggs[-1][1]).index(k) if k in aggs[-1][1] else 99)
        agg_lines = [[k] + [(f"{a[k]:.3f}" if isinstance(a.get(k), float) else str(a.get(k, "-"))) for _, a in aggs] for k in keys]
        agg_header = ["measure"] + [half for half, _ in aggs]
        write_tsv(os.path.join(out, "aggregate.tsv"), agg_header, agg_lines, provenance)
        print()
        print_table(agg_header, agg_lines)
    if real_rows:
        real_header = ["member", "validation_auroc", "train_min", "peaks", "expected", "own_motif (head motif, match, q)",
                       "family_head_motifs", "significant_head_motifs", "matched motifs", "top interactions (head all)"]
        real_lines = [[r["member"]] + (["ERROR " + r["error"]] + ["-"] * 8 if "error" in r else
                      [f"{r['validation_auroc']:.3f}", r["train_minutes_text"], r["peaks"], r["expected"], r["own_motif"],
                       r["family_motif"], r["significant_head_motifs"], r["top_matches"], r["top_interactions"]]) for r in real_rows]
        write_tsv(os.path.join(out, "real.tsv"), real_header, real_lines, provenance)
        print()
        print_table(real_header, real_lines)
    stage_names = ["simulate", "train", "score", "truth", "analyze", "scan"]
    stage_lines = [[r["member"]] + [f"{r['stages'].get(s, 0) / 60:.1f}" for s in stage_names]
                   for r in rows + real_rows if "stages" in r]
    write_tsv(os.path.join(out, "stages.tsv"), ["member"] + [s + "_min" for s in stage_names], stage_lines, provenance)
    print()
    print_table(["member"] + [s + "_min" for s in stage_names], stage_lines)
    log(f"{len(rows)} simulated and {len(real_rows)} real members in {(time.time() - started) / 60:.1f} min; tables in {out}")


if __name__ == "__main__":
    main()
