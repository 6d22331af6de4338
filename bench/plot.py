"""Latency percentiles per system, from a run's results JSON (bench/lib/results.ts).

usage: python bench/plot.py RESULTS.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display on a benchmark box
import matplotlib.pyplot as plt  # noqa: E402

PERCENTILES = [("p50Ms", "p50"), ("p90Ms", "p90"), ("p99Ms", "p99")]


def panel(ax, rows, title, field):
    labels = [f"{m['system']}\n{m['protocol']}" for m in rows]
    width = 0.27
    for i, (key, name) in enumerate(PERCENTILES):
        values = [(m["load"].get(field) or {}).get(key) or float("nan") for m in rows]
        xs = [x + (i - 1) * width for x in range(len(rows))]
        ax.bar(xs, values, width, label=name)
    for x, m in enumerate(rows):
        if m["load"]["ok"] == 0:
            ax.annotate("every request failed", (x, 0.5), xycoords=("data", "axes fraction"), ha="center", rotation=90, fontsize=8, color="crimson")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("latency, ms (log)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8)


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source) as f:
        data = json.load(f)
    rate = max(data["settings"]["rates"])
    at_rate = [m for m in data["measurements"] if m["load"]["requestedRate"] == rate]
    unary = [m for m in at_rate if m["call"] == "unary"]
    stream = [m for m in at_rate if m["call"] == "stream"]
    fig, axes = plt.subplots(2, 1, figsize=(max(9, 0.75 * len(unary) + 3), 10))
    panel(axes[0], unary, f"Unary latency at {rate} req/s (open loop): baseline = upstream direct", "latency")
    panel(axes[1], stream, f"Streaming time to first token at {rate} req/s (open loop)", "ttft")
    fig.suptitle(f"Switchyard benchmark {data['date']} ({data['profile']}; shared 2-core machine)", fontsize=11)
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main()
