#!/usr/bin/env bash
# Runs gob_sizes.go and labgob_sizes.cpp and derives the C++ values of the
# two byte thresholds that mean what Go's mean (see README.md here).
#
#   tests/encoding/compare.sh [K]
#
# K: small RPC round trips (heartbeats, commit updates) in TestRPCBytes2B's
# measured window; default 24, what the reference Raft sends (README.md).
# Needs go (apt-get install golang-go), g++ and libboost-serialization.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=${1:-24}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go run tests/encoding/gob_sizes.go >"$tmp/gob.txt"
g++ -std=c++20 -O2 -I. tests/encoding/labgob_sizes.cpp labgob/archive.cpp -lboost_serialization -o "$tmp/labgob_sizes"
"$tmp/labgob_sizes" >"$tmp/labgob.txt"

echo "== persisted Raft state, bytes (N entries of 63-bit int commands; see the programs' headers)"
echo "    N   gob-2D  gob-2C  labgob"
join <(awk '$1=="STATE"{printf "%05d %s %s\n",$2,$3,$4}' "$tmp/gob.txt") \
     <(awk '$1=="STATE"{printf "%05d %s\n",$2,$3}' "$tmp/labgob.txt") |
  awk '{printf "%5d %8d %7d %7d\n",$1,$2,$3,$4}'
echo
echo "== RPC messages, bytes"
echo "  message                          gob  labgob"
join <(awk '$1=="RPC"{print $2,$3}' "$tmp/gob.txt" | sort) <(awk '$1=="RPC"{print $2,$3}' "$tmp/labgob.txt" | sort) |
  awk '{printf "  %-30s %6d %7d\n",$1,$2,$3}'
echo

awk -v K="$K" '
  FNR==1 { f++ }
  $1=="STATE" && $2==0   { s0[f]=$3 }
  $1=="STATE" && $2==200 { s200[f]=$3 }
  $1=="FIT"              { fit[f]=$2 }
  $1=="RPC" && $2=="AppendEntriesArgs/0"    { hb[f]=$3 }
  $1=="RPC" && $2=="AppendEntriesArgs/1str" { ae1[f]=$3 }
  $1=="RPC" && $2=="AppendEntriesArgs/2str" { ae2[f]=$3 }
  $1=="RPC" && $2=="AppendEntriesReply/ok"  { rep[f]=$3 }
  END {
    M=2000
    sg=(s200[1]-s0[1])/200; sc=(s200[2]-s0[2])/200
    printf "== MAXLOGSIZE (test fails when LogSize() >= %d)\n", M
    printf "  gob:    fixed %d + %.2f/entry -> %d entries fit\n", s0[1], sg, fit[1]
    printf "  labgob: fixed %d + %.2f/entry -> %d entries fit\n", s0[2], sc, fit[2]
    n=fit[1]
    lo=s0[2]+sc*n; hi=s0[2]+sc*(n+1)
    printf "  labgob threshold for the same %d entries: any T with %d < T <= %d\n", n, lo, hi
    printf "  linear scaling: %d + (%d - %d) * %.2f / %.2f = %.1f\n", s0[2], M, s0[1], sc, sg, s0[2]+(M-s0[1])*sc/sg
    print ""
    Rg=ae1[1]+rep[1]; Rc=ae1[2]+rep[2]; Hg=hb[1]+rep[1]; Hc=hb[2]+rep[2]
    printf "== RPCBytes (limit = 3*50000 + slack; 2 followers x 10 commands of 5000 bytes)\n"
    printf "  one-entry AppendEntries round trip R: gob %d, labgob %d (overhead over 5000: %d vs %d)\n", Rg, Rc, Rg-5000, Rc-5000
    printf "  extra 5000-byte entry in one AppendEntries: gob %d, labgob %d\n", ae2[1]-ae1[1], ae2[2]-ae1[2]
    printf "  heartbeat round trip H:               gob %d, labgob %d (ratio %.2f)\n", Hg, Hc, Hg/Hc
    printf "  slack 50000 alone: gob %.2f entry RTs or %.1f heartbeat RTs; labgob %.2f or %.1f\n", 50000/Rg, 50000/Hg, 50000/Rc, 50000/Hc
    L=200000
    rg=(L-20*Rg-K*Hg)/Rg; rc=(L-20*Rc-K*Hc)/Rc
    printf "  with 20 needed entry RTs and K=%d small RTs, limit %d leaves room for\n", K, L
    printf "    gob %.2f re-sent entry RTs, labgob %.2f\n", rg, rc
    Lc=20*Rc+K*Hc+rg*Rc
    printf "  labgob limit with the same %.2f re-sent entries: 20*%d + %d*%d + %.2f*%d = %.0f\n", rg, Rc, K, Hc, rg, Rc, Lc
    printf "  => labgob slack = %.0f - 150000 = %.0f\n", Lc, Lc-150000
  }' "$tmp/gob.txt" "$tmp/labgob.txt"
