#!/usr/bin/env python3
"""The PyTorch peer on the panel: each simulated member trained by `motifattn train` and by the same recipe in PyTorch.

usage: peer.py [--panel quick|dev|heldout|sim] [--members NAME,...] [--seeds 1,2,3] [--pytorch-seeds 1]
               [--threads 1] [--motifattn BIN] [--python PY] [--label L] [--analyse]

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
member and seed) and peer_summary.tsv (one row per member).

Beside the AUROCs, both models of a member and seed are asked which planted pairs they carry: truth_epistasis.py
on each says which pairs it uses jointly at the planted sites (the panel's criterion), in peer.tsv as found/planted
and per pair in peer_pairs.tsv. A planted pair that neither model uses jointly is out of reach of the interaction
test, which reports joint use, whoever trains the architecture; one that only PyTorch's model uses jointly is a miss
of motifattn's training. With --analyse the panel's `analyze` and `scan` also run with each model
(panel-out/LABEL/MEMBER-TOOL-sSEED/), and the tables say which planted pairs each finds.

PY is a Python with torch, numpy and safetensors (`python3 -m venv ENV && ENV/bin/pip install torch safetensors`);
this is outside the panel's two hours: about 20-40 minutes per 20,000-sequence member and seed on one thread.
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
    return dict(record, folder=folder)


def motifattn_run(member, simdir, sim, seed, options, code_key):
    """The panel's motifattn model of `member` trained with `seed` (trained now if not cached) and its test AUROC."""
    stats = {}
    args = ["--train", os.path.join(simdir, "train.fa")] + ([] if seed == 1 else ["--seed", str(seed)])
    model_dir, trained = panel.trained_model(member["name"], sim["train_sha256"], args, options.motifattn, options.threads,
                                             code_key, stats)
    metadata = panel.model_metadata(os.path.join(model_dir, "model.safetensors"))
    return {"test_auroc": panel.test_auroc(simdir, model_dir, options.motifattn, options.threads, stats),
            "minutes": panel.train_seconds(trained, options.threads)[0] / 60, "best_epoch": metadata.get("best_epoch"),
            "epochs_run": len(metadata.get("epochs", [])), "folder": model_dir}


def planted_pairs_by_model(member, simdir, models, options, label, seed):
    """Per planted pair, for each model (tool name -> cache folder holding model.safetensors): whether the model uses
    the pair jointly at its planted sites (truth_epistasis.py, run once per model) with its mean knock-out interaction,
    and with --analyse whether `analyze` and `scan` by that model find it (panel-out/LABEL/MEMBER-TOOL-sSEED/)."""
    pairs, _ = panel.read_truth(simdir)
    rows = {panel.pair_label(tf_a, tf_b): {"pair": panel.pair_ids(id_a, id_b)} for id_a, tf_a, id_b, tf_b in pairs}
    for tool, folder in models.items():
        truth = panel.truth_scripts(simdir, folder, int(member["n_test"]), options.threads, {})
        epistasis = panel.parse_epistasis(truth["truth_epistasis"])
        evaluations = {}
        if options.analyse:
            out = os.path.join(panel.OUT, label, f"{member['name']}-{tool}-s{seed}")
            evaluations = panel.analysed_and_evaluated(member, simdir, os.path.join(folder, "model.safetensors"), out, options, {})
        for name, row in rows.items():
            row[tool] = {"joint": panel.used_jointly(epistasis, name),
                         "interaction": epistasis.get(name, (float("nan"),))[0],
                         **{kind: row["pair"] not in e["missed_pairs"] for kind, e in evaluations.items()}}
    return rows


def verdict_text(row, tool, field):
    """One planted pair's verdict for one tool as a table cell: yes, no, or - when it was not asked."""
    return ("yes" if row[tool][field] else "no") if field in row[tool] else "-"


def pair_summary(rows, tool, field):
    """'found/planted' over a member's planted pairs for one tool and one verdict ('joint', 'analyze', 'scan')."""
    if not rows or any(field not in row[tool] for row in rows.values()):
        return "-"
    return f"{sum(row[tool][field] for row in rows.values())}/{len(rows)}"


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
    parser.add_argument("--analyse", action="store_true",
                        help="also run the panel's analyze and scan with each model and say which planted pairs each finds")
    options = parser.parse_args()
    options.analysis_args = options.analyze_args = options.scan_args = ""  # the analysis's defaults, as the panel's own run
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
              "pytorch/oracle", "motifattn_best/run_epochs", "pytorch_best/run_epochs", "motifattn_min", "pytorch_min",
              "jointly_motifattn", "jointly_pytorch", "analyze_motifattn", "analyze_pytorch", "scan_motifattn", "scan_pytorch"]
    pair_header = ["member", "seed", "pair", "ids", "joint_motifattn", "joint_pytorch", "interaction_motifattn",
                   "interaction_pytorch", "analyze_motifattn", "analyze_pytorch", "scan_motifattn", "scan_pytorch"]
    lines, summary, pair_lines = [], [], []
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
            pairs = planted_pairs_by_model(member, simdir, {"motifattn": mine["folder"], "pytorch": peer["folder"]},
                                           options, options.label, seed) if both else {}
            for name, row in pairs.items():
                pair_lines.append([member["name"], seed, name, row["pair"], verdict_text(row, "motifattn", "joint"),
                                   verdict_text(row, "pytorch", "joint"), f"{row['motifattn']['interaction']:.2f}",
                                   f"{row['pytorch']['interaction']:.2f}"]
                                  + [verdict_text(row, tool, kind) for kind in ("analyze", "scan") for tool in ("motifattn", "pytorch")])
            lines.append([member["name"], member["half"], seed, f"{oracle:.4f}",
                          f"{mine['test_auroc']:.4f}" if mine else "-", f"{peer['test_auroc']:.4f}" if peer else "-",
                          f"{mine['test_auroc'] - peer['test_auroc']:+.4f}" if both else "-",
                          f"{mine['test_auroc'] / oracle:.3f}" if mine else "-", f"{peer['test_auroc'] / oracle:.3f}" if peer else "-",
                          f"{mine['best_epoch']}/{mine['epochs_run']}" if mine else "-",
                          f"{peer['best_epoch']}/{len(peer['validation_auroc'])}" if peer else "-",
                          f"{mine['minutes']:.1f}" if mine else "-", f"{peer['seconds'] / 60:.1f}" if peer else "-"]
                         + [pair_summary(pairs, tool, field) for field in ("joint", "analyze", "scan") for tool in ("motifattn", "pytorch")])
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
    panel.write_tsv(os.path.join(out, "peer_pairs.tsv"), pair_header, pair_lines, provenance)
    print()
    panel.print_table(pair_header, pair_lines)
    summary_header = ["member", "half", "seeds_motifattn/pytorch", "oracle", "motifattn_mean", "pytorch_mean", "difference", "motifattn_range",
                      "pytorch_range", f"motifattn >= pytorch - {MARGIN}"]
    panel.write_tsv(os.path.join(out, "peer_summary.tsv"), summary_header, summary, provenance)
    print()
    panel.print_table(summary_header, summary)


if __name__ == "__main__":
    main()
