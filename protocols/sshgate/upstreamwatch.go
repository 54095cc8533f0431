package sshgate

import "golang.org/x/crypto/ssh"

// upstreamRequests reads the requests the upstream sends on a session
// channel from the moment the gateway has opened it, whatever becomes of
// the channel's program: one the client left while it was judged, a
// terminal or a program the upstream refused, a program that runs. Each
// is recorded and refused as it comes (the client gets none), but a
// program's exit-status and exit-signal, which the bridge keeps to relay
// after the output. Before, a request that came before the bridge or
// the sftp server read the channel's requests, on a channel whose
// program never started, was dropped unrecorded.
type upstreamRequests struct {
	// done is closed once the upstream channel has closed and every
	// request on it is handled; exits may be read then.
	done chan struct{}
	// exits are the exit requests kept for the bridge, in order.
	exits []*ssh.Request
}

// watchUpstream starts reading reqs, the requests of the upstream channel
// of sc. sftp says the gateway serves the channel's program itself (sftp):
// nothing is relayed, so exits are recorded and refused like the rest.
func (sc *sessionChan) watchUpstream(reqs <-chan *ssh.Request, sftp bool) *upstreamRequests {
	c := sc.c
	u := &upstreamRequests{done: make(chan struct{})}
	why := "not forwarded to the client"
	if sftp {
		why = "not forwarded: the gateway serves sftp"
	}
	c.wg.Go(func() {
		defer close(u.done)
		for r := range reqs {
			if !sftp && (r.Type == "exit-status" || r.Type == "exit-signal") {
				u.exits = append(u.exits, r)
				continue
			}
			_ = c.recordRequest("upstream "+sc.scope, r.Type, r.Payload, refusedOutcome(why))
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
		}
	})
	return u
}

// abandon ends the upstream channel of a program that never started (or
// whose start was refused) and records what it sent, the exits kept for a
// bridge that never ran included.
func (sc *sessionChan) abandon(up ssh.Channel, u *upstreamRequests) {
	_ = up.Close()
	<-u.done
	for _, r := range u.exits {
		if sc.c.recordRequest("upstream "+sc.scope, r.Type, r.Payload, refusedOutcome("not forwarded: the channel's program did not start")) != nil {
			return
		}
	}
}
