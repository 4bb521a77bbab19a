#!/usr/bin/env python3
"""A numpy peer for motifattn models of format version 2 (pruned: fewer heads in some layers).

`motifattn_torch.py` is the specification of v1 and reads v1 only. This file reads v1 and v2 and runs the
same network in float64 numpy, written from the model description in motifattn_torch.py's docstring and
docs/pruning.md (not from motifattn's Swift code), so the encoder can be checked against it.

A v2 config adds "heads_per_layer" (heads each layer keeps), "kept_heads" (their numbers in the unpruned
model, per layer, ascending) and "head_dim" (d_model / n_heads of the unpruned model). A layer with h heads has
in_proj_weight [3·h·head_dim, d_model] (the Q rows of its heads, then K, then V, head by head) and
out_proj.weight [d_model, h·head_dim]; every other tensor is as in v1.

usage:
  pruned_peer.py prune IN.safetensors OUT.safetensors --heads L0H1,L1H3
      remove heads (numbers as in the unpruned model) and write a v2 model
  pruned_peer.py run MODEL.safetensors CASE.json OUT.safetensors
      run the model on CASE.json's "tokens" (lists of token ids) and write ids, logits [B, n_outputs] and,
      per layer l, attention.l [B, h_l, T, T] (float32; [PAD] rows and columns 0)
  pruned_peer.py check MODEL.safetensors CASE.json IO.safetensors
      compare `run` with another engine's io.safetensors (e.g. the v1 PyTorch fixtures); prints the largest
      differences of logits and attention

Needs numpy and safetensors.
"""
import argparse
import json
import math
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layer_norm(x, weight, bias, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def read_model(path):
    with safe_open(path, "np") as f:
        cfg = json.loads(f.metadata()["motifattn"])
    if cfg.get("version") not in (1, 2):
        sys.exit(f"{path}: model format version {cfg.get('version')} is not 1 or 2")
    tensors = {k: v.astype(np.float64) for k, v in load_file(path).items()}
    return cfg, tensors


def kept_heads(cfg):
    if cfg["version"] == 1:
        return [list(range(cfg["n_heads"])) for _ in range(cfg["n_layers"])]
    return cfg["kept_heads"]


def forward(cfg, t, ids):
    """ids [B, T] int (0 = [PAD], right-padded) -> logits [B, n_outputs], maps[l] [B, h_l, T, T]."""
    eps = cfg["layer_norm_eps"]
    d = cfg["d_model"]
    dh = d // cfg["n_heads"]
    batch, tokens = ids.shape
    pad = ids == 0
    x = t["tok_emb.weight"][ids] + t["pos_emb.weight"][:tokens][None]
    width = cfg.get("conv_width", 0)
    if width:
        p = width // 2
        w, b = t["stem.weight"], t["stem.bias"]            # [d_out, d_in, W], [d_out]
        h = np.where(pad[..., None], 0.0, x)
        padded = np.concatenate([np.zeros((batch, p, d)), h, np.zeros((batch, p, d))], axis=1)
        conv = np.zeros((batch, tokens, d)) + b
        for j in range(width):
            conv += padded[:, j:j + tokens, :] @ w[:, :, j].T
        x = x + gelu(conv)
    maps = []
    for layer, heads in enumerate(kept_heads(cfg)):
        pre = f"encoder.layers.{layer}."
        a = len(heads) * dh
        h = layer_norm(x, t[pre + "norm1.weight"], t[pre + "norm1.bias"], eps)
        qkv = h @ t[pre + "self_attn.in_proj_weight"].T + t[pre + "self_attn.in_proj_bias"]
        q, k, v = qkv[..., :a], qkv[..., a:2 * a], qkv[..., 2 * a:]
        context = np.zeros((batch, tokens, a))
        layer_maps = np.zeros((batch, len(heads), tokens, tokens))
        for i in range(len(heads)):
            cols = slice(i * dh, (i + 1) * dh)
            scores = q[..., cols] @ k[..., cols].transpose(0, 2, 1) / math.sqrt(dh)
            scores = np.where(pad[:, None, :], -np.inf, scores)
            scores = scores - scores.max(axis=-1, keepdims=True)
            e = np.exp(scores)
            probabilities = e / e.sum(axis=-1, keepdims=True)
            layer_maps[:, i] = probabilities
            context[..., cols] = probabilities @ v[..., cols]
        maps.append(layer_maps)
        x = x + context @ t[pre + "self_attn.out_proj.weight"].T + t[pre + "self_attn.out_proj.bias"]
        h = layer_norm(x, t[pre + "norm2.weight"], t[pre + "norm2.bias"], eps)
        hidden = gelu(h @ t[pre + "linear1.weight"].T + t[pre + "linear1.bias"])
        x = x + hidden @ t[pre + "linear2.weight"].T + t[pre + "linear2.bias"]
    x = layer_norm(x, t["encoder.norm.weight"], t["encoder.norm.bias"], eps)
    logits = x[:, 0] @ t["head.weight"].T + t["head.bias"]
    return logits, maps


def padded_ids(case_path):
    rows = json.load(open(case_path))["tokens"]
    tokens = max(len(r) for r in rows)
    return np.array([r + [0] * (tokens - len(r)) for r in rows], dtype=np.int64), [len(r) for r in rows]


def parse_heads(text):
    heads = []
    for name in text.split(","):
        name = name.strip()
        if not (name.startswith("L") and "H" in name):
            sys.exit(f"--heads: {name!r} is not LxHy")
        layer, head = name[1:].split("H")
        heads.append((int(layer), int(head)))
    return heads


def prune(args):
    cfg, t = read_model(args.model)
    dh = cfg["d_model"] // cfg["n_heads"]
    removed = parse_heads(args.heads)
    kept = [list(h) for h in kept_heads(cfg)]
    out = {k: v.astype(np.float32) for k, v in t.items()}
    for layer, heads in enumerate(kept_heads(cfg)):
        gone = {h for (l, h) in removed if l == layer}
        if not gone:
            continue
        if not gone <= set(heads):
            sys.exit(f"layer {layer} has no head(s) {sorted(gone - set(heads))}")
        positions = [i for i, h in enumerate(heads) if h not in gone]
        if not positions:
            sys.exit(f"layer {layer} would keep no head")
        a = len(heads) * dh
        rows = [part * a + i * dh + c for part in range(3) for i in positions for c in range(dh)]
        cols = [i * dh + c for i in positions for c in range(dh)]
        pre = f"encoder.layers.{layer}.self_attn."
        out[pre + "in_proj_weight"] = np.ascontiguousarray(t[pre + "in_proj_weight"][rows]).astype(np.float32)
        out[pre + "in_proj_bias"] = np.ascontiguousarray(t[pre + "in_proj_bias"][rows]).astype(np.float32)
        out[pre + "out_proj.weight"] = np.ascontiguousarray(t[pre + "out_proj.weight"][:, cols]).astype(np.float32)
        kept[layer] = [heads[i] for i in positions]
    cfg = dict(cfg)
    cfg.update(version=2, kept_heads=kept, heads_per_layer=[len(h) for h in kept], head_dim=dh)
    save_file(out, args.out, metadata={"motifattn": json.dumps(cfg, sort_keys=True)})


def run(args):
    cfg, t = read_model(args.model)
    ids, lengths = padded_ids(args.case)
    logits, maps = forward(cfg, t, ids)
    result = {"ids": ids, "logits": logits.astype(np.float32)}
    for layer, m in enumerate(maps):
        for b, n in enumerate(lengths):
            m[b, :, n:, :] = 0.0  # [PAD] query rows carry no meaning
        result[f"attention.{layer}"] = np.ascontiguousarray(m.astype(np.float32))
    save_file(result, args.out, metadata={"producer": "Benchmarks/peer/pruned_peer.py (numpy float64)"})


def check(args):
    cfg, t = read_model(args.model)
    ids, lengths = padded_ids(args.case)
    logits, maps = forward(cfg, t, ids)
    other = load_file(args.io)
    print(f"logits: largest difference {np.abs(logits - other['logits']).max():.3g}")
    worst = 0.0
    for layer, m in enumerate(maps):
        ref = other[f"attention.{layer}"]
        for b, n in enumerate(lengths):
            worst = max(worst, float(np.abs(m[b, :, :n, :n] - ref[b, :, :n, :n]).max()))
    print(f"attention (real query rows): largest difference {worst:.3g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prune")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--heads", required=True)
    p.set_defaults(func=prune)
    r = sub.add_parser("run")
    r.add_argument("model")
    r.add_argument("case")
    r.add_argument("out")
    r.set_defaults(func=run)
    c = sub.add_parser("check")
    c.add_argument("model")
    c.add_argument("case")
    c.add_argument("io")
    c.set_defaults(func=check)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
