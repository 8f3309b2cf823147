#!/usr/bin/python3
"""Takes one model call's working memory apart from ONNX Runtime's per-node memory statistics.

    bench/node_memory.py OPTIMIZED.onnx NODESTATS.csv

OPTIMIZED.onnx: the graph ONNX Runtime runs (dlc_session_load_peak --way optimized writes it as
FILE.ort-optimized.onnx); NODESTATS.csv: what dlc_session_load_peak --set nodestats=CSV --run 1
recorded for the same model (session.collect_node_memory_stats_to_file: per node, the bytes of
its outputs and of its scratch allocations). Walks the nodes in the graph's order, frees each
output after its last consumer (graph outputs live to the end), and prints, at the peak: the live
activations, the running node's scratch, and the largest outputs alive; then the largest scratch
of any node. A benchmark's reading, not a test. MB = 2^20 bytes.
"""
import csv
import sys

import onnx


def main(model_path, stats_path):
    model = onnx.load(model_path, load_external_data=False)
    graph = model.graph
    stats = {}
    with open(stats_path, newline="") as f:
        # name_HASH, input_sizes, initializers_sizes, total_dynamic_sizes, total_temp_allocations
        for row in csv.reader(f):
            if len(row) < 5 or not row[3].strip().isdigit():
                continue
            name = row[0].strip().rsplit("_", 1)[0]
            stats[name] = (int(row[2]), int(row[3]), int(row[4]))
    names = [n.name for n in graph.node]
    missing = [n for n in names if n not in stats]
    last_use = {}
    for i, node in enumerate(graph.node):
        for name in node.input:
            last_use[name] = i
    for out in graph.output:
        last_use[out.name] = len(graph.node)
    live = {}  # node index -> bytes of its outputs still needed
    frees = {}
    peak = (0, 0, 0, -1)  # total, activations, scratch, node index
    largest_scratch = (0, "")
    for i, node in enumerate(graph.node):
        _, out_bytes, temp_bytes = stats.get(node.name, (0, 0, 0))
        live[i] = out_bytes
        activations = sum(live.values())
        total = activations + temp_bytes
        if total > peak[0]:
            peak = (total, activations, temp_bytes, i)
            peak_live = dict(live)
        if temp_bytes > largest_scratch[0]:
            largest_scratch = (temp_bytes, f"{node.op_type} {node.name}")
        end = max([last_use.get(o, i) for o in node.output if o] or [i])
        frees.setdefault(end, []).append(i)
        for done in frees.pop(i, []):
            live.pop(done, None)
    mb = lambda b: b / 2**20
    total, activations, scratch, at = peak
    node = graph.node[at]
    print(f"{len(names)} nodes, {len(missing)} without statistics")
    print(f"peak {mb(total):.1f} MB at node {at} ({node.op_type} {node.name}): "
          f"live activations {mb(activations):.1f} MB, its scratch {mb(scratch):.1f} MB")
    top = sorted(peak_live.items(), key=lambda kv: -kv[1])[:6]
    for i, b in top:
        print(f"  alive: {mb(b):7.1f} MB  {graph.node[i].op_type} {graph.node[i].name}")
    print(f"largest scratch of any node: {mb(largest_scratch[0]):.1f} MB ({largest_scratch[1]})")
    print(f"sum of all outputs {mb(sum(s[1] for s in stats.values())):.1f} MB, "
          f"weights counted by ORT {mb(sum(s[0] for s in stats.values())):.1f} MB")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
