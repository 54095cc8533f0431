package pgapproval

import (
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

// BenchmarkCheckReview is what sealing adds to each use of an approval:
// the review's seal and two votes' MACs checked, under two accepted keys.
func BenchmarkCheckReview(b *testing.B) {
	s, err := newSealer(Options{SealKey: []byte(strings.Repeat("k", 32)), VerifyKeys: [][]byte{[]byte(strings.Repeat("o", 32))}})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	req, _, err := canonicalRequest(gate.ReviewRequest{Digest: "d", Requester: gate.Identity{Subject: "agent", Kind: gate.KindAgent},
		Protocol: "postgres", Command: strings.Repeat("DELETE FROM t WHERE id = 1; ", 10), ReviewRules: []string{"hold"},
		Policy: gate.ReviewPolicy{Approvals: 2, TTL: time.Minute}, CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
	if err != nil {
		b.Fatal(err)
	}
	r := storedReview{Pending: approval.Pending{ID: "r", Request: req, Votes: []gate.Vote{
		{Reviewer: gate.Identity{Subject: "alice", Kind: gate.KindHuman}, Approve: true, Reason: "ok", Time: now},
		{Reviewer: gate.Identity{Subject: "bob", Kind: gate.KindHuman}, Approve: true, Reason: "ok", Time: now},
	}}, digest: "d"}
	msg, err := reviewMessage(r.ID, r.digest, r.Request)
	if err != nil {
		b.Fatal(err)
	}
	r.seal = s.sum(msg)
	var prev []byte
	for i, v := range r.Votes {
		prev = s.sum(voteMessage(r.seal, prev, i, v))
		r.macs = append(r.macs, prev)
	}
	b.ReportAllocs()
	for b.Loop() {
		if c, err := s.checkReview(r); err != nil || len(c.votes) != len(r.Votes) {
			b.Fatal(c, err)
		}
	}
}
