#!/usr/bin/env bash
# `make bench`, HTTPS: kfdash serving TLS itself (an https:// listen address, GnuTLS) next to
# nginx with TLS, which is what a user would otherwise put in front of it. Both get the same
# throwaway self-signed ECDSA P-256 certificate and answer GET /healthz with the same 15 bytes
# ({"status":"ok"}), over plain HTTP and over TLS, each on loopback ports of its own:
#   1. keep-alive: wrk -t2 at BENCH_CONNS connections (64), plain vs TLS: the cost of the record
#      layer once the connections are up (requests/s, p50, p99, server CPU per request);
#   2. a new connection per request (wrk -H 'Connection: close'), plain vs TLS: requests/s are
#      connections (handshakes) a second; the server's CPU time per connection, TLS minus plain,
#      is what one TLS handshake (and its teardown) costs it.
# Before the runs every URL is checked with curl (200 and the very body, the given certificate),
# and the protocol, cipher, key exchange group, a HelloRetryRequest if any (openssl s_client) and
# whether a session is resumed (Python's ssl offering the last session) are printed for both.
# nginx is configured like kfdash where TLS offers a choice: TLS 1.2 and 1.3, and session
# resumption only if kfdash offers it too (so both do full handshakes when kfdash does; the row
# "new conn/req, tls, resumed" is nginx with tickets and a session cache, which wrk uses). wrk's
# own CPU time per request is printed too: with a new TLS connection per request the client's
# half of the handshakes (OpenSSL 3) takes as much CPU as the server's, on the same 2 cores.
# Figures are printed, never compared with a budget; the script fails only when a server does
# not start or answers wrongly (or wrk sees more than 1 % non-2xx answers).
#
#   tests/bench/tls.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# Knobs: BENCH_DURATION (s per run, default 8), BENCH_WARMUP (s, default 1), BENCH_CONNS (64),
# BENCH_CLOSE_CONNS (connections for the new-connection runs, default 64), BENCH_THREADS
# (kfdash --threads and nginx worker_processes, default: the number of CPUs).
# Logs: build-release/tls-kfdash.log, build-release/tls-nginx.log.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNS:-64}
CLOSE_CONNS=${BENCH_CLOSE_CONNS:-64}
THREADS=${BENCH_THREADS:-$(nproc)}
BODY='{"status":"ok"}'
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init tls curl wrk nginx openssl python3 awk
chmod 755 "$TMP" # nginx workers run as nobody when started by root
LOAD_START=$(load)
ngx_pid=""
bench_on_exit() {
  if [[ -n $ngx_pid ]] && kill -TERM "$ngx_pid" 2>/dev/null; then wait "$ngx_pid" 2>/dev/null || true; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- the certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 >"$TMP/openssl.log" 2>&1 || die "openssl req failed: $(cat "$TMP/openssl.log")"
chmod 644 "$TMP/key.pem" # nginx reads it as root (master), kfdash as whoever runs this

# ---------------------------------------------------------------- kfdash
# wait_200 URL PID LOG NAME: until URL answers 200 (10 s), the process alive meanwhile.
wait_200() {
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$3" >&2; die "$4 exited during start-up"; }
    [[ $(curl -sk -o /dev/null -w '%{http_code}' "$1" || true) == 200 ]] && return 0
    sleep 0.1
  done
  tail -n 20 "$3" >&2
  die "$4 did not answer 200 on $1 within 10 s"
}
KP=$(free_port) KS=$(free_port)
"$BIN" --listen "127.0.0.1:$KP" --listen "https://127.0.0.1:$KS" --threads "$THREADS" \
  --tls-cert-file "$TMP/cert.pem" --tls-key-file "$TMP/key.pem" --access-log false 2>"$LOGS/tls-kfdash.log" &
kpid=$!
wait_200 "http://127.0.0.1:$KP/healthz" "$kpid" "$LOGS/tls-kfdash.log" kfdash
wait_200 "https://127.0.0.1:$KS/healthz" "$kpid" "$LOGS/tls-kfdash.log" "kfdash (https)"
RSS_IDLE=$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status")

# Does a server resume TLS sessions (tickets or a session cache)? Six connections with Python's
# ssl, each offering the session of the one before (read to the end, so TLS 1.3 tickets arrive):
# how many of the last five the server resumed.
resumed() { # PORT 1.2|1.3
  python3 - "$@" <<'PY' || echo "?"
import socket, ssl, sys
port, ver = int(sys.argv[1]), {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[sys.argv[2]]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
ctx.minimum_version = ctx.maximum_version = ver
session, n = None, 0
for i in range(6):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, session=session) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass
            n += i > 0 and s.session_reused
            session = s.session
print(n)
PY
}
K_RES13=$(resumed "$KS" 1.3)
K_RES12=$(resumed "$KS" 1.2)
if [[ $K_RES13$K_RES12 != 00 ]]; then NGX_RESUME=1; else NGX_RESUME=0; fi

# ---------------------------------------------------------------- nginx
# nginx sends kfdash's fixed headers too (security headers, Cache-Control, ...), so both answers
# are about as long; its own Date, Content-*, Connection and a request id stay its own.
curl -s -D "$TMP/k.hdr" -o /dev/null "http://127.0.0.1:$KP/healthz"
add_headers=$(tr -d '\r' <"$TMP/k.hdr" | awk '
  NR == 1 || !/: / { next }
  { name = substr($0, 1, index($0, ": ") - 1); value = substr($0, index($0, ": ") + 2) }
  tolower(name) ~ /^(date|content-length|content-type|connection|keep-alive|server|transfer-encoding|x-request-id|vary)$/ { next }
  { gsub(/[\\"$]/, "\\\\&", value); printf "      add_header %s \"%s\" always;\n", name, value }')
mkdir -p "$TMP/ngx/temp"
# ngx_conf FILE PLAIN-PORT TLS-PORT RESUME: RESUME 0 = every TLS connection a full handshake.
ngx_conf() {
  local resume_conf="ssl_session_tickets off; ssl_session_cache off;"
  (($4)) && resume_conf="ssl_session_tickets on; ssl_session_cache shared:tls:10m;"
  cat >"$1" <<EOF
daemon off;
master_process on;
worker_processes $THREADS;
pid $TMP/ngx/nginx.pid;
error_log stderr warn;
events { worker_connections 8192; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $TMP/ngx/temp/body;
  proxy_temp_path $TMP/ngx/temp/proxy;
  fastcgi_temp_path $TMP/ngx/temp/fastcgi;
  uwsgi_temp_path $TMP/ngx/temp/uwsgi;
  scgi_temp_path $TMP/ngx/temp/scgi;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 100000000; # kfdash does not cap requests per connection either
  ssl_certificate $TMP/cert.pem;
  ssl_certificate_key $TMP/key.pem;
  ssl_protocols TLSv1.2 TLSv1.3;
  $resume_conf
  server {
    listen 127.0.0.1:$2;
    listen 127.0.0.1:$3 ssl;
    location = /healthz {
      default_type application/json;
$add_headers
      add_header X-Request-Id \$request_id always;
      return 200 '$BODY';
    }
  }
}
EOF
}
ngx_start() { # PLAIN-PORT TLS-PORT RESUME
  ngx_conf "$TMP/ngx/nginx.conf" "$@"
  nginx -p "$TMP/ngx/" -c "$TMP/ngx/nginx.conf" -e stderr 2>>"$LOGS/tls-nginx.log" &
  ngx_pid=$!
  wait_200 "http://127.0.0.1:$1/healthz" "$ngx_pid" "$LOGS/tls-nginx.log" nginx
  wait_200 "https://127.0.0.1:$2/healthz" "$ngx_pid" "$LOGS/tls-nginx.log" "nginx (ssl)"
}
ngx_stop() {
  kill -TERM "$ngx_pid" 2>/dev/null || true
  wait "$ngx_pid" 2>/dev/null || true
  ngx_pid=""
}
: >"$LOGS/tls-nginx.log"
NP=$(free_port) NS=$(free_port)
ngx_start "$NP" "$NS" "$NGX_RESUME"
N_RES13=$(resumed "$NS" 1.3)
N_RES12=$(resumed "$NS" 1.2)

# ---------------------------------------------------------------- right answers
declare -A URL=(
  [kfdash.plain]=http://127.0.0.1:$KP/healthz [kfdash.tls]=https://127.0.0.1:$KS/healthz
  [nginx.plain]=http://127.0.0.1:$NP/healthz [nginx.tls]=https://127.0.0.1:$NS/healthz)
declare -A WIRE
for key in kfdash.plain kfdash.tls nginx.plain nginx.tls; do
  for conn in keep-alive close; do
    out=$(curl -sk --cacert "$TMP/cert.pem" -H "Connection: $conn" -o "$TMP/body" \
      -w '%{http_code} %{size_header} %{size_download}' "${URL[$key]}") || die "GET ${URL[$key]} failed"
    read -r code hs bs <<<"$out"
    [[ $code == 200 ]] || die "GET ${URL[$key]} (${key/./ }) answered $code, not 200"
    [[ $(cat "$TMP/body") == "$BODY" ]] || die "GET ${URL[$key]} (${key/./ }) sent '$(head -c 200 "$TMP/body")', not '$BODY'"
  done
  WIRE[$key]="$hs+$bs"
done
# The certificate is the one given (curl verifies it against itself as the only CA).
for key in kfdash.tls nginx.tls; do
  curl -s --cacert "$TMP/cert.pem" -o /dev/null "${URL[$key]}" ||
    die "${key%%.*} does not present the given certificate on ${URL[$key]}"
done

# What each negotiates with OpenSSL's defaults (wrk's library): protocol, cipher, key exchange
# group, signature, and whether the server asked for another key share (a HelloRetryRequest: a
# second ClientHello, one more round trip before the handshake ends).
negotiated() { # PORT [FLAG]
  openssl s_client -connect "127.0.0.1:$1" ${2:+"$2"} -msg </dev/null 2>/dev/null | awk '
    /^>>> .*ClientHello/ { hello++ }
    /^New, / { sub(/^New, /, ""); sub(/, Cipher is /, " "); p = $0 }
    /Server Temp Key:/ { g = $0; sub(/^[^:]*: */, "", g); n = split(g, f, /, */); g = f[1] == "ECDH" ? f[2] : f[1] }
    /Peer signature type:/ { s = $NF }
    END { hrr = ""; if (hello > 1) hrr = ", HelloRetryRequest (" hello " ClientHellos)"
          if (g == "") g = "?"; if (s == "") s = "?"
          printf "%s, group %s, signature %s%s", p, g, s, hrr }'
}
K_NEG=$(negotiated "$KS")
K_NEG12=$(negotiated "$KS" -tls1_2)
N_NEG=$(negotiated "$NS")
N_NEG12=$(negotiated "$NS" -tls1_2)

# ---------------------------------------------------------------- runs
lua=$TMP/report.lua
echo "dofile(\"$HERE/report.lua\")" >"$lua"
ngx_tree() { echo "$ngx_pid" $(ps -o pid= --ppid "$ngx_pid"); }
peer_ticks() { # nginx master + workers (bench_measure's "peer")
  local t=0 p
  for p in $(ngx_tree); do t=$((t + $(cpu_ticks "$p"))); done
  echo "$t"
}
# wrk as bench_measure starts it, its CPU time (user+system, seconds) kept in $TMP/wrk.cpu: with a
# new TLS connection per request the client's half of the handshakes can be what limits the rate.
wrk() {
  local rc=0
  command wrk "$@" || rc=$?
  times >"$TMP/wrk.times" # this subshell's, then its children's (wrk's) user and system time
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, m, "m"); s += m[1] * 60 + m[2] }; print s }' \
    "$TMP/wrk.times" >"$TMP/wrk.cpu"
  return "$rc"
}
declare -A RES
# run SERVER SCHEME MODE: one warm-up and one measured wrk run -> RES[SERVER|SCHEME|MODE] =
# "req/s p50 p99 server-us/req errors".
run() {
  local server=$1 scheme=$2 mode=$3 url c hdr=() out r p50 p99 kus pus wus err
  url=${URL[$server.$scheme]}
  c=$CONNS
  [[ $mode == close ]] && { hdr=(-H "Connection: close"); c=$CLOSE_CONNS; }
  wrk -t2 -c"$c" -d"${WARMUP}s" --timeout 30s "${hdr[@]}" "$url" >/dev/null 2>&1 || true
  out=$(bench_measure "$url" "$c" "$lua" "${hdr[@]}")
  read -r r p50 p99 kus pus err <<<"$out"
  [[ $server == nginx* ]] && kus=$pus
  wus=$(awk -v s="$(cat "$TMP/wrk.cpu")" -v r="$r" -v d="$DURATION" 'BEGIN { n = r * d; v = 0; if (n > 0) v = s * 1e6 / n; printf "%.0f", v }')
  RES[$server|$scheme|$mode]="$r $p50 $p99 $kus $wus $err"
  say "$(printf '%-12s %-5s %-10s c=%-3s %8s req/s  p50 %6s ms  p99 %6s ms  server %6s us/req  wrk %6s us/req  %s' \
    "$server" "$scheme" "$mode" "$c" "$r" "$p50" "$p99" "$kus" "$wus" "$err")"
}
BUSY_NOTE=""
say "runs: ${WARMUP} s warm-up + ${DURATION} s each"
for mode in keep-alive close; do
  for scheme in plain tls; do
    bench_sides # alternate which server goes first
    for side in "${SIDES[@]}"; do
      [[ $side == direct ]] && run nginx "$scheme" "$mode" || run kfdash "$scheme" "$mode"
    done
  done
done
kill -0 "$kpid" 2>/dev/null || die "kfdash died during the runs"
RSS_AFTER=$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status")
HWM=$(awk '/^VmHWM/ { print $2 }' "/proc/$kpid/status")

# nginx with its defaults for resumption (tickets on) and a session cache: what a resumed
# handshake costs, when kfdash offered none (the comparison above is then full handshakes).
if ((!NGX_RESUME)); then
  ngx_stop
  NP2=$(free_port) NS2=$(free_port)
  ngx_start "$NP2" "$NS2" 1
  N2_RES13=$(resumed "$NS2" 1.3)
  URL[nginx+resume.tls]=https://127.0.0.1:$NS2/healthz
  run nginx+resume tls close
fi
LOAD_END=$(load)

# ---------------------------------------------------------------- report
echo
echo "HTTPS: kfdash's own TLS (GnuTLS) vs nginx $(nginx -v 2>&1 | sed 's|.*nginx/||') with TLS (OpenSSL), GET /healthz ($BODY, 15 bytes)"
bench_machine
echo "kfdash --threads $THREADS, nginx worker_processes $THREADS; wrk -t2, ${WARMUP} s warm-up + ${DURATION} s per run, loopback;" \
  "certificate: self-signed ECDSA P-256"
echo "negotiated with OpenSSL's defaults (wrk's): kfdash $K_NEG; nginx $N_NEG"
echo "negotiated with TLS 1.2:                    kfdash $K_NEG12; nginx $N_NEG12"
echo "session resumption (5 reconnections offering the last session): kfdash TLS 1.3 $K_RES13/5, TLS 1.2 $K_RES12/5;" \
  "nginx as configured TLS 1.3 $N_RES13/5, TLS 1.2 $N_RES12/5$( ((NGX_RESUME)) || echo " (tickets and cache off, as kfdash offers none); nginx with them on: TLS 1.3 ${N2_RES13:-?}/5")"
echo "bytes per answer (headers+body): kfdash plain ${WIRE[kfdash.plain]}, tls ${WIRE[kfdash.tls]}; nginx plain ${WIRE[nginx.plain]}, tls ${WIRE[nginx.tls]}"
echo
row() { printf '%-26s %5s  %9s %7s %7s %7s   %9s %7s %7s %7s  %5s  %11s\n' "$@"; }
row "" "" "kfdash" "" "" "" "nginx" "" "" "" "" ""
row "run" conns "req/s" "p50 ms" "p99 ms" "CPU us" "req/s" "p50 ms" "p99 ms" "CPU us" ratio "wrk CPU us"
notes=()
for mode in keep-alive close; do
  for scheme in plain tls; do
    read -r kr k50 k99 kc kw ke <<<"${RES[kfdash|$scheme|$mode]}"
    read -r nr n50 n99 nc nw ne <<<"${RES[nginx|$scheme|$mode]}"
    c=$CONNS
    [[ $mode == close ]] && c=$CLOSE_CONNS
    label="keep-alive, $scheme"
    [[ $mode == close ]] && label="new connection/req, $scheme"
    row "$label" "$c" "$kr" "$k50" "$k99" "$kc" "$nr" "$n50" "$n99" "$nc" "$(ratio "$kr" "$nr")" "$kw / $nw"
    [[ $ke == - ]] || notes+=("kfdash $label: $ke")
    [[ $ne == - ]] || notes+=("nginx $label: $ne")
  done
done
if [[ -n ${RES[nginx+resume|tls|close]:-} ]]; then
  read -r rr r50 r99 rc rw re <<<"${RES[nginx+resume|tls|close]}"
  row "new conn/req, tls, resumed" "$CLOSE_CONNS" "" "" "" "" "$rr" "$r50" "$r99" "$rc" "" "$rw"
  echo "  (that last row: nginx with session tickets and a session cache, which wrk uses: resumed handshakes)"
  [[ $re == - ]] || notes+=("nginx with resumption: $re")
fi
echo "ratio: kfdash req/s / nginx req/s. CPU us: the server's user+system CPU time per request (all threads/workers);"
echo "wrk CPU us: the client's per request (kfdash's run / nginx's): where it nears 1e6 x 2 CPUs / req/s, wrk is the limit."
echo
# The TLS costs: keep-alive TLS vs plain (the record layer), and per connection TLS minus plain.
read -r kpr _ _ kpc _ <<<"${RES[kfdash|plain|keep-alive]}"; read -r ktr _ _ ktc _ <<<"${RES[kfdash|tls|keep-alive]}"
read -r npr _ _ npc _ <<<"${RES[nginx|plain|keep-alive]}"; read -r ntr _ _ ntc _ <<<"${RES[nginx|tls|keep-alive]}"
read -r kcr _ _ kcc _ <<<"${RES[kfdash|plain|close]}"; read -r khr _ _ khc _ <<<"${RES[kfdash|tls|close]}"
read -r ncr _ _ ncc _ <<<"${RES[nginx|plain|close]}"; read -r nhr _ _ nhc _ <<<"${RES[nginx|tls|close]}"
echo "keep-alive, TLS / plain req/s:      kfdash $(ratio "$ktr" "$kpr"), nginx $(ratio "$ntr" "$npr");" \
  "CPU per request, TLS - plain: kfdash $((ktc - kpc)) us, nginx $((ntc - npc)) us"
echo "new connection, TLS / plain conn/s: kfdash $(ratio "$khr" "$kcr"), nginx $(ratio "$nhr" "$ncr");" \
  "server CPU per TLS handshake (per connection, TLS - plain): kfdash $((khc - kcc)) us, nginx $((nhc - ncc)) us"
echo "kfdash RSS: $RSS_IDLE kB idle, $RSS_AFTER kB after the runs, peak $HWM kB"
if ((${#notes[@]})); then
  echo "wrk errors (counted, not fatal):"
  printf '  %s\n' "${notes[@]}"
fi
bench_busy_note
