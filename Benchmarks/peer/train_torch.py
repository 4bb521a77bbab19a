#!/usr/bin/env python3
"""Train the v1 model in PyTorch with motifattn's default recipe, as the peer of `motifattn train`.

usage: train_torch.py TRAIN.fa TEST.fa OUT.safetensors [--epochs 4] [--min-steps 6000] [--max-epochs 200]
                      [--reverse-complement 1] [--max-shift -1] [--batch 64] [--lr 1e-3] [--weight-decay 0.01]
                      [--warmup 0.05] [--floor 0.01] [--clip 1.0] [--patience 2] [--valid-fraction 0.1]
                      [--seed 1] [--threads 2] [--k 3] [--conv-width 11] [--d-model 64] [--heads 4] [--layers 2] [--d-ff 128]
                      [--valid VALID.fa]

The recipe is pinned to motifattn's defaults (docs/training.md): AdamW (weight decay on every tensor),
linear warm-up over `warmup` of all steps then cosine decay to `floor` of the peak, global gradient-norm
clipping, mini-batches from a seeded shuffle each epoch, a random `valid-fraction` held out for
validation, the epoch with the best validation AUROC kept, early stopping after `patience` epochs without
improvement once the warm-up has ended; at least `min-steps` steps planned (more epochs than `epochs`, at most `max-epochs`) and each
epoch reading every sequence on a strand drawn from the seed (`reverse-complement` 1), as `motifattn train`
plans by default; `--max-shift N` cuts 0 to N k-mers from one end of each sequence in each epoch, as `train
--max-shift N`, and the default -1 follows `train`'s rule: 10 when the plan has more than 4 epochs, else 0. `--min-steps 0 --reverse-complement 0` is the recipe of a fixed epoch count. The architecture is motifattn_torch.py's (the executable spec, beside this script), built
with PyTorch's own initialisation. Writes OUT.safetensors (loadable by motifattn) and prints one JSON
line: validation AUROC per epoch, best epoch, test AUROC, seconds. Needs torch, numpy, safetensors.
"""
import argparse, gzip, json, math, os, sys, time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motifattn_torch import MotifAttnV1, kmer_tokens, save_motifattn  # noqa: E402


def read_labelled(path):
    names, seqs, labels = [], [], []
    label, chunks = None, []
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if label is not None:
                    seqs.append("".join(chunks)); labels.append(label)
                label = float(line.split("label=")[1].split()[0].split(",")[0])
                names.append(line[1:].split()[0])
                chunks = []
            elif line:
                chunks.append(line)
    if label is not None:
        seqs.append("".join(chunks)); labels.append(label)
    return seqs, np.array(labels, dtype=np.float32)


def auroc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):  # mid-ranks for ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n1 = labels.sum(); n0 = len(labels) - n1
    return float((ranks[labels == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def batches(ids, order, size):
    for start in range(0, len(order), size):
        rows = [ids[i] for i in order[start:start + size]]
        width = max(len(r) for r in rows)
        yield torch.tensor([r + [0] * (width - len(r)) for r in rows]), order[start:start + size]


def scores_of(model, ids, batch=256):
    model.eval()
    out = np.empty(len(ids), dtype=np.float64)
    with torch.no_grad():
        for x, idx in batches(ids, list(range(len(ids))), batch):
            out[idx] = model(x)[:, 0].double().numpy()
    model.train()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("train"); p.add_argument("test"); p.add_argument("out")
    for name, kind, default in [("epochs", int, 4), ("min-steps", int, 6000), ("max-epochs", int, 200),
                                ("reverse-complement", int, 1), ("max-shift", int, -1), ("batch", int, 64), ("lr", float, 1e-3), ("weight-decay", float, 0.01),
                                ("warmup", float, 0.05), ("floor", float, 0.01), ("clip", float, 1.0), ("patience", int, 2),
                                ("valid-fraction", float, 0.1), ("seed", int, 1), ("threads", int, 2), ("k", int, 3),
                                ("conv-width", int, 11), ("d-model", int, 64), ("heads", int, 4), ("layers", int, 2),
                                ("d-ff", int, 128)]:
        p.add_argument("--" + name, type=kind, default=default)
    p.add_argument("--valid", help="labelled FASTA of validation sequences (motifattn train --write-split's PREFIX.valid.fa); "
                   "then all of TRAIN trains and --valid-fraction is not used")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    seqs, labels = read_labelled(a.train)
    test_seqs, test_labels = read_labelled(a.test)
    ids = [kmer_tokens(s, a.k) for s in seqs]
    complement = str.maketrans("ACGTacgt", "TGCAtgca")
    reverse_ids = [kmer_tokens(s.translate(complement)[::-1], a.k) for s in seqs] if a.reverse_complement else None
    test_ids = [kmer_tokens(s, a.k) for s in test_seqs]
    if a.valid:
        valid_seqs, valid_labels = read_labelled(a.valid)
        train_idx = np.arange(len(ids))
        valid_ids = [kmer_tokens(s, a.k) for s in valid_seqs]
    else:
        order = rng.permutation(len(ids))
        held = int(round(a.valid_fraction * len(ids)))
        valid_idx, train_idx = order[:held], order[held:]
        valid_ids = [ids[i] for i in valid_idx]; valid_labels = labels[valid_idx]
    train_ids = [ids[i] for i in train_idx]; train_labels = labels[train_idx]
    train_reverse = [reverse_ids[i] for i in train_idx] if reverse_ids else None
    longest = max(len(r) for r in ids + test_ids + valid_ids)
    cfg = {"format": "motifattn-model", "version": 1, "tokenizer": {"kind": "kmer", "k": a.k, "stride": 1},
           "d_model": a.d_model, "n_heads": a.heads, "n_layers": a.layers, "d_ff": a.d_ff, "max_len": max(256, longest),
           "layer_norm_eps": 1e-5, "n_outputs": 1, "conv_width": a.conv_width, "activation": "gelu", "norm_first": True,
           "pooling": "cls", "positional": "learned"}
    model = MotifAttnV1(cfg)
    optimiser = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    steps_per_epoch = math.ceil(len(train_ids) / a.batch)
    for_steps = math.ceil(a.min_steps / steps_per_epoch) if a.min_steps > 0 else 0
    epochs = max(1, a.epochs, min(a.max_epochs, for_steps))
    total = steps_per_epoch * epochs
    # motifattn's read-count rule (TrainingSettings.defaultMaxShift, shiftAboveEpochs) unless a shift is given.
    max_shift = a.max_shift if a.max_shift >= 0 else (10 if epochs > 4 else 0)
    warm = int(round(a.warmup * total))

    def rate(step):  # step counts from 1, as motifattn's schedule
        if step <= warm:
            return a.lr * step / max(1, warm)
        progress = (step - warm) / max(1, total - warm)
        return a.lr * (a.floor + (1 - a.floor) * 0.5 * (1 + math.cos(math.pi * progress)))

    loss_fn = torch.nn.BCEWithLogitsLoss()
    best, best_state, since, history, step = None, None, 0, [], 0
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        if a.patience > 0 and since >= a.patience and step >= warm:  # not while the warm-up lasts
            break
        epoch_ids = train_ids
        if train_reverse:
            strands = rng.integers(0, 2, len(train_ids))
            epoch_ids = [train_reverse[i] if strands[i] else train_ids[i] for i in range(len(train_ids))]
        if max_shift > 0:
            # Cut 0..max-shift k-mers at one end, keeping [CLS], [SEP] and at least one k-mer.
            cuts, ends = rng.integers(0, max_shift + 1, len(epoch_ids)), rng.integers(0, 2, len(epoch_ids))
            epoch_ids = [r if min(c, len(r) - 3) <= 0 else
                         (r[:1] + r[1 + min(c, len(r) - 3):] if e == 0 else r[:len(r) - 1 - min(c, len(r) - 3)] + r[-1:])
                         for r, c, e in zip(epoch_ids, cuts.tolist(), ends.tolist())]
        for x, idx in batches(epoch_ids, rng.permutation(len(train_ids)).tolist(), a.batch):
            step += 1
            for group in optimiser.param_groups:
                group["lr"] = rate(step)
            optimiser.zero_grad()
            loss = loss_fn(model(x)[:, 0], torch.tensor(train_labels[idx]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            optimiser.step()
        valid_auroc = auroc(scores_of(model, valid_ids), valid_labels)
        history.append(valid_auroc)
        if best is None or valid_auroc > best:
            best, since = valid_auroc, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_epoch = epoch
        else:
            since += 1
    seconds = time.perf_counter() - start
    model.load_state_dict(best_state)
    save_motifattn(model, a.out)
    test_auroc = auroc(scores_of(model, test_ids), test_labels)
    print(json.dumps({"validation_auroc": history, "best_epoch": best_epoch, "test_auroc": test_auroc,
                      "seconds": seconds, "training_sequences": len(train_ids), "planned_epochs": epochs, "steps": step}))


if __name__ == "__main__":
    main()
