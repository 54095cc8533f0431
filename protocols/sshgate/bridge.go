package sshgate

import (
	"errors"
	"io"
	"sync"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"golang.org/x/crypto/ssh"
)

// bridge runs an allowed exec or shell: client stdin goes upstream (through
// the gate when input is recorded), upstream stdout and stderr come back
// through the gate's output writers (masked, bounded, recorded before they
// are forwarded), and the exit status follows the output once the gate has
// recorded it with the findings of both streams. Window changes and
// signals are forwarded by the session's request loop.
func (sc *sessionChan) bridge(d *gate.Decision, shell bool, up ssh.Channel, u *upstreamRequests) {
	c := sc.c
	inDone := make(chan struct{})
	// Whatever way the bridge ends, the goroutines it started have ended
	// when it returns (they record into the session, which closes after
	// the bridge): the upstream's requests end once up has closed
	// (watchUpstream records them and keeps the exits), the client's
	// input once its channel has or the connection ended.
	defer func() {
		_ = up.Close()
		<-u.done
		<-inDone
	}()
	c.wg.Go(func() {
		defer close(inDone)
		if shell && c.p.cfg.RecordInput {
			// What the client types is recorded as it is (never masked:
			// the record keeps the input), before it goes upstream.
			opts := c.outputOptions()
			opts.Input = true
			in := c.gc.Output(d, "stdin", up, opts)
			_, _ = io.Copy(in, sc.ch)
			_ = in.Close()
		} else {
			_, _ = io.Copy(up, sc.ch)
		}
		_ = up.CloseWrite()
	})

	outs := [2]*gate.OutputWriter{
		c.gc.Output(d, "stdout", sc.ch, c.outputOptions()),
		c.gc.Output(d, "stderr", sc.ch.Stderr(), c.outputOptions()),
	}
	srcs := [2]io.Reader{up, up.Stderr()}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range outs {
		wg.Go(func() {
			_, err := io.Copy(outs[i], srcs[i])
			if cerr := outs[i].Close(); err == nil {
				err = cerr
			}
			if errs[i] = err; err != nil {
				_ = up.Close() // ends the other stream's copy too
			}
		})
	}
	wg.Wait()
	final := func() gate.Output {
		<-u.done
		out := gate.Output{Stream: "stdout", Findings: mask.MergeFindings(outs[0].Findings(), outs[1].Findings())}
		for _, r := range u.exits {
			exitOf(r, &out)
		}
		return out
	}
	if err := errors.Join(errs...); err != nil {
		// Masking or recording failed, or the client went away: nothing
		// more reaches the client.
		sc.stopOutput(d, up, err, final)
		return
	}
	if err := c.gc.Finish(c.ctx, d, final()); err != nil {
		// The exit status could not be recorded: it is not forwarded, and
		// the gate has ended the session.
		sc.stopOutput(d, up, err, nil)
		return
	}
	_ = sc.ch.CloseWrite()
	for i, r := range u.exits {
		// Each one relayed is a request event of its own (an upstream may
		// send more than the one Finish recorded, and those past the
		// first count against the upstream's bound); unrecorded, it and
		// the rest are not relayed.
		record := c.recordRequest
		if i == 0 {
			record = c.recordExit
		}
		if record("upstream "+sc.scope, r.Type, r.Payload, outcomeForwarded) != nil {
			break
		}
		_, _ = sc.ch.SendRequest(r.Type, false, r.Payload)
	}
	sc.closeClient()
}

// stopOutput ends a channel whose output stopped. When the gate ended the
// session (output it could not record), the client connection is closed
// with nothing more sent; otherwise the program's end is recorded (final,
// when not nil, gives its final output once up is closed: findings, and
// an exit status only if the upstream sent one), and the client reads why
// on stderr and exits with ExitRefused.
func (sc *sessionChan) stopOutput(d *gate.Decision, up ssh.Channel, err error, final func() gate.Output) {
	c := sc.c
	c.p.log.Error("output stopped", "session", c.sessionID(), "error", err)
	_ = up.Close()
	if c.gc.Err() != nil {
		_ = c.client.Close()
		return
	}
	if final != nil {
		if err := c.gc.Finish(c.ctx, d, final()); err != nil {
			_ = c.client.Close()
			return
		}
	}
	_, _ = io.WriteString(sc.ch.Stderr(), "\r\nairlock: output stopped: it could not be masked or recorded\r\n")
	sc.exit(ExitRefused)
}

// exitOf copies an exit-status or exit-signal request into out.
func exitOf(r *ssh.Request, out *gate.Output) {
	switch r.Type {
	case "exit-status":
		var st struct{ Status uint32 }
		if ssh.Unmarshal(r.Payload, &st) == nil {
			n := int(st.Status)
			out.ExitStatus = &n
		}
	case "exit-signal":
		// RFC 4254 6.10: signal name without "SIG", core dumped, error
		// message, language tag.
		var sig struct {
			Signal     string
			CoreDumped bool
			Message    string
			Lang       string
		}
		if ssh.Unmarshal(r.Payload, &sig) == nil {
			out.ExitSignal = sig.Signal
			out.ExitCoreDumped = sig.CoreDumped
			out.ExitMessage = sig.Message
		} else {
			out.ExitSignal = "?" // a malformed payload still says a signal ended it
		}
	}
}
