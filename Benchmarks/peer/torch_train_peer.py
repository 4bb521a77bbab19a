#!/usr/bin/env python3
"""PyTorch training speed on the shapes `motifattn bench-train` times, for its --peer option.

usage: torch_train_peer.py --tokens T --batch B --steps S --threads N --d-model D --heads H --layers L --d-ff F --conv-width W

Times S optimisation steps (forward, BCE-with-logits loss, backward, AdamW) of the v1 model of
motifattn_torch.py (the executable spec, beside this script) on B random rows of T tokens (k = 3),
after one untimed warm-up step, on N threads; prints one JSON line {"sequences_per_s": ...}.
Needs torch.
"""
import argparse, json, os, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motifattn_torch import MotifAttnV1  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name, default in [("tokens", 200), ("batch", 64), ("steps", 10), ("threads", 1), ("d-model", 64),
                          ("heads", 4), ("layers", 2), ("d-ff", 128), ("conv-width", 11)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    cfg = {"tokenizer": {"kind": "kmer", "k": 3, "stride": 1}, "d_model": a.d_model, "n_heads": a.heads,
           "n_layers": a.layers, "d_ff": a.d_ff, "max_len": max(256, a.tokens), "layer_norm_eps": 1e-5,
           "n_outputs": 1, "conv_width": a.conv_width}
    model = MotifAttnV1(cfg)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    ids = torch.randint(5, 5 + 4 ** 3, (a.batch, a.tokens))
    ids[:, 0], ids[:, -1] = 2, 3
    labels = (torch.arange(a.batch) % 2).float()[:, None]
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step():
        optimiser.zero_grad()
        loss = loss_fn(model(ids), labels)
        loss.backward()
        optimiser.step()
        return loss.item()

    step()
    start = time.perf_counter()
    total = sum(step() for _ in range(a.steps))
    seconds = time.perf_counter() - start
    assert total == total, "training diverged"
    print(json.dumps({"sequences_per_s": a.batch * a.steps / seconds, "threads": a.threads}))


if __name__ == "__main__":
    main()
