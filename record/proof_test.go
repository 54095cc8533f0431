package record_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/airlock-sdk/airlock/record"
)

// TestSessionProofAnyAlteredByteFails exports one session of a record of
// several with its inclusion proofs, verifies it alone, and then alters
// every byte of the proof file in turn: each alteration must fail.
func TestSessionProofAnyAlteredByteFails(t *testing.T) {
	path, ids := writeFileRecord(t, 3, 1, record.FileOptions{}, record.Options{LogCheckpointEvery: 3})
	r, err := record.OpenFileReader(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := record.ProveSession(context.Background(), r, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	data, err := record.MarshalSessionProof(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := record.VerifySessionProof(data, testPub)
	if err != nil || !res.Complete || res.Session != ids[1] || len(res.Entries) != len(p.Entries) {
		t.Fatalf("proof: %+v %v", res, err)
	}
	_, otherPub, _ := record.GenerateKey()
	if _, err := record.VerifySessionProof(data, otherPub); err == nil {
		t.Fatal("proof verified with another key")
	}
	for i := range data {
		alters := []func(byte) byte{func(b byte) byte { return b + 1 }}
		if i%5 == 0 {
			alters = append(alters, func(b byte) byte { return b ^ 0x20 })
		}
		for _, alter := range alters {
			d := bytes.Clone(data)
			d[i] = alter(d[i])
			if bytes.Equal(d, data) {
				continue
			}
			if _, err := record.VerifySessionProof(d, testPub); err == nil {
				t.Fatalf("byte %d altered (%q -> %q) still verifies:\n%s", i, data[i], d[i], d)
			}
		}
		if i%7 == 0 {
			d := append(bytes.Clone(data[:i]), data[i+1:]...)
			if _, err := record.VerifySessionProof(d, testPub); err == nil {
				t.Fatalf("byte %d deleted still verifies", i)
			}
		}
	}
	// An entry left out of the middle fails; the tail left out is no
	// longer a complete session.
	q := *p
	q.Entries = append(append([]record.ProofEntry{}, p.Entries[:2]...), p.Entries[3:]...)
	d, _ := record.MarshalSessionProof(&q)
	if _, err := record.VerifySessionProof(d, testPub); err == nil {
		t.Fatal("a proof with an entry left out verifies")
	}
	q.Entries = p.Entries[:len(p.Entries)-1]
	d, _ = record.MarshalSessionProof(&q)
	if res, err := record.VerifySessionProof(d, testPub); err != nil || res.Complete {
		t.Fatalf("a cut proof: %+v %v", res, err)
	}
	t.Logf("proof of %d entries, %d bytes: every byte altered fails", len(p.Entries), len(data))
}
