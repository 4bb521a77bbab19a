#!/usr/bin/env python3
"""Two or more panel runs side by side: the ablation row of a rule, or a run against its baseline.

usage: compare.py BASE OTHER [OTHER ...]

Each argument is a label under panel-out/ (a `panel.py --label` run), or several joined by "+" when one
panel was run in parts (`s12-dev+s12-dev-b`: the later label's row wins for a member in both). For every
simulated member of BASE, one line per run: pairs and motifs found by `analyze` and `scan` (recall, then
precision), and whether the run's tables (`interactions.tsv`, `head_motifs.tsv` of both commands, without
their `##` provenance lines) are byte-identical to BASE's. Then the aggregate of each half (panel.py's), for
the members every run has.
"""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import panel  # noqa: E402

TABLES = ("analyze/interactions.tsv", "analyze/head_motifs.tsv", "scan/interactions.tsv", "scan/head_motifs.tsv")
MEASURES = ("analyze_pair_recall", "analyze_pair_precision", "scan_pair_recall", "scan_pair_precision",
            "analyze_motif_recall", "analyze_motif_precision", "scan_motif_recall", "scan_motif_precision",
            "analyze_motif_recall_by_class", "analyze_motif_precision_by_class", "scan_motif_recall_by_class",
            "scan_motif_precision_by_class", "scan_analyze_same_pairs")


def rows_of(spec):
    """{member: (row, folder)} of a label, or of labels joined by '+' (later ones win)."""
    rows = {}
    for label in spec.split("+"):
        path = os.path.join(panel.OUT, label, "members.json")
        if not os.path.exists(path):
            sys.exit(f"compare: {path}: no such file (a panel run writes it after its first member)")
        with open(path) as f:
            run = json.load(f)
        if not run.get("complete", True):
            print(f"compare: {label} is still running or was stopped: only its finished members are compared",
                  file=sys.stderr)
        for row in run["simulated"]:
            if "error" not in row:
                rows[row["member"]] = (row, os.path.join(panel.OUT, label, row["member"]))
    return rows


def table_text(path):
    """The table without its `##` provenance lines, or None when the file is missing."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return "".join(line for line in f if not line.startswith("##"))


def same_tables(folder, base_folder):
    """'same' when all TABLES are byte-identical, else the differing ones."""
    differing = [t for t in TABLES if table_text(os.path.join(folder, t)) != table_text(os.path.join(base_folder, t))]
    return "same" if not differing else "differs: " + ", ".join(differing)


def figures(row):
    ratio = panel.fmt_ratio
    return [f"{ratio(row[f'{k}_pairs_found'], row['pairs_planted'])} ({ratio(row[f'{k}_pairs_correct'], row[f'{k}_pairs_reported'])})"
            for k in ("analyze", "scan")] + \
           [f"{ratio(row[f'{k}_motifs_found'], row['motifs_planted'])} ({ratio(row[f'{k}_motifs_correct'], row[f'{k}_motifs_reported'])})"
            for k in ("analyze", "scan")]


def main():
    specs = sys.argv[1:]
    if len(specs) < 2 or any(s.startswith("-") for s in specs):
        sys.exit(__doc__.strip().splitlines()[2])
    runs = [rows_of(s) for s in specs]
    base = runs[0]
    header = ["member", "run", "pairs analyze", "pairs scan", "motifs analyze", "motifs scan", "tables against " + specs[0]]
    lines = []
    for member in base:
        for spec, run in zip(specs, runs):
            if member not in run:
                lines.append([member, spec, "-", "-", "-", "-", "not run"])
                continue
            row, folder = run[member]
            lines.append([member, spec, *figures(row), "" if run is base else same_tables(folder, base[member][1])])
    panel.print_table(header, lines)
    print()
    common = [m for m in base if all(m in run for run in runs)]
    for half in ("dev", "heldout"):
        members = [m for m in common if base[m][0]["half"] == half]
        if not members:
            continue
        aggregates = [panel.aggregate([run[m][0] for m in members]) for run in runs]
        print(f"{half} half, {len(members)} members")
        panel.print_table(["measure", *specs], [[k, *(f"{a[k]:.3f}" if k in a else "-" for a in aggregates)] for k in MEASURES])
        print()


if __name__ == "__main__":
    main()
