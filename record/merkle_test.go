package record

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/fieldhash"
)

// The RFC 6962 reference vectors (the Certificate Transparency test data):
// eight leaves, the root of every prefix, two audit paths and two
// consistency proofs.
var (
	ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	ctRoots  = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	ctPath08 = []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}
	ctPath58 = []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}
	ctCons18 = ctPath08
	ctCons68 = []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}
)

func hx(t *testing.T, s string) Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hash %q", s)
	}
	return Hash(b)
}

func hxs(t *testing.T, ss []string) []Hash {
	var out []Hash
	for _, s := range ss {
		out = append(out, hx(t, s))
	}
	return out
}

func TestMerkleReferenceVectors(t *testing.T) {
	var leaves []Hash
	var f frontier
	for i, l := range ctLeaves {
		b, _ := hex.DecodeString(l)
		leaves = append(leaves, LeafHash(b))
		f.append(leaves[i])
		if got := treeRoot(leaves); got != hx(t, ctRoots[i]) {
			t.Fatalf("root of %d: %x", i+1, got)
		}
		if got := f.root(); got != hx(t, ctRoots[i]) {
			t.Fatalf("frontier root of %d: %x", i+1, got)
		}
	}
	if p, _ := InclusionProof(leaves, 0); !slices.Equal(p, hxs(t, ctPath08)) {
		t.Fatalf("path 0/8: %x", p)
	}
	if p, _ := InclusionProof(leaves, 5); !slices.Equal(p, hxs(t, ctPath58)) {
		t.Fatalf("path 5/8: %x", p)
	}
	if p, _ := ConsistencyProof(leaves, 1); !slices.Equal(p, hxs(t, ctCons18)) {
		t.Fatalf("consistency 1/8: %x", p)
	}
	if p, _ := ConsistencyProof(leaves, 6); !slices.Equal(p, hxs(t, ctCons68)) {
		t.Fatalf("consistency 6/8: %x", p)
	}
	if err := VerifyConsistency(6, 8, hxs(t, ctCons68), hx(t, ctRoots[5]), hx(t, ctRoots[7])); err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(leaves[5], 5, 8, hxs(t, ctPath58), hx(t, ctRoots[7])); err != nil {
		t.Fatal(err)
	}
}

// TestMerkleProofsProperty generates trees of every size up to 70 and checks
// every inclusion and consistency proof, and that flipping any bit of a
// proof, the leaf or the root, or changing the index or size, fails.
func TestMerkleProofsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		leaves := make([]Hash, n)
		var f frontier
		for i := range leaves {
			leaves[i] = LeafHash([]byte{byte(i), byte(n)})
			f.append(leaves[i])
		}
		root := treeRoot(leaves)
		if f.root() != root {
			t.Fatalf("n=%d: frontier root differs", n)
		}
		for m := 0; m < n; m++ {
			p, err := InclusionProof(leaves, uint64(m))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(leaves[m], uint64(m), uint64(n), p, root); err != nil {
				t.Fatalf("n=%d m=%d: %v", n, m, err)
			}
			if len(p) > 0 {
				q := append([]Hash(nil), p...)
				k := rng.IntN(len(q))
				q[k][rng.IntN(32)] ^= 1 << rng.IntN(8)
				if VerifyInclusion(leaves[m], uint64(m), uint64(n), q, root) == nil {
					t.Fatalf("n=%d m=%d: flipped proof verifies", n, m)
				}
				if VerifyInclusion(leaves[m], uint64(m), uint64(n), p[:len(p)-1], root) == nil {
					t.Fatalf("n=%d m=%d: short proof verifies", n, m)
				}
			}
			if n > 1 && VerifyInclusion(leaves[m], uint64((m+1)%n), uint64(n), p, root) == nil {
				t.Fatalf("n=%d m=%d: wrong index verifies", n, m)
			}
			bad := root
			bad[0] ^= 1
			if !errors.Is(VerifyInclusion(leaves[m], uint64(m), uint64(n), p, bad), ErrProof) {
				t.Fatalf("n=%d m=%d: wrong root verifies", n, m)
			}
		}
		for m := 1; m <= n; m++ {
			p, err := ConsistencyProof(leaves, uint64(m))
			if err != nil {
				t.Fatal(err)
			}
			r1 := treeRoot(leaves[:m])
			if err := VerifyConsistency(uint64(m), uint64(n), p, r1, root); err != nil {
				t.Fatalf("consistency %d/%d: %v", m, n, err)
			}
			if len(p) > 0 {
				q := append([]Hash(nil), p...)
				q[rng.IntN(len(q))][rng.IntN(32)] ^= 1
				if VerifyConsistency(uint64(m), uint64(n), q, r1, root) == nil {
					t.Fatalf("consistency %d/%d: flipped proof verifies", m, n)
				}
			}
			if m < n {
				other := r1
				other[3] ^= 4
				if VerifyConsistency(uint64(m), uint64(n), p, other, root) == nil {
					t.Fatalf("consistency %d/%d: wrong old root verifies", m, n)
				}
			}
		}
	}
}

// TestEntryHashIsItsLeafHash: an entry's chain hash is the RFC 6962 leaf
// hash of its encoding without the first (zero) byte, so the log uses it
// as the leaf as it is.
func TestEntryHashIsItsLeafHash(t *testing.T) {
	e := Event{Version: Version, SessionID: "s", Seq: 1, Kind: "output", Time: 42, Body: []byte(`{"kind":"output"}`)}
	var enc []byte
	field := func(b []byte) { enc = binary.BigEndian.AppendUint64(enc, uint64(len(b))); enc = append(enc, b...) }
	num := func(v uint64) { enc = binary.BigEndian.AppendUint64(enc, v) }
	field([]byte("airlock-record"))
	num(uint64(e.Version))
	field([]byte(e.SessionID))
	num(e.Seq)
	field([]byte(e.PrevHash))
	field([]byte(e.Kind))
	num(uint64(e.Time))
	field(e.Body)
	if enc[0] != 0 {
		t.Fatal("the encoding does not start with 0x00")
	}
	if got := e.computeSum(); got != LeafHash(enc[1:]) {
		t.Fatalf("entry hash %x is not the leaf hash %x", got, LeafHash(enc[1:]))
	}
}

// BenchmarkLogLeaf is the sink-level log's cost per entry in the writer:
// the leaf from the entry hash and the frontier's append (a checkpoint's
// signature every 1000 entries is amortised in BenchmarkSinkIntegrity).
func BenchmarkLogLeaf(b *testing.B) {
	l := newLogState(nil, Hash{})
	e := Event{Version: Version, SessionID: "s", Seq: 1, Kind: "output", Time: 1, Body: []byte(`{"kind":"output","data":"aGVsbG8="}`)}
	e.Hash = e.ComputeHash()
	b.ReportAllocs()
	for b.Loop() {
		e.Log = ""
		l.add(&e)
	}
}

// FuzzParseLogCheckpoint: any note that parses is exactly what Note
// writes for the parsed value (one encoding per checkpoint), and nothing
// panics.
func FuzzParseLogCheckpoint(f *testing.F) {
	l := newLogState(nil, Hash{1})
	l.tree.append(Hash{2})
	e, _ := l.checkpoint(42, true)
	f.Add(e.LogCheckpoint.Note())
	f.Add([]byte("airlock.record/x\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ntime 1\nprev 00\n\n\u2014 k AAAA\n"))
	f.Fuzz(func(t *testing.T, note []byte) {
		c, err := ParseLogCheckpoint(note)
		if err != nil {
			return
		}
		if string(c.Note()) != string(note) {
			t.Fatalf("parsed %q, writes %q", note, c.Note())
		}
		_ = c.Verify(make([]byte, 32))
	})
}

// FuzzVerifySessionProof: arbitrary proof files never panic, and never
// verify against a key that signed nothing.
func FuzzVerifySessionProof(f *testing.F) {
	f.Add([]byte(`{"format":"airlock-session-proof","v":1,"session":"s","checkpoint":"","entries":[]}` + "\n"))
	f.Add([]byte(`{"format":"airlock-session-proof","v":1,"session":"s","checkpoint":"airlock.record/a\n1\nAA==\ntime 1\nprev 00\n\n— k x\n","entries":[{"line":"{}","proof":["00"]}]}` + "\n"))
	pub := make([]byte, 32)
	pub[0] = 9
	f.Fuzz(func(t *testing.T, data []byte) {
		if res, err := VerifySessionProof(data, pub); err == nil {
			t.Fatalf("verified: %+v", res)
		}
	})
}

// The chain hash is the internal/fieldhash hash of the entry's fields,
// whatever the size of the body.
func TestComputeSumIsFieldHash(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 19))
	for i := 0; i < 2000; i++ {
		body := make([]byte, r.IntN(1<<r.IntN(17)))
		for j := range body {
			body[j] = byte(r.Uint32())
		}
		e := Event{Version: r.IntN(3), SessionID: strings.Repeat("s\xff", r.IntN(40)), Seq: r.Uint64(), PrevHash: strings.Repeat("a", r.IntN(65)),
			Kind: strings.Repeat("k", r.IntN(20)), Time: r.Int64() - r.Int64(), Body: body}
		h := fieldhash.New()
		h.Field([]byte("airlock-record"))
		h.Num(uint64(e.Version))
		h.Field([]byte(e.SessionID))
		h.Num(e.Seq)
		h.Field([]byte(e.PrevHash))
		h.Field([]byte(e.Kind))
		h.Num(uint64(e.Time))
		h.Field(e.Body)
		var want Hash
		h.Sum(want[:0])
		if got := e.computeSum(); got != want {
			t.Fatalf("entry %d: %x, want %x", i, got, want)
		}
	}
}
