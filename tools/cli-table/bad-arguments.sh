#!/usr/bin/env bash
# Prints the Markdown table of docs/cli.md: each command line below run through the built CLI, with its exit code
# and the one line it printed on stderr. Usage: dotnet build src/Nabla.Cli -c Release && tools/cli-table/bad-arguments.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
nabla() { dotnet src/Nabla.Cli/bin/Release/net10.0/Nabla.Cli.dll "$@"; }
cases=(
  "frobnicate" "--frobnicate"
  "train --model no-such-model --out /tmp/nabla-doc-run" "train --model" "train --data foo" "train --data=csv:"
  "train --epochs abc" "train --epochs=abc" "train --epochs 0" "train --epochs=-3" "train --epochs"
  "train --batch-size 1.5" "train --optimizer rmsprop" "train --lr abc" "train --lr=-0.1" "train --lr NaN"
  "train --seed 1e3" "train --threads 0" "train --train-size -1" "train --test-size 0"
  "train --resume" "train --resume /tmp/no-run/checkpoint.safetensors --out /tmp/nabla-doc-run" "train --out"
  "train --divergence-factor 1" "train --divergence-factor=abc" "train --json=maybe" "train --detect-anomaly=2"
  "train --epoch 3" "train extra" "train --data csv:/tmp/missing.csv --out /tmp/nabla-doc-run"
  "train --data images:/tmp/no-images --out /tmp/nabla-doc-run"
  "summary" "summary no-such-model" "summary lenet5 --input 0x32x32" "summary lenet5 --input=abc" "summary lenet5 --input"
  "summary lenet5 --format yaml" "summary lenet5 --compare" "summary lenet5 --bogus"
  "explain" "explain x.yaml" "explain x.yaml --format pdf" "explain x.yaml --digits 0" "explain x.yaml --digits=18"
  "explain x.yaml --png" "explain x.yaml --allow-path" "explain x.yaml --allow-path /no/such/folder"
  "explain --bogus x.yaml" "explain a.yaml b.yaml"
  "check" "check x.yaml --claims" "check x.yaml --report" "check x.yaml --format markdown" "check x.yaml --digits=99"
  "check x.yaml --allow-path=/no/such/folder" "check x.yaml --bogus"
  "exercise" "exercise old" "exercise list extra" "exercise new" "exercise new no-such-topic"
  "exercise new bptt --seed -1" "exercise new bptt --seed=x" "exercise new bptt --out" "exercise new bptt --bogus"
  "demo --steps 0" "demo --steps=abc" "demo --seed x" "demo --steps" "demo --bogus"
  "export" "export no-such-model" "export lenet5 --seed x" "export lenet5 --input 0x32x32" "export lenet5 --out"
  "export lenet5 --weights" "export lenet5 --weights /tmp/no-such.safetensors" "export lenet5 --bogus"
)
echo "| command line | exit | stderr (the whole of it) |"
echo "| --- | --- | --- |"
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086 # the words of each case are meant to split
  err=$(nabla $c 2>&1 >/dev/null); rc=$?
  printf '| `nabla %s` | %s | `%s` |\n' "$c" "$rc" "${err//|/\\|}"
done
[ ! -e /tmp/nabla-doc-run ] || echo "error: a failed run left /tmp/nabla-doc-run behind" >&2
