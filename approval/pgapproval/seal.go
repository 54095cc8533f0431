package pgapproval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-sdk/airlock/approval"
	"github.com/airlock-sdk/airlock/gate"
)

// MinSealKeyLen is the shortest Options.SealKey (and VerifyKeys entry) New accepts.
const MinSealKeyLen = 32

// Domain-separation tags: a MAC made for one kind of row is never valid
// for another.
const (
	tagReview = "airlock pgapproval review seal v1"
	tagVote   = "airlock pgapproval vote mac v1" // before reviewer claims were sealed
	tagVote2  = "airlock pgapproval vote mac v2"
	tagGrant  = "airlock pgapproval grant seal v1"
)

// errSeal is wrapped (with approval.ErrUnproven) by every seal failure.
var errSeal = errors.New("seal")

// sealer makes and checks the HMACs that prove a row was written by an
// Approver holding the key, not by someone who can merely write the
// tables. The zero sealer (Options.Unsealed) makes none and checks none.
type sealer struct {
	key    []byte
	verify [][]byte // key first, then Options.VerifyKeys
}

func newSealer(opts Options) (sealer, error) {
	if len(opts.SealKey) == 0 {
		if !opts.Unsealed {
			return sealer{}, errors.New("pgapproval: no SealKey: without one, anyone who can write the review tables can approve (set Options.Unsealed to run so anyway)")
		}
		if len(opts.VerifyKeys) > 0 {
			return sealer{}, errors.New("pgapproval: VerifyKeys without a SealKey")
		}
		return sealer{}, nil
	}
	if opts.Unsealed {
		return sealer{}, errors.New("pgapproval: both SealKey and Unsealed set")
	}
	s := sealer{key: append([]byte(nil), opts.SealKey...)}
	for i, k := range append([][]byte{opts.SealKey}, opts.VerifyKeys...) {
		if len(k) < MinSealKeyLen {
			return sealer{}, fmt.Errorf("pgapproval: seal key %d is %d bytes, at least %d are needed", i, len(k), MinSealKeyLen)
		}
		s.verify = append(s.verify, append([]byte(nil), k...))
	}
	return s, nil
}

// on reports whether rows are sealed and checked.
func (s sealer) on() bool { return s.key != nil }

// sum returns the MAC of msg under the sealing key (nil when unsealed).
func (s sealer) sum(msg []byte) []byte {
	if !s.on() {
		return nil
	}
	return macOf(s.key, msg)
}

// check reports whether mac is the MAC of msg under any accepted key.
func (s sealer) check(msg, mac []byte) bool {
	if len(mac) != sha256.Size {
		return false
	}
	ok := false
	for _, k := range s.verify {
		// Every key is tried, so the time taken does not tell which matched.
		if hmac.Equal(macOf(k, msg), mac) {
			ok = true
		}
	}
	return ok
}

func macOf(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// canon is a canonical, unambiguous encoding: a domain tag, then each
// field as its length (8 bytes, big endian) and its bytes.
type canon []byte

func newCanon(tag string) canon { return canon(nil).bytes([]byte(tag)) }

func (c canon) bytes(b []byte) canon {
	c = binary.BigEndian.AppendUint64(c, uint64(len(b)))
	return append(c, b...)
}

func (c canon) str(s string) canon { return c.bytes([]byte(s)) }

func (c canon) int(n int64) canon { return c.bytes(binary.BigEndian.AppendUint64(nil, uint64(n))) }

func (c canon) bool(b bool) canon {
	if b {
		return c.int(1)
	}
	return c.int(0)
}

// time encodes an instant (its zone is not part of it).
func (c canon) time(t time.Time) canon {
	if t.IsZero() {
		return c.str("zero")
	}
	return c.int(t.UnixNano())
}

func (c canon) strs(ss []string) canon {
	c = c.int(int64(len(ss)))
	for _, s := range ss {
		c = c.str(s)
	}
	return c
}

// reviewMessage is what a review's seal covers: its id, its digest and the
// whole request as the Go value read back from the store. The request is
// encoded by encoding/json from the decoded struct (struct fields in
// declaration order, map keys sorted, numbers as Go prints them), never as
// the bytes jsonb returns, which reorders keys and rewrites numbers.
func reviewMessage(id, digest string, r gate.ReviewRequest) ([]byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return newCanon(tagReview).str(id).str(digest).bytes(body), nil
}

// canonicalRequest returns r as it will read back from the store: claims
// and other free-form values take the types JSON decoding gives them.
func canonicalRequest(r gate.ReviewRequest) (gate.ReviewRequest, []byte, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return r, nil, err
	}
	var out gate.ReviewRequest
	if err := json.Unmarshal(body, &out); err != nil {
		return r, nil, err
	}
	return out, body, nil
}

// voteMessage is what vote i's MAC covers: the review's seal, the MAC of
// the vote before it (so votes can be neither reordered, dropped from the
// middle nor moved to another review) and every field of the vote that a
// check or a verdict reads, the reviewer's claims (as they read back from
// the store) among them.
func voteMessage(reviewSeal, prevMAC []byte, i int, v gate.Vote) []byte {
	return voteFields(newCanon(tagVote2), reviewSeal, prevMAC, i, v).bytes(canonicalClaims(v.Reviewer.Claims))
}

// voteMessageV1 is what the MAC of a vote sealed before claims were
// covers: voteMessage without the claims. Such a vote still counts; its
// claims are dropped.
func voteMessageV1(reviewSeal, prevMAC []byte, i int, v gate.Vote) []byte {
	return voteFields(newCanon(tagVote), reviewSeal, prevMAC, i, v)
}

func voteFields(c canon, reviewSeal, prevMAC []byte, i int, v gate.Vote) canon {
	c = c.bytes(reviewSeal).bytes(prevMAC).int(int64(i)).
		str(v.Reviewer.Subject).str(string(v.Reviewer.Kind)).str(v.Reviewer.Name).strs(v.Reviewer.Groups).
		bool(v.Approve).str(v.Reason).time(v.Time).bool(v.BreakGlass)
	if v.Grant == nil {
		return c.bool(false)
	}
	return c.bool(true).int(int64(v.Grant.TTL)).int(int64(v.Grant.Uses)).str(string(v.Grant.Scope))
}

// canonicalClaims returns claims as JSON in the form they take after the
// store's round trip (JSON decoding's types, sorted keys), so that a vote
// sealed as written verifies as read. Claims JSON cannot encode give a
// form no stored vote can match.
func canonicalClaims(claims map[string]any) []byte {
	if len(claims) == 0 {
		return nil
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return []byte("!")
	}
	var back map[string]any
	if err := json.Unmarshal(body, &back); err != nil {
		return []byte("!")
	}
	if body, err = json.Marshal(back); err != nil {
		return []byte("!")
	}
	return body
}

// grantMessage is what a grant's seal covers: everything that bounds what
// it allows (approval.CheckGrant's sameBounds), its id and review, and the
// seal of the review that gave it. Uses, RevokedAt and RevokedBy change
// after it is given and are not covered (see Options.SealKey).
func grantMessage(reviewSeal []byte, g gate.Grant) []byte {
	return newCanon(tagGrant).bytes(reviewSeal).str(g.ID).str(g.ReviewID).
		str(g.Subject).str(string(g.Kind)).str(g.Protocol).str(g.Target).strs(g.Rules).
		str(string(g.Scope)).str(g.Key).int(int64(g.MaxUses)).time(g.CreatedAt).time(g.ExpiresAt).
		str(g.RuleSetVersion)
}

// unsealed returns the error of a row whose seal does not hold.
func unsealed(what string) error {
	return fmt.Errorf("%w: %w: %s does not carry a valid seal of this approver's key", approval.ErrUnproven, errSeal, what)
}

// chain is what the votes of a review prove: the votes whose MACs verify
// one after the other as a chain from the review's seal, and the
// positions in the row of those that do not.
type chain struct {
	votes  []gate.Vote
	last   []byte // the MAC of the last of votes; a new vote is chained to it
	forged []int  // positions (from 0) of the votes left out
}

// checkReview verifies the seal of a review and returns the chain of its
// votes. A review written or changed by anyone without the key fails. A
// vote that does not verify as the next link of the chain (written in,
// changed, or moved from elsewhere) is left out of it, and so is every
// vote after it that was chained to it; a vote chained to the last
// verified one still counts. What the chain holds was therefore, vote for
// vote, written by an Approver holding the key, in this order.
func (s sealer) checkReview(r storedReview) (chain, error) {
	if !s.on() {
		return chain{votes: r.Votes}, nil
	}
	msg, err := reviewMessage(r.ID, r.digest, r.Request)
	if err != nil {
		return chain{}, fmt.Errorf("%w: %w: review %s: %w", approval.ErrUnproven, errSeal, r.ID, err)
	}
	if !s.check(msg, r.seal) {
		return chain{}, unsealed("review " + r.ID)
	}
	var c chain
	for i, v := range r.Votes {
		var mac []byte
		if i < len(r.macs) {
			mac = r.macs[i]
		}
		switch {
		case s.check(voteMessage(r.seal, c.last, len(c.votes), v), mac):
			c.votes, c.last = append(c.votes, v), mac
		case s.check(voteMessageV1(r.seal, c.last, len(c.votes), v), mac):
			v.Reviewer.Claims = nil // sealed before claims were: not proven
			c.votes, c.last = append(c.votes, v), mac
		default:
			c.forged = append(c.forged, i)
		}
	}
	return c, nil
}

// checkGrant verifies seal, the seal of grant g given by review r (whose
// own seal the caller checked).
func (s sealer) checkGrant(r storedReview, g gate.Grant, seal []byte) error {
	if !s.on() {
		return nil
	}
	if !s.check(grantMessage(r.seal, g), seal) {
		return unsealed("grant " + g.ID)
	}
	return nil
}
