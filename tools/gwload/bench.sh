#!/usr/bin/env bash
# End-to-end gateway benchmarks: `make -f buf-like.mk bench-e2e`.
#
# Builds clawdbot, echoserver and gwload once into a temp dir, then for each phase
# starts a fresh gateway (temp state/config dirs, --allow-unconfigured, a free loopback
# port) so phases do not see each other's presence rows, and runs gwload against it
# and against the bare gws echo server. Prints a table; the JSON lines go to
# $TMP/results.jsonl (path printed). Only processes started here are stopped, by pid.
# Everything is bounded: each gwload run has -timeout, and a watchdog ends the run
# after BENCH_LIMIT seconds (default 170).
#
# Env: BENCH_LIMIT (s), IDLE_CONNS (default 10000), REQUESTS (per conn, default 1000),
#      GATEWAY_BIN (use this gateway binary instead of building cmd/clawdbot).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIMIT=${BENCH_LIMIT:-170}
IDLE_CONNS=${IDLE_CONNS:-10000}
REQUESTS=${REQUESTS:-1000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gwbench.XXXXXX")
BIN=$TMP/bin
RESULTS=$TMP/results.jsonl
mkdir -p "$BIN"
: >"$RESULTS"

# LIVE holds the pids of our children that have not been reaped yet: only those are
# ever signalled (a reaped pid could belong to someone else by now).
declare -A LIVE=()
started() { LIVE[$1]=1; }
reaped() { unset "LIVE[$1]"; }
stop_pid() { # stop_pid PID: TERM, then KILL after 5 s, then reap
	local p=$1 i
	[ -n "${LIVE[$p]:-}" ] || return 0
	kill -TERM "$p" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	reaped "$p"
}
cleanup() {
	local p
	for p in "${!LIVE[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'echo "bench-e2e: interrupted" >&2; exit 130' INT TERM
# Watchdog: TERM to this script after LIMIT s (the running gwload has its own -timeout).
# On TERM from cleanup it stops its sleep and exits.
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$LIMIT" &
	sp=$!
	wait "$sp" && echo "bench-e2e: time limit ${LIMIT}s reached" >&2 && kill -TERM $$
) &
started $!

log() { printf '[%5ss] %s\n' "$SECONDS" "$*" >&2; }

log "building into $BIN"
(cd "$ROOT" &&
	go build -o "$BIN/gwload" ./tools/gwload &&
	go build -o "$BIN/echoserver" ./tools/echoserver)
if [ -n "${GATEWAY_BIN:-}" ]; then
	cp "$GATEWAY_BIN" "$BIN/clawdbot"
else
	(cd "$ROOT" && go build -o "$BIN/clawdbot" ./cmd/clawdbot)
fi

# File descriptors: children inherit the raised soft limit (Go also raises its own soft
# limit to the hard limit at start-up).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
IDLE_NOTE=
if [ "$NOFILE" != unlimited ] && [ "$NOFILE" -lt $((IDLE_CONNS + 256)) ]; then
	IDLE_NOTE="fd limit $NOFILE < $((IDLE_CONNS + 256)): idle phase uses 2000 connections"
	IDLE_CONNS=2000
	log "$IDLE_NOTE"
fi

gwload() { # gwload LABEL ARGS...: one result line appended to RESULTS
	local label=$1
	shift
	local out f=$TMP/run.$label.json p rc=0
	# In the background and waited for, so the watchdog's TERM is handled at once.
	"$BIN/gwload" -label "$label" "$@" >"$f" &
	p=$!
	started "$p"
	wait "$p" || rc=$?
	reaped "$p"
	[ "$rc" = 0 ] || log "$label: gwload exited with $rc"
	out=$(head -1 "$f")
	[ -n "$out" ] || out="{\"label\":\"$label\",\"error\":\"no output\"}"
	echo "$out" >>"$RESULTS"
	log "$label: $out"
}

GW_N=0
GW_PID=
GW_URL=
start_gateway() { # start_gateway LABEL [PROTO]: fresh gateway; its hello probe result is recorded under LABEL
	GW_N=$((GW_N + 1))
	local d=$TMP/gw$GW_N port
	mkdir -p "$d/state" "$d/home"
	port=$("$BIN/gwload" -mode freeport | sed -E 's/.*"port":([0-9]+).*/\1/')
	GW_URL=ws://127.0.0.1:$port
	# The probe starts first and polls every 1 ms, so its own start-up is not measured;
	# the start time is taken (without a fork) just before the gateway is launched.
	"$BIN/gwload" -mode hello -label "$1" -url "$GW_URL" -protocol "${2:-2}" -start-file "$d/start" \
		-pid-file "$d/pid" -settle 500ms -timeout 20s >"$d/hello.json" &
	local hp=$!
	started "$hp"
	sleep 0.2
	echo "${EPOCHREALTIME/./}000" >"$d/start"
	HOME=$d/home CLAWDBOT_STATE_DIR=$d/state CLAWDBOT_CONFIG_PATH=$d/clawdbot.json \
		"$BIN/clawdbot" gateway --allow-unconfigured --port "$port" >"$d/gateway.log" 2>&1 &
	GW_PID=$!
	started "$GW_PID"
	echo "$GW_PID" >"$d/pid"
	local rc=0
	wait "$hp" || rc=$?
	reaped "$hp"
	if [ "$rc" != 0 ]; then
		log "gateway $GW_N did not answer: $(cat "$d/hello.json")"
		tail -5 "$d/gateway.log" >&2
		return 1
	fi
	cat "$d/hello.json" >>"$RESULTS"
	log "gateway $GW_N (pid $GW_PID) up at $GW_URL: $(cat "$d/hello.json")"
}
stop_gateway() { stop_pid "$GW_PID"; }

ECHO_PID=
ECHO_URL=
start_echo() { # start_echo [ARGS...]: echoserver; it prints its address once it listens
	local f=$TMP/echo.$RANDOM
	"$BIN/echoserver" -addr 127.0.0.1:0 -print-addr -lifetime "${LIMIT}s" "$@" >"$f" 2>&1 &
	ECHO_PID=$!
	started "$ECHO_PID"
	local i
	for i in $(seq 100); do
		[ -s "$f" ] && break
		sleep 0.05
	done
	ECHO_URL=ws://$(head -1 "$f")
}

# 1. Start-up (first hello-ok with a v3 client, idle RSS) and idle connections. Later
#    probes speak v2 "cli" so they leave no presence row behind.
start_gateway startup 3
log "idle: $IDLE_CONNS connections"
gwload idle -mode idle -url "$GW_URL" -conns "$IDLE_CONNS" -hold 3 -pid "$GW_PID" -dial-parallel 32 -timeout 100s
stop_gateway

# 2. Request throughput: health over 100 connections, gateway vs echo.
start_gateway start2
gwload request_gateway -mode request -url "$GW_URL" -conns 100 -requests "$REQUESTS" -inflight 8 -method health -timeout 40s
stop_gateway
start_echo
gwload request_echo -mode request -target echo -url "$ECHO_URL" -conns 100 -requests "$REQUESTS" -inflight 8 -timeout 40s
gwload idle_echo -mode idle -target echo -url "$ECHO_URL" -conns "$IDLE_CONNS" -hold 1 -pid "$ECHO_PID" -timeout 30s
stop_pid "$ECHO_PID"

# 3. Handshakes: 8 dialers for 5 s (v3, client id/mode "test", no device).
start_gateway start3
gwload handshake -mode handshake -url "$GW_URL" -dialers 8 -duration 5s -timeout 30s
stop_gateway

# 4. Fan-out: 100 system-events → presence broadcasts to 1000 subscribers; the same
#    against a bare gws broadcaster for the ceiling.
#    Three runs each (tail latency on a shared 2-core box is noisy); the table uses the median.
start_gateway start4
for i in 1 2 3; do
	gwload "fanout$i" -mode fanout -url "$GW_URL" -subscribers 1000 -events 100 -rate 100 -timeout 40s
done
stop_gateway
# The same 100 events to 10 000 subscribers (one run; each process needs ~10 100 descriptors).
if [ "$NOFILE" = unlimited ] || [ "$NOFILE" -ge 10400 ]; then
	start_gateway start5
	gwload bigfanout -mode fanout -url "$GW_URL" -subscribers 10000 -dial-parallel 64 -events 100 -rate 100 -timeout 90s
	stop_gateway
else
	log "fd limit $NOFILE: skipping the 10 000-subscriber fan-out"
fi
start_echo -broadcast async
# Same frame size as the gateway's presence frames.
FRAME=$(sed -nE 's/.*"presence_frame_bytes":([0-9]+).*/\1/p' "$TMP/run.fanout1.json")
for i in 1 2 3; do
	gwload "fanout_echo$i" -mode fanout -target echo -url "$ECHO_URL" -subscribers 1000 -events 100 -rate 100 \
		-echo-frame-bytes "${FRAME:-470}" -timeout 30s
done
stop_pid "$ECHO_PID"

echo
"$BIN/gwload" -mode report -results "$RESULTS" | tee "$TMP/table.txt"
[ -z "$IDLE_NOTE" ] || echo "note: $IDLE_NOTE"
echo
echo "results: $RESULTS"
echo "logs:    $TMP/gw*/gateway.log"
log "done"
