#!/usr/bin/env bash
# Training throughput of mel_2bar on 1 process vs 2 processes (torchrun, gloo), same global batch 256.
# Not a test. Usage: bash benchmarks/ddp_scaling.sh [OUT_DIR]   (with vaekit and vaekit-midi installed)
set -euo pipefail
out=${1:-$(mktemp -d)}
for n in 1 2; do
  vaekit train -m midi --set data.limit_tunes=400 --steps 60 --set train.log_every=10 --set train.eval_every=1000 \
     --nproc $n --out "$out/p$n" --force --no-progress > "$out/p$n.log" 2>&1
done
python - "$out" <<'PY'
import json, statistics, sys
for n in (1, 2):
    rows = [json.loads(line) for line in open(f"{sys.argv[1]}/p{n}/metrics.jsonl")]
    eps = [r["examples_per_s"] for r in rows if r["split"] == "train"][1:]  # the first window includes warm-up
    print(f"{n} process(es): median {statistics.median(eps):.0f} windows/s over {len(eps)} windows of 10 steps")
PY
