package sshgate

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// Every SSH request that crosses the gateway, in either direction, is in
// the record as a request event, whatever became of it: the channel
// requests of RFC 4254 (pty-req, x11-req, env, shell, exec, subsystem,
// window-change, xon-xoff, signal, exit-status, exit-signal), RFC 4335's
// break, OpenSSH's (auth-agent-req@openssh.com, keepalive@openssh.com,
// eow@openssh.com), the global requests (tcpip-forward, the streamlocal
// forwards, keepalive@openssh.com, no-more-sessions@openssh.com,
// hostkeys-prove-00@openssh.com; from the upstream, hostkeys-00@openssh.com
// and keepalive@openssh.com, refused), requests on a forward's channel
// (refused) and any other name. The exec, shell and
// subsystem that start a channel's program are recorded by their decision
// instead. An auditor reads from the record what the client asked for
// around the commands (its terminal and its size, its variables, the
// signals it sent) and what the gateway answered, and can replay it.
//
// The event's Request has Protocol "ssh"; SSH.Kind is the request's type
// (with EnvName and EnvValue for env, Subsystem, Command, Host and Port
// where the request names them); Command reads
//
//	channel 2 window-change cols=120 rows=40: forwarded
//	global tcpip-forward 127.0.0.1:8080: refused: remote forwarding is not allowed
//	upstream channel 2 exit-status 0: not forwarded: the gateway serves sftp
//
// and Payload holds the request's bytes (up to maxRecordedPayload), except
// where they hold a secret: an X11 cookie, the value of a variable that
// was refused.

// DefaultMaxRequests is the bound on the requests a connection's client
// sends (and, apart, on its upstream's) when Config.MaxRequests is zero: far above what an interactive session
// sends (a terminal, its variables, a resize a second for an hour), far
// below what fills a record.
const DefaultMaxRequests = 10000

// maxRecordedPayload bounds the request payload kept in the record.
const maxRecordedPayload = 1024

// Outcomes of a request, as the record words them.
const (
	outcomeKept      = "kept for the channel's program"
	outcomeForwarded = "forwarded"
	outcomeSent      = "sent to the client by the gateway"
)

// refusedOutcome words a refusal.
func refusedOutcome(why string) string { return "refused: " + why }

// recordRequest records request r of scope ("channel 2", "global",
// "upstream channel 2") and what the gateway did with it. A request the
// gateway forwards is recorded before it is: an error means it must not
// be. Requests the client sent count against Config.MaxRequests; those
// of the upstream (scope "upstream ...") against a bound of the same size
// of their own, so that neither side's requests use up the other's.
func (c *conn) recordRequest(scope string, typ string, payload []byte, outcome string) error {
	counter, who := &c.requests, "from the client"
	if strings.HasPrefix(scope, "upstream") {
		counter, who = &c.upRequests, "from the upstream"
	}
	if err := c.countRequest(counter, who); err != nil {
		return err
	}
	return c.recordUncounted(scope, typ, payload, outcome)
}

// recordExit records a channel's exit: the upstream's first one relayed
// for a program the rules judged, or one of the gateway's own. There is
// one for each channel the client opened, so neither bound counts them.
func (c *conn) recordExit(scope string, typ string, payload []byte, outcome string) error {
	return c.recordUncounted(scope, typ, payload, outcome)
}

// recordUncounted is recordRequest without the count. A request it
// cannot record ends the client's connection.
func (c *conn) recordUncounted(scope string, typ string, payload []byte, outcome string) error {
	text, attrs, keep := describeRequest(typ, payload, !strings.HasPrefix(outcome, "refused"))
	req := &gate.Request{Protocol: gate.ProtocolSSH, Command: scope + " " + text + ": " + outcome, SSH: attrs}
	if keep && len(payload) > 0 {
		req.Payload = append([]byte(nil), payload[:min(len(payload), maxRecordedPayload)]...)
	}
	err := c.gc.Record(c.ctx, gate.Event{Kind: gate.EventRequest, Request: req})
	if err != nil {
		// A request that crossed the gateway unrecorded ends the
		// connection: every request is in the record, or the session
		// ended.
		c.p.log.Error("request not recorded: ending the connection", "session", c.sessionID(), "request", typ, "error", err)
		_ = c.client.Close()
	}
	return err
}

// countRequest counts a request on counter against Config.MaxRequests.
// The first one past the bound records why (who says whose requests they
// were) and ends the connection; it and every later one get an error, so
// none is forwarded or recorded.
func (c *conn) countRequest(counter *atomic.Int64, who string) error {
	limit := c.p.cfg.MaxRequests
	if limit == 0 {
		limit = DefaultMaxRequests
	}
	if limit < 0 {
		return nil
	}
	n := counter.Add(1)
	if n <= int64(limit) {
		return nil
	}
	err := fmt.Errorf("ssh: connection ended: more than %d requests %s", limit, who)
	if n == int64(limit)+1 {
		c.p.log.Info("request bound", "session", c.sessionID(), "limit", limit, "from", who)
		_ = c.gc.Record(c.ctx, gate.Event{Kind: gate.EventError, Error: err.Error()})
		_ = c.client.Close()
	}
	return err
}

// describeRequest reads a request's payload for the record: the text
// after its type, the attributes, and whether its bytes may be kept
// (accepted says the gateway took the request: a refused variable's value
// is not kept, it may be a secret sent on its own).
func describeRequest(typ string, payload []byte, accepted bool) (string, *gate.SSH, bool) {
	a := &gate.SSH{Kind: typ}
	text := typ
	keep := true
	malformed := func() (string, *gate.SSH, bool) {
		return fmt.Sprintf("%s (malformed, %d bytes)", typ, len(payload)), a, true
	}
	switch typ {
	case "env":
		var e struct{ Name, Value string }
		if ssh.Unmarshal(payload, &e) != nil {
			return malformed()
		}
		a.EnvName = e.Name
		text += " " + printable(e.Name)
		if accepted {
			a.EnvValue = e.Value
			text += "=" + printable(e.Value)
		} else {
			keep = false
		}
	case "pty-req":
		var p struct {
			Term             string
			Cols, Rows, W, H uint32
			Modes            string
		}
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += fmt.Sprintf(" term=%s cols=%d rows=%d width=%d height=%d modes=%s",
			printable(p.Term), p.Cols, p.Rows, p.W, p.H, terminalModes([]byte(p.Modes)))
	case "window-change":
		var p struct{ Cols, Rows, W, H uint32 }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += fmt.Sprintf(" cols=%d rows=%d width=%d height=%d", p.Cols, p.Rows, p.W, p.H)
	case "signal":
		var p struct{ Signal string }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += " " + printable(p.Signal)
	case "break":
		var p struct{ Ms uint32 }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += fmt.Sprintf(" %dms", p.Ms)
	case "xon-xoff":
		var p struct{ Client bool }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += " client-can-do=" + strconv.FormatBool(p.Client)
	case "x11-req":
		keep = false // the cookie is a credential
		var p struct {
			Single        bool
			Proto, Cookie string
			Screen        uint32
		}
		if ssh.Unmarshal(payload, &p) != nil {
			return typ + fmt.Sprintf(" (malformed, %d bytes)", len(payload)), a, false
		}
		text += fmt.Sprintf(" single=%v protocol=%s screen=%d (cookie withheld)", p.Single, printable(p.Proto), p.Screen)
	case "exec":
		var p struct{ Command string }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		a.Command = p.Command
		text += " " + printable(p.Command)
	case "subsystem":
		var p struct{ Name string }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		a.Subsystem = p.Name
		text += " " + printable(p.Name)
	case "exit-status":
		var p struct{ Status uint32 }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += " " + strconv.FormatUint(uint64(p.Status), 10)
	case "exit-signal":
		var p struct {
			Signal    string
			Core      bool
			Msg, Lang string
		}
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		text += fmt.Sprintf(" %s core-dumped=%v", printable(p.Signal), p.Core)
		if p.Msg != "" {
			text += " message=" + strconv.Quote(p.Msg)
		}
	case "tcpip-forward", "cancel-tcpip-forward":
		var p struct {
			Addr string
			Port uint32
		}
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		a.Host, a.Port = p.Addr, int(p.Port)
		text += " " + net.JoinHostPort(printable(p.Addr), strconv.FormatUint(uint64(p.Port), 10))
	case "streamlocal-forward@openssh.com", "cancel-streamlocal-forward@openssh.com":
		var p struct{ Path string }
		if ssh.Unmarshal(payload, &p) != nil {
			return malformed()
		}
		a.Path = p.Path
		text += " " + printable(p.Path)
	case "shell", "auth-agent-req@openssh.com", "keepalive@openssh.com", "eow@openssh.com", "no-more-sessions@openssh.com":
		if len(payload) > 0 {
			text += fmt.Sprintf(" (%d bytes)", len(payload))
		}
	default:
		a.Kind = printable(typ)
		text = a.Kind
		if len(payload) > 0 {
			text += fmt.Sprintf(" (%d bytes)", len(payload))
		}
	}
	return text, a, keep
}

// terminalModes reads RFC 4254 8's encoded terminal modes as
// opcode=value pairs.
func terminalModes(b []byte) string {
	var parts []string
	for len(b) > 0 {
		op := b[0]
		if op == 0 { // TTY_OP_END
			break
		}
		if op >= 160 || len(b) < 5 {
			parts = append(parts, fmt.Sprintf("(undecoded %d bytes)", len(b)))
			break
		}
		parts = append(parts, fmt.Sprintf("%d=%d", op, binary.BigEndian.Uint32(b[1:5])))
		b = b[5:]
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// printable quotes s when it holds anything but printable text without
// spaces, so a record line cannot be forged by a request's own text.
func printable(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == ':' }) {
		return strconv.Quote(s)
	}
	return s
}
