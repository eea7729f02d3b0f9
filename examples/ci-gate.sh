#!/bin/sh
# A CI step: fail the pipeline when the model's mean cross-entropy on the evaluation file
# is above a limit, when the upper bound of its 95% interval is above another, or when a
# new model is worse than the current one by more than a margin. xent prints its whole
# output first, then exits 3 when a gate holds (0: passed, 1: bad data, 2: bad usage), so
# the log keeps the numbers that failed the build.
#
#   sh examples/ci-gate.sh [PREDICTIONS] [LIMIT] [INTERVAL_LIMIT]
#   (animals.csv: mean 0.5068, interval [0.2511, 0.7625]: 0.6 0.8 passes, 0.6 0.7 fails
#   the interval gate, 0.4 the first)
set -eu
predictions=${1:-examples/animals.csv}
limit=${2:-0.6}
interval_limit=${3:-0.8}
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

# The interval gate: exit 3 unless the whole 95% interval of the mean loss is at or below
# its limit (--gate-on upper compares the upper bound), so that a small evaluation set does
# not pass by luck. Plain output: the mean and its [low, high].
echo "== upper bound of the 95% interval (gate: at most $interval_limit nats)"
status=0
"$xent" compute --file "$predictions" --ci 0.95 --gate-on upper \
    --fail-above "$interval_limit" --format plain || status=$?
case $status in
    0) echo "interval gate passed" ;;
    3) echo "interval gate failed: the interval reaches above $interval_limit"; exit 3 ;;
    *) echo "xent failed with status $status"; exit "$status" ;;
esac

# A new model against the current one, row by row: exit 3 when the new one's mean loss is
# worse by more than 0.01 nats (set NEW to its predictions for the same rows).
if [ -n "${NEW:-}" ]; then
    echo "== $NEW against $predictions (gate: at most 0.01 nats worse)"
    "$xent" compare "$predictions" "$NEW" --ci 0.95 --format table --fail-if-worse 0.01
fi
