#!/usr/bin/env python3
"""Writes the PyTorch (autograd, float64) fixture for the head-diversity penalties.

usage: Benchmarks/peer/head_diversity_fixture.py CASE_DIR OUT_DIR [--cosine-weight 20] [--product-weight 70]

CASE_DIR is a model-v1 fixture folder (model.safetensors, io.safetensors with ids and labels);
OUT_DIR receives, for each kind (cosine, product), KIND.grads.safetensors (the gradient of
mean BCE + weight x penalty for every tensor) and case.json (weight, loss, penalty per kind). The
default weights make the penalty's share of the gradient about as large as the BCE's on k3_d32_h4_l2,
so a wrong penalty gradient cannot hide under the BCE's.

The penalties, as motifattn defines them (TrainerSettings.headDiversityKind), for one layer and
sequence, over its n non-[PAD] query rows A_h = P_h[rows, :] ([n, T]) and the H(H-1)/2 head pairs:
  cosine:  mean over pairs of <A_h, A_h'> / (|A_h| |A_h'|)
  product: mean over pairs of |A_h A_h'^T|_F^2 / n^2
The loss adds weight / (layers * sequences) times their sum over layers and sequences.
Needs torch, numpy and safetensors; run once, commit the output (the tests do not need torch).
"""
import argparse, json, os, sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from motifattn_torch import MotifAttnV1  # noqa: E402


def penalty(maps, pad, kind):
    total = 0.0
    for layer in maps:                        # [B, H, T, T]
        for b in range(layer.shape[0]):
            rows = (~pad[b]).nonzero().flatten()
            a = layer[b][:, rows, :]          # [H, n, T]
            heads, n = a.shape[0], a.shape[1]
            values = []
            for h in range(heads):
                for o in range(h + 1, heads):
                    if kind == "cosine":
                        values.append((a[h] * a[o]).sum() / (a[h].norm() * a[o].norm()))
                    else:
                        values.append((a[h] @ a[o].T).pow(2).sum() / (n * n))
            total = total + torch.stack(values).mean()
    return total / (len(maps) * maps[0].shape[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("out")
    parser.add_argument("--cosine-weight", type=float, default=20.0)
    parser.add_argument("--product-weight", type=float, default=70.0)
    args = parser.parse_args()
    with open(os.path.join(args.case, "case.json")) as f:
        config = json.load(f)["config"]
    model = MotifAttnV1(config).double()
    state = load_file(os.path.join(args.case, "model.safetensors"))
    model.load_state_dict({k: v.double() for k, v in state.items()})
    io = load_file(os.path.join(args.case, "io.safetensors"))
    ids = io["ids"].long()
    labels = io["labels"].double().reshape(ids.shape[0], -1)
    pad = ids.eq(0)
    os.makedirs(args.out, exist_ok=True)
    summary = {"case": os.path.basename(os.path.normpath(args.case)), "kinds": {}}
    for kind, weight in (("cosine", args.cosine_weight), ("product", args.product_weight)):
        model.zero_grad()
        logits, _, maps = model(ids, with_attention=True)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        p = penalty(maps, pad, kind)
        loss = bce + weight * p
        loss.backward()
        grads = {name: t.grad.detach().float().contiguous() for name, t in model.named_parameters()}
        save_file(grads, os.path.join(args.out, f"{kind}.grads.safetensors"))
        summary["kinds"][kind] = {"weight": weight, "loss": loss.item(), "bce": bce.item(), "penalty": p.item()}
    summary["torch"] = torch.__version__
    with open(os.path.join(args.out, "case.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
