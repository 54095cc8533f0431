package gate

import (
	"context"
	"fmt"
)

// Refusal describes a client turned away before any session began: a
// failed authentication, a refused connection.
type Refusal struct {
	// Protocol is one of the Protocol constants.
	Protocol string
	// Target names the protected resource the client tried to reach.
	Target string
	// ClientAddr is the client's network address.
	ClientAddr string
	// Claimed is the identity the client claimed (a user name, a key
	// fingerprint), never a credential; empty when it claimed none.
	Claimed string
	// Reason says why the client was refused.
	Reason string
}

// RecordRefusal records r as an EventRefused event, a session of its own
// with that one event, so that failed logins and refused connections are
// in the record beside the sessions they did not open. The error says it
// could not be recorded; the client is refused either way.
func (g *Gate) RecordRefusal(ctx context.Context, r Refusal) error {
	now := g.now().UTC()
	err := g.record(ctx, Event{Kind: EventRefused, SessionID: NewID(), Time: now, Identity: &Identity{Subject: r.Claimed},
		Session: &SessionInfo{Protocol: r.Protocol, Target: r.Target, ClientAddr: r.ClientAddr, Start: now, Reason: r.Reason},
		Error:   r.Reason})
	if err != nil {
		return fmt.Errorf("gate: record refusal: %w", err)
	}
	return nil
}
