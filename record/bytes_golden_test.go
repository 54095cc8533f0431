package record

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/record_bytes.golden from the code as it is")

// goldenChunk is how many events one line of the golden file covers.
const goldenChunk = 250

// goldenEvents returns the generated events the golden record covers:
// the gateway's own (a pgbench statement and its output, HTTP and SSH
// requests), events full of free-text credentials (textGen) and random
// events with every field filled and awkward values (eventGen).
func goldenEvents() []gate.Event {
	tg := textGen{rng: rand.New(rand.NewPCG(23, 5))}
	eg := &eventGen{r: rand.New(rand.NewPCG(29, 3)), stable: true}
	base := time.Date(2026, 12, 6, 19, 58, 49, 718168843, time.UTC)
	var evs []gate.Event
	for i := range 3000 {
		var e gate.Event
		switch i % 4 {
		case 0:
			now := base.Add(time.Duration(tg.rng.Int64N(1e15)) - 5e14)
			if i%8 == 0 {
				now = now.Truncate(time.Duration(1 + tg.rng.IntN(int(time.Second))))
			}
			text := fmt.Sprintf("SELECT abalance FROM pgbench_accounts WHERE aid = %d;", tg.rng.IntN(100000)+1)
			if i%3 == 0 {
				text = tg.text()
			}
			id := fmt.Sprintf("01JDQ7Z8X3K9V4M2N5P6%06d", tg.rng.IntN(1000000))
			e = gate.Event{Kind: gate.EventDecision, SessionID: "s-" + tg.chars(alnum, 1), Time: now,
				Identity: &gate.Identity{Subject: "agent-7", Name: "Agent Seven", Groups: []string{"analysts"}, Kind: gate.KindAgent},
				Request: &gate.Request{Protocol: "postgres", Command: text, Time: now,
					SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: text, ReadOnly: true,
						Tables: []gate.SQLTable{{Name: "pgbench_accounts", Access: "read"}}, Columns: []string{"abalance", "aid"},
						FilterColumns: []string{"pgbench_accounts.aid"}}}}},
				Decision: &gate.Decision{ID: id, Action: gate.Allow, Rule: "reads", Rules: []string{"reads"},
					RuleSetVersion: "9b1e3f5c7a9d2b4e6f8a0c1e3d5f7b9a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f", Time: now, Elapsed: 2400}}
			evs = append(evs, e)
			data := fmt.Appendf(nil, " abalance \n----------\n %8d\n(1 row)\n", tg.rng.IntN(10000)-5000)
			if i%5 == 0 {
				data = []byte(tg.text())
			}
			e = gate.Event{Kind: gate.EventOutput, SessionID: e.SessionID, Time: now,
				Output: &gate.Output{DecisionID: id, Stream: "rows", Data: data, Final: true}}
		case 1, 2:
			e = tg.event()
			e.Time = base.Add(time.Duration(tg.rng.Int64N(1e12)))
		default:
			e = eg.event()
		}
		evs = append(evs, e)
	}
	return evs
}

// goldenDigests records goldenEvents as the recorder's write side does
// (redacted bodies, chained per session, leaves of one log) and returns,
// per goldenChunk events, the SHA-256 of everything written for them:
// each body (or its error), each entry's hash and the log's root.
func goldenDigests(t *testing.T) []string {
	names := mask.CompileSecretNames(nil)
	r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: names, nameFilter: newNameFilter(nil)}
	chains := map[string]*chain{}
	var tree frontier
	var out []string
	h := sha256.New()
	for i, e := range goldenEvents() {
		b, err := r.body(e)
		if err != nil {
			fmt.Fprintf(h, "error %d %v\n", i, err)
		} else {
			c := chains[e.SessionID]
			if c == nil {
				c = &chain{}
				chains[e.SessionID] = c
			}
			ev := c.next(e.SessionID, string(e.Kind), e.Time.UnixNano(), b)
			leaf, ok := leafOf(&ev)
			if !ok {
				t.Fatalf("event %d: no leaf of hash %q", i, ev.Hash)
			}
			read := Event{Hash: ev.Hash} // as a reader has it: Hash only
			if decoded, ok := leafOf(&read); !ok || decoded != leaf {
				t.Fatalf("event %d: leaf %x, decoded from its hash %x", i, leaf, decoded)
			}
			tree.append(leaf)
			root := tree.root()
			fmt.Fprintf(h, "%d %s %s %s\n", ev.Seq, ev.Hash, hex.EncodeToString(root[:]), b)
		}
		if (i+1)%goldenChunk == 0 {
			out = append(out, hex.EncodeToString(h.Sum(nil)))
			h.Reset()
		}
	}
	return out
}

// TestRecordBytesGolden holds what the record writes for generated events
// (bodies, hashes, log roots) to the bytes the code wrote before the
// per-statement speed work (testdata/record_bytes.golden, made by that
// code with -update-golden): the speed work changes no byte of a record.
func TestRecordBytesGolden(t *testing.T) {
	t.Parallel()
	got := goldenDigests(t)
	const path = "testdata/record_bytes.golden"
	if *updateGolden {
		if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	for s := bufio.NewScanner(f); s.Scan(); {
		want = append(want, s.Text())
	}
	if len(want) != len(got) {
		t.Fatalf("%d chunks, the golden file %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("events %d to %d: the record differs from the golden one", i*goldenChunk, (i+1)*goldenChunk-1)
		}
	}
}
