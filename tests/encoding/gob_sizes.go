// gob_sizes: how many bytes Go's encoding/gob spends on the Raft states that
// the byte checks of the 6.824 (2023) Raft tests measure. Counterpart of
// labgob_sizes.cpp, which encodes the very same states with our labgob.
//
//	go run tests/encoding/gob_sizes.go
//
// Go's labgob is a thin wrapper: LabEncoder.Encode(v) checks field names and
// then calls gob.Encoder.Encode(v), so plain encoding/gob writes the same
// bytes. What is encoded, and how:
//
//   - persisted Raft state, the way the 2023 skeleton's persist() example
//     does it: one encoder, one e.Encode call per field, the bytes of the
//     whole buffer go to persister.Save (RaftStateSize = their length).
//     2D shape: currentTerm, votedFor, log, lastIncludedIndex,
//     lastIncludedTerm; 2C shape: the first three only.
//   - RPC arguments and replies, the way labrpc does it: a fresh encoder per
//     request (qe.Encode(args) with args a pointer) and per reply
//     (re.EncodeValue(replyv), a pointer too), so every message carries gob's
//     type descriptors. labrpc counts len(args bytes) + len(reply bytes).
//
// The struct and field names are those of raft/rpc.hpp (gob sends them in
// the type descriptors, so their lengths count). The package is "main"
// instead of a lab's "raft": same length, so slice type names such as
// "[]main.LogEntry" have the size "[]raft.LogEntry" has.
//
// Commands come from splitmix64 with fixed seeds, shifted right by one bit
// (a 63-bit value like Go's rand.Int(), which the 2D tests use), the same
// generator labgob_sizes.cpp uses, so both programs encode identical states.
package main

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"runtime"
	"strings"
)

type LogEntry struct {
	Term    int
	Command interface{}
}

type RequestVoteArgs struct {
	Term         int
	CandidateId  int
	LastLogIndex int
	LastLogTerm  int
	PreVote      bool
}

type RequestVoteReply struct {
	Term        int
	VoteGranted bool
}

type AppendEntriesArgs struct {
	Term         int
	LeaderId     int
	PrevLogIndex int
	PrevLogTerm  int
	Entries      []LogEntry
	LeaderCommit int
}

type AppendEntriesReply struct {
	Term    int
	Success bool
	XTerm   int
	XIndex  int
	XLen    int
}

// The 2023 skeleton's RequestVoteArgs has no PreVote; a typical solution's
// AppendEntriesReply has no fast-backup fields. Measured too, to show what
// the extra field names cost in gob's descriptors.
type SkelRequestVoteArgs struct {
	Term         int
	CandidateId  int
	LastLogIndex int
	LastLogTerm  int
}

type SkelAppendEntriesReply struct {
	Term    int
	Success bool
}

// splitmix64 (Steele, Lea, Flood 2014), identical in labgob_sizes.cpp.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) int63() int { return int(r.next() >> 1) }

// randstring: n characters from the 64-letter alphabet the tester's
// randstring draws from (gob and labgob both copy the bytes; only n counts).
func (r *rng) randstring(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(alphabet[r.next()%64])
	}
	return b.String()
}

// The representative state at the 2D check (see README.md): term 1, voted
// for server 0, the snapshot through index 300 (term 1), then n entries of
// term 1 holding 63-bit random ints. log[0] is the usual sentinel standing
// for the last snapshotted entry: its term, a nil command.
const (
	stTerm     = 1
	stVotedFor = 0
	stBase     = 300
	stSeed     = 2023
)

func makeLog(n int, base int, term int, cmd func(i int) interface{}) []LogEntry {
	log := []LogEntry{{Term: term, Command: nil}}
	for i := 1; i <= n; i++ {
		log = append(log, LogEntry{Term: term, Command: cmd(base + i)})
	}
	return log
}

func int63Cmds(seed uint64) func(int) interface{} {
	r := &rng{seed}
	return func(int) interface{} { return r.int63() }
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// persist2D: the skeleton's persist() with the 2D fields, one Encode each.
func persist2D(term, voted int, log []LogEntry, lastIncludedIndex, lastIncludedTerm int) int {
	w := new(bytes.Buffer)
	e := gob.NewEncoder(w)
	must(e.Encode(term))
	must(e.Encode(voted))
	must(e.Encode(log))
	must(e.Encode(lastIncludedIndex))
	must(e.Encode(lastIncludedTerm))
	return w.Len()
}

// persist2C: without snapshot fields.
func persist2C(term, voted int, log []LogEntry) int {
	w := new(bytes.Buffer)
	e := gob.NewEncoder(w)
	must(e.Encode(term))
	must(e.Encode(voted))
	must(e.Encode(log))
	return w.Len()
}

// rpcBytes: one labrpc message, fresh encoder.
func rpcBytes(v interface{}) int {
	w := new(bytes.Buffer)
	must(gob.NewEncoder(w).Encode(v))
	return w.Len()
}

const maxLogSize = 2000 // the 2D tests fail when LogSize() >= MAXLOGSIZE

func main() {
	fmt.Println("# gob (Go", runtime.Version(), ") -- encoding/gob as Go's labgob/labrpc use it")

	fmt.Println()
	fmt.Println("## calibration: the sizes gob is known to give (the Go lab's TestBytes cases)")
	fmt.Printf("CAL int 0            %d\n", rpcBytes(0))
	fmt.Printf("CAL int 99           %d\n", rpcBytes(99))
	fmt.Printf("CAL int 2^62         %d\n", rpcBytes(1<<62))
	fmt.Printf("CAL string 5000      %d\n", rpcBytes(strings.Repeat("x", 5000)))

	fmt.Println()
	fmt.Println("## persisted Raft state (RaftStateSize), bytes")
	fmt.Printf("## state: currentTerm=%d votedFor=%d lastIncludedIndex=%d lastIncludedTerm=%d,\n", stTerm, stVotedFor, stBase, stTerm)
	fmt.Println("##        log = sentinel + N entries {Term 1, Command 63-bit random int}")
	fmt.Println("## cols: N  2D-shape(5 Encodes)  2C-shape(3 Encodes)")
	for _, n := range []int{0, 1, 2, 5, 10, 11, 20, 50, 90, 95, 100, 150, 200} {
		log := makeLog(n, stBase, stTerm, int63Cmds(stSeed))
		fmt.Printf("STATE %4d %6d %6d\n", n, persist2D(stTerm, stVotedFor, log, stBase, stTerm), persist2C(stTerm, stVotedFor, log))
	}
	s0 := persist2D(stTerm, stVotedFor, makeLog(0, stBase, stTerm, int63Cmds(stSeed)), stBase, stTerm)
	s100 := persist2D(stTerm, stVotedFor, makeLog(100, stBase, stTerm, int63Cmds(stSeed)), stBase, stTerm)
	s200 := persist2D(stTerm, stVotedFor, makeLog(200, stBase, stTerm, int63Cmds(stSeed)), stBase, stTerm)
	fmt.Printf("FIXED   %d   (2D shape, N=0)\n", s0)
	fmt.Printf("SLOPE   %.2f (2D shape, (size(200)-size(0))/200)  %.2f ((size(200)-size(100))/100)\n",
		float64(s200-s0)/200, float64(s200-s100)/100)
	fit := 0
	for n := 0; ; n++ {
		if persist2D(stTerm, stVotedFor, makeLog(n, stBase, stTerm, int63Cmds(stSeed)), stBase, stTerm) >= maxLogSize {
			break
		}
		fit = n
	}
	fmt.Printf("FIT     %d   (largest N with size < %d, 2D shape)\n", fit, maxLogSize)
	fmt.Printf("SIZEAT  %d %d   (2D-shape size at N=FIT and N=FIT+1)\n",
		persist2D(stTerm, stVotedFor, makeLog(fit, stBase, stTerm, int63Cmds(stSeed)), stBase, stTerm),
		persist2D(stTerm, stVotedFor, makeLog(fit+1, stBase, stTerm, int63Cmds(stSeed)), stBase, stTerm))

	// How the per-entry cost moves with the values (2D shape, 100 entries).
	fmt.Println()
	fmt.Println("## per-entry cost by command and term (2D shape, (size(100)-size(0))/100)")
	slope := func(term int, cmd func(int) interface{}) float64 {
		a := persist2D(term, stVotedFor, makeLog(0, stBase, term, cmd), stBase, term)
		b := persist2D(term, stVotedFor, makeLog(100, stBase, term, cmd), stBase, term)
		return float64(b-a) / 100
	}
	fmt.Printf("ENTRY int63 term1    %.2f\n", slope(1, int63Cmds(stSeed)))
	fmt.Printf("ENTRY int63 term100  %.2f\n", slope(100, int63Cmds(stSeed)))
	fmt.Printf("ENTRY int index*100  %.2f   (2B/2C-style small commands, 30100..40000)\n", slope(1, func(i int) interface{} { return i * 100 }))
	fmt.Printf("ENTRY int 2^62       %.2f\n", slope(1, func(int) interface{} { return 1 << 62 }))

	// RPCs, as labrpc encodes them.
	fmt.Println()
	fmt.Println("## RPC messages as labrpc counts them (fresh encoder each), bytes")
	r := &rng{7}
	one := func(k int, cmd func() interface{}) []LogEntry {
		var es []LogEntry
		for i := 0; i < k; i++ {
			es = append(es, LogEntry{Term: 1, Command: cmd()})
		}
		return es
	}
	int63 := func() interface{} { return r.int63() }
	str5000 := func() interface{} { return r.randstring(5000) }
	ae := func(es []LogEntry) int {
		return rpcBytes(&AppendEntriesArgs{Term: 1, LeaderId: 0, PrevLogIndex: 5, PrevLogTerm: 1, Entries: es, LeaderCommit: 5})
	}
	fmt.Printf("RPC RequestVoteArgs            %d\n", rpcBytes(&RequestVoteArgs{Term: 2, CandidateId: 1, LastLogIndex: 5, LastLogTerm: 1}))
	fmt.Printf("RPC RequestVoteReply           %d\n", rpcBytes(&RequestVoteReply{Term: 2, VoteGranted: true}))
	fmt.Printf("RPC AppendEntriesArgs/0        %d   (heartbeat)\n", ae(nil))
	fmt.Printf("RPC AppendEntriesArgs/1int     %d\n", ae(one(1, int63)))
	fmt.Printf("RPC AppendEntriesArgs/10int    %d\n", ae(one(10, int63)))
	fmt.Printf("RPC AppendEntriesArgs/1str     %d   (one 5000-char command)\n", ae(one(1, str5000)))
	fmt.Printf("RPC AppendEntriesArgs/2str     %d\n", ae(one(2, str5000)))
	fmt.Printf("RPC AppendEntriesArgs/10str    %d\n", ae(one(10, str5000)))
	fmt.Printf("RPC AppendEntriesReply/ok      %d\n", rpcBytes(&AppendEntriesReply{Term: 1, Success: true, XTerm: -1, XIndex: -1, XLen: 0}))
	fmt.Printf("RPC AppendEntriesReply/fail    %d\n", rpcBytes(&AppendEntriesReply{Term: 1, Success: false, XTerm: 1, XIndex: 3, XLen: 6}))
	fmt.Printf("RPC SkelRequestVoteArgs        %d   (no PreVote field)\n", rpcBytes(&SkelRequestVoteArgs{Term: 2, CandidateId: 1, LastLogIndex: 5, LastLogTerm: 1}))
	fmt.Printf("RPC SkelAppendEntriesReply/ok  %d   (Term, Success only)\n", rpcBytes(&SkelAppendEntriesReply{Term: 1, Success: true}))
}
