#!/usr/bin/env bash
# One sitting of issue 15's benches: bench datapath, stream and idle (--json) and bench runtime five times, then the
# figures and the ratios the issue asks for. Usage: scripts/issue15-sitting.sh [EDSOS] [OUT_DIR]
#   EDSOS    the edsos binary (default: src/Host/bin/Release/net10.0/edsos, built by `dotnet build -c Release`)
#   OUT_DIR  where the JSON goes (default: a new directory under /tmp)
# EDSOS_AKKA_CONFIG passes through, e.g. to run the hosts on one queue:
#   EDSOS_AKKA_CONFIG='akka.actor.default-dispatcher.shared-executor { queue-per-thread = off, thread-count = 1, shared = "one" }'
set -u
B=${1:-src/Host/bin/Release/net10.0/edsos}
O=${2:-$(mktemp -d /tmp/issue15-XXXXXX)}
if [ ! -x "$B" ]; then echo "issue15-sitting: no edsos binary at $B (build with: dotnet build -c Release)" >&2; exit 2; fi
if ! command -v python3 > /dev/null; then echo "issue15-sitting: needs python3 for the summary" >&2; exit 2; fi
mkdir -p "$O"
echo "start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) out $O"
"$B" bench datapath --json > "$O/datapath.json" 2> "$O/datapath.err" || { echo "bench datapath failed: $(tail -1 "$O/datapath.err")" >&2; exit 1; }
echo "datapath done $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
"$B" bench stream --json > "$O/stream.json" 2> "$O/stream.err" || { echo "bench stream failed: $(tail -1 "$O/stream.err")" >&2; exit 1; }
echo "stream done $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
"$B" bench idle --json > "$O/idle.json" 2> "$O/idle.err" || { echo "bench idle failed: $(tail -1 "$O/idle.err")" >&2; exit 1; }
for i in 1 2 3 4 5; do "$B" bench runtime --messages 100000 2>&1 | tail -1; done > "$O/runtime.txt"
echo "end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$O" <<'PY'
import json, sys
O = sys.argv[1]
d = json.load(open(O + '/datapath.json'))
rows = {(r['proto'], r['size'], r['mode']): r for r in d['rows']}
print("datapath (rounds/s, min-max, CPU us and bytes allocated per round):")
for r in d['rows']:
    print(f"  {r['proto']} {r['size']:>6} {r['mode']:<9} {r['rounds_per_s']:>9,.0f} ({r['rounds_per_s_min']:,.0f}-{r['rounds_per_s_max']:,.0f}) cpu {r['cpu_us_per_round']:,.0f} alloc {r['alloc_bytes_per_round']:,.0f}")
for (p, s) in sorted({(k[0], k[1]) for k in rows}):
    z = rows[(p, s, 'zerocopy')]['rounds_per_s']; c = rows[(p, s, 'copy')]['rounds_per_s']; l = rows[(p, s, 'linux')]['rounds_per_s']
    print(f"  {p} {s}: zero copy / copy {z / c:.2f}, zero copy / linux {z / l:.2f}; a round {1e6 / z:.1f} us zero copy, {1e6 / c:.1f} copy, {1e6 / l:.1f} linux: copying adds {1e6 / c - 1e6 / z:.1f}, 1.5x needs zero copy <= {2 * (1e6 / c - 1e6 / z):.1f} us")
st = json.load(open(O + '/stream.json'))
sr = {(r['proto'], r['mode']): r for r in st['rows']}
print("stream:")
for r in st['rows']:
    v = r.get('datagrams_per_s') or r.get('gbit_per_s')
    print(f"  {r['proto']} {r['size']} {r['mode']:<9} {v:,.2f}")
for p, k in (('udp', 'datagrams_per_s'), ('tcp', 'gbit_per_s')):
    if (p, 'zerocopy') in sr:
        print(f"  {p}: zero copy / linux {sr[(p, 'zerocopy')][k] / sr[(p, 'linux')][k]:.2f}, zero copy / copy {sr[(p, 'zerocopy')][k] / sr[(p, 'copy')][k]:.2f}")
idle = json.load(open(O + '/idle.json'))
print(f"idle: {idle['cpu_percent_of_core']:.2f} % of a core")
print("runtime:")
print(open(O + '/runtime.txt').read().rstrip())
PY
