package pgapproval

import (
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

// A vote's MAC covers the reviewer's claims: changed claims make the vote
// forged. A vote sealed before claims were (v1) still counts, without its
// claims, and a v1 MAC never proves a claims-bearing message.
func TestVoteClaimsAreSealed(t *testing.T) {
	t.Parallel()
	s, err := newSealer(Options{SealKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	req, _, err := canonicalRequest(gate.ReviewRequest{Digest: "d", Requester: gate.Identity{Subject: "agent", Kind: gate.KindAgent},
		Protocol: "postgres", Command: "DELETE FROM t", Policy: gate.ReviewPolicy{Approvals: 2, TTL: time.Minute}, CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"email": "alice@example.com", "role": "dba"}
	review := func(message func(seal, prev []byte, i int, v gate.Vote) []byte) storedReview {
		r := storedReview{Pending: approval.Pending{ID: "r", Request: req, Votes: []gate.Vote{
			{Reviewer: gate.Identity{Subject: "alice", Kind: gate.KindHuman, Claims: claims}, Approve: true, Reason: "ok", Time: now},
			{Reviewer: gate.Identity{Subject: "bob", Kind: gate.KindHuman}, Approve: true, Reason: "ok", Time: now},
		}}, digest: "d"}
		msg, err := reviewMessage(r.ID, r.digest, r.Request)
		if err != nil {
			t.Fatal(err)
		}
		r.seal = s.sum(msg)
		var prev []byte
		for i, v := range r.Votes {
			prev = s.sum(message(r.seal, prev, i, v))
			r.macs = append(r.macs, prev)
		}
		return r
	}

	c, err := s.checkReview(review(voteMessage))
	if err != nil || len(c.votes) != 2 || len(c.forged) != 0 || c.votes[0].Reviewer.Claims["role"] != "dba" {
		t.Fatalf("sealed with claims: %+v, %v", c, err)
	}

	changed := review(voteMessage)
	changed.Votes[0].Reviewer.Claims = map[string]any{"email": "alice@example.com", "role": "ciso"}
	if c, err := s.checkReview(changed); err != nil || len(c.forged) != 2 || len(c.votes) != 0 {
		t.Fatalf("changed claims: %+v, %v (want both votes left out: the second is chained to the first)", c, err)
	}
	added := review(voteMessage)
	added.Votes[1].Reviewer.Claims = map[string]any{"role": "ciso"}
	if c, err := s.checkReview(added); err != nil || len(c.forged) != 1 || len(c.votes) != 1 {
		t.Fatalf("claims added to a vote: %+v, %v", c, err)
	}

	old, err := s.checkReview(review(voteMessageV1))
	if err != nil || len(old.votes) != 2 || len(old.forged) != 0 {
		t.Fatalf("sealed before claims: %+v, %v", old, err)
	}
	if old.votes[0].Reviewer.Claims != nil {
		t.Fatalf("a v1 vote's claims reached the chain: %v", old.votes[0].Reviewer.Claims)
	}
}
