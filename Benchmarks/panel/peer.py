#!/usr/bin/env python3
"""The PyTorch peer on the panel: each simulated member trained by `motifattn train` and by the same recipe in PyTorch.

usage: peer.py [--panel quick|dev|heldout|sim] [--members NAME,...] [--seeds 1,2,3] [--pytorch-seeds 1]
               [--threads 1] [--motifattn BIN] [--python PY] [--label L]

Per member and seed: motifattn's model is the panel's (`panel.py` trains and caches it; seed 1 is `train`'s
default, so it is the very model the panel reports), its test AUROC by `motifattn score`; PyTorch's is
`Benchmarks/peer/train_torch.py` (the v1 spec with motifattn's default recipe, pinned there) on the same
train.fa, its test AUROC on the same test.fa. One seed is one draw of initialisation, validation split,
shuffles and augmentation; on a 20,000-sequence member two seeds of one tool differ by up to about 0.01,
so the issue's criterion (motifattn at least PyTorch's AUROC minus 0.005) is judged on each tool's mean over
its seeds, and a verdict from one seed of either is marked as such. `--pytorch-seeds` (default: `--seeds`)
limits PyTorch, the slower of the two, to some of the seeds.

PyTorch runs are cached in panel-cache/peer/ (keyed by the training and test data, the recipe's scripts
and the seed), so a second call only prints the tables. Tables: panel-out/LABEL/peer.tsv (one row per
member and seed) and peer_summary.tsv (one row per member). PY is a Python with torch, numpy and
safetensors (`python3 -m venv ENV && ENV/bin/pip install torch safetensors`); this is outside the
panel's two hours: about 20-40 minutes per 20,000-sequence member and seed on one thread.
"""
import argparse, datetime, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import panel  # noqa: E402

PEER = "Benchmarks/peer/train_torch.py"
SPEC = "Benchmarks/peer/motifattn_torch.py"
MARGIN = 0.005


def pytorch_run(member, simdir, sim, seed, threads, python):
    """Trains (or reuses) the PyTorch peer of `member` with `seed`; returns train_torch.py's JSON record."""
    test_sha = panel.sha256_file(os.path.join(simdir, "test.fa"))
    scripts = {path: panel.sha256_file(os.path.join(panel.REPO, path)) for path in (PEER, SPEC)}
    key = panel.key_of({"train": sim["train_sha256"], "test": test_sha, "scripts": scripts, "seed": seed})
    folder = os.path.join(panel.CACHE, "peer", f"{member['name']}-s{seed}-{key}")
    stamp = panel.Stamp(folder)
    record = stamp.read()
    if record is None:
        panel.log(f"{member['name']}: PyTorch peer, seed {seed} ({threads} threads)")
        panel.fresh_folder(folder)
        output = os.path.join(folder, "result.json")
        panel.run([python, PEER, os.path.join(simdir, "train.fa"), os.path.join(simdir, "test.fa"),
                   os.path.join(folder, "model.safetensors"), "--threads", str(threads), "--seed", str(seed)],
                  os.path.join(folder, "log.txt"), stdout=output)
        with open(output) as f:
            record = json.loads(f.read().strip().splitlines()[-1])
        record["threads"] = threads
        stamp.write(record)
    return record


def motifattn_run(member, simdir, sim, seed, options, code_key):
    """The panel's motifattn model of `member` trained with `seed` (trained now if not cached) and its test AUROC."""
    stats = {}
    args = ["--train", os.path.join(simdir, "train.fa")] + ([] if seed == 1 else ["--seed", str(seed)])
    model_dir, trained = panel.trained_model(member["name"], sim["train_sha256"], args, options.motifattn, options.threads,
                                             code_key, stats)
    metadata = panel.model_metadata(os.path.join(model_dir, "model.safetensors"))
    return {"test_auroc": panel.test_auroc(simdir, model_dir, options.motifattn, options.threads, stats),
            "minutes": panel.train_seconds(trained, options.threads)[0] / 60, "best_epoch": metadata.get("best_epoch"),
            "epochs_run": len(metadata.get("epochs", []))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--panel", default="sim", choices=["quick", "dev", "heldout", "sim"])
    parser.add_argument("--members", default="", help="comma list of member names (overrides --panel)")
    parser.add_argument("--seeds", default="1", help="comma list of seeds motifattn trains with")
    parser.add_argument("--pytorch-seeds", default="", help="comma list of seeds PyTorch trains with (default: --seeds)")
    parser.add_argument("--threads", type=int, default=1, help="threads of each training (PyTorch and motifattn)")
    parser.add_argument("--motifattn", default=".build/release/motifattn")
    parser.add_argument("--python", default=os.environ.get("MOTIFATTN_TORCH_PYTHON", sys.executable),
                        help="a Python with torch (default: $MOTIFATTN_TORCH_PYTHON, else this one)")
    parser.add_argument("--label", default="peer", help="output folder under panel-out/")
    options = parser.parse_args()
    options.motifattn = os.path.abspath(options.motifattn)
    os.environ["MOTIFATTN_DATA"] = os.path.join(panel.REPO, "Reference")
    if not os.path.exists(options.motifattn):
        sys.exit(f"peer: {options.motifattn}: no such binary (make build, or MOTIFATTN=...)")
    if subprocess.run([options.python, "-c", "import torch, numpy, safetensors"], capture_output=True).returncode != 0:
        sys.exit(f"peer: {options.python} cannot import torch, numpy and safetensors: "
                 "python3 -m venv ENV && ENV/bin/pip install torch safetensors, then --python ENV/bin/python")
    seeds = [int(s) for s in options.seeds.split(",")]
    pytorch_seeds = [int(s) for s in (options.pytorch_seeds or options.seeds).split(",")]
    members = panel.read_members()
    if options.members:
        members = [m for m in members if m["name"] in options.members.split(",")]
    else:
        keep = {"quick": lambda m: m["quick"] == "yes", "dev": lambda m: m["half"] == "dev",
                "heldout": lambda m: m["half"] == "heldout", "sim": lambda m: True}[options.panel]
        members = [m for m in members if keep(m)]
    code_key = panel.training_code_key()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=panel.REPO, capture_output=True, text=True).stdout.strip()
    provenance = (f"date={datetime.date.today().isoformat()} commit={head} peer={PEER} seeds={options.seeds} "
                  f"threads={options.threads}")

    header = ["member", "half", "seed", "oracle", "motifattn", "pytorch", "motifattn-pytorch", "motifattn/oracle",
              "pytorch/oracle", "motifattn_best/run_epochs", "pytorch_best/run_epochs", "motifattn_min", "pytorch_min"]
    lines, summary = [], []
    for member in members:
        simdir, sim = panel.simulated_data(member, {})
        oracle = sim["oracle_auroc"]
        ours, theirs = [], []
        for seed in sorted(set(seeds) | set(pytorch_seeds)):
            try:
                mine = motifattn_run(member, simdir, sim, seed, options, code_key) if seed in seeds else None
                peer = pytorch_run(member, simdir, sim, seed, options.threads, options.python) if seed in pytorch_seeds else None
            except panel.StageError as error:
                panel.log(f"{member['name']} seed {seed}: {error}")
                continue
            if mine:
                ours.append(mine["test_auroc"])
            if peer:
                theirs.append(peer["test_auroc"])
            both = mine is not None and peer is not None
            lines.append([member["name"], member["half"], seed, f"{oracle:.4f}",
                          f"{mine['test_auroc']:.4f}" if mine else "-", f"{peer['test_auroc']:.4f}" if peer else "-",
                          f"{mine['test_auroc'] - peer['test_auroc']:+.4f}" if both else "-",
                          f"{mine['test_auroc'] / oracle:.3f}" if mine else "-", f"{peer['test_auroc'] / oracle:.3f}" if peer else "-",
                          f"{mine['best_epoch']}/{mine['epochs_run']}" if mine else "-",
                          f"{peer['best_epoch']}/{len(peer['validation_auroc'])}" if peer else "-",
                          f"{mine['minutes']:.1f}" if mine else "-", f"{peer['seconds'] / 60:.1f}" if peer else "-"])
        if ours and theirs:
            mean_ours, mean_theirs = sum(ours) / len(ours), sum(theirs) / len(theirs)
            verdict = "within" if mean_ours >= mean_theirs - MARGIN else "below"
            summary.append([member["name"], member["half"], f"{len(ours)}/{len(theirs)}", f"{oracle:.4f}", f"{mean_ours:.4f}", f"{mean_theirs:.4f}",
                            f"{mean_ours - mean_theirs:+.4f}", f"{min(ours):.4f}-{max(ours):.4f}",
                            f"{min(theirs):.4f}-{max(theirs):.4f}", verdict + (" (one seed)" if min(len(ours), len(theirs)) == 1 else "")])
    out = os.path.join(panel.OUT, options.label)
    os.makedirs(out, exist_ok=True)
    panel.write_tsv(os.path.join(out, "peer.tsv"), header, lines, provenance)
    panel.print_table(header, lines)
    summary_header = ["member", "half", "seeds_motifattn/pytorch", "oracle", "motifattn_mean", "pytorch_mean", "difference", "motifattn_range",
                      "pytorch_range", f"motifattn >= pytorch - {MARGIN}"]
    panel.write_tsv(os.path.join(out, "peer_summary.tsv"), summary_header, summary, provenance)
    print()
    panel.print_table(summary_header, summary)


if __name__ == "__main__":
    main()
