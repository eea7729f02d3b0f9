#!/bin/sh
# A CI step: fail the pipeline when the model's mean cross-entropy on the evaluation file
# is above a limit, or when a new model is worse than the current one by more than a
# margin. xent prints its whole output first, then exits 3 when a gate holds (0: passed,
# 1: bad data, 2: bad usage), so the log keeps the numbers that failed the build.
#
#   sh examples/ci-gate.sh [PREDICTIONS] [LIMIT]
set -eu
predictions=${1:-examples/animals.csv}
limit=${2:-0.6}
xent=${XENT:-xent}

echo "== mean cross-entropy of $predictions (gate: at most $limit nats)"
status=0
"$xent" compute --file "$predictions" --ci 0.95 --format json --fail-above "$limit" \
    > loss.json || status=$?
cat loss.json
rm -f loss.json
case $status in
    0) echo "gate passed" ;;
    3) echo "gate failed: the loss is above $limit"; exit 3 ;;
    *) echo "xent failed with status $status"; exit "$status" ;;
esac

# A new model against the current one, row by row: exit 3 when the new one's mean loss is
# worse by more than 0.01 nats (set NEW to its predictions for the same rows).
if [ -n "${NEW:-}" ]; then
    echo "== $NEW against $predictions (gate: at most 0.01 nats worse)"
    "$xent" compare "$predictions" "$NEW" --ci 0.95 --format table --fail-if-worse 0.01
fi
