package gate_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/stretchr/testify/require"
)

const connRules = `
default: deny
rules:
  - name: reads
    when: tool.name == "read"
    action: allow
    mask: [credit_card]
  - name: too-many-refusals
    when: session.denied >= 2
    action: deny
    reason: this session keeps getting refused
`

// card is a test card number (Luhn-valid, never issued).
const card = "4111111111111111"

func openConn(t *testing.T, failOpen bool) (*gate.Conn, *eventLog) {
	t.Helper()
	rs, err := gate.ParseRules("conn.yaml", []byte(connRules))
	require.NoError(t, err)
	log := &eventLog{}
	g := gate.New(gate.Config{Rules: rs, Recorder: log, FailOpen: failOpen})
	c, err := g.Open(context.Background(), gate.Session{Protocol: "tool", Target: "crm",
		Identity: gate.Identity{Subject: "agent-1", Kind: gate.KindAgent}})
	require.NoError(t, err)
	return c, log
}

func readReq() *gate.Request {
	return &gate.Request{Command: "read", Tool: &gate.ToolCall{Kind: "call", Name: "read"}}
}

func (l *eventLog) outputs() []gate.Output {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []gate.Output
	for _, e := range l.events {
		if e.Kind == gate.EventOutput {
			out = append(out, *e.Output)
		}
	}
	return out
}

func TestConnOutputMasksRecordsForwards(t *testing.T) {
	for _, mode := range []gate.OutputMode{gate.RecordThenForward, gate.ForwardThenRecord} {
		c, log := openConn(t, false)
		d, err := c.Check(context.Background(), readReq())
		require.NoError(t, err)
		var dst bytes.Buffer
		w := c.Output(d, "stdout", &dst, gate.OutputOptions{Mode: mode})
		// The card is split across writes: the stream masker must still see it.
		for _, chunk := range []string{"card " + card[:7], card[7:] + " done\n"} {
			_, err := w.Write([]byte(chunk))
			require.NoError(t, err)
		}
		require.NoError(t, w.Close())
		require.NotContains(t, dst.String(), card, "mode %d", mode)
		require.Contains(t, dst.String(), "done")

		var recorded strings.Builder
		for _, o := range log.outputs() {
			require.Equal(t, d.ID, o.DecisionID)
			recorded.Write(o.Data)
		}
		require.Equal(t, dst.String(), recorded.String(), "the record holds what the client received")
		require.NotEmpty(t, w.Findings())
		require.Equal(t, "credit_card", w.Findings()[0].Detector)
	}
}

// TestConnOutputFailurePolicy is the outbound failure policy, tested once
// for every protocol: a recording failure mid-output forwards nothing
// unrecorded and ends the session.
func TestConnOutputFailurePolicy(t *testing.T) {
	t.Run("record-then-forward", func(t *testing.T) {
		c, log := openConn(t, false)
		d, err := c.Check(context.Background(), readReq())
		require.NoError(t, err)
		var dst bytes.Buffer
		w := c.Output(d, "stdout", &dst, gate.OutputOptions{Premasked: true})
		_, err = w.Write([]byte("first\n"))
		require.NoError(t, err)
		log.fail.Store(true)
		_, err = w.Write([]byte("second\n"))
		require.ErrorIs(t, err, gate.ErrSessionEnded)
		require.Equal(t, "first\n", dst.String(), "the unrecorded chunk must not reach the client")
		_, err = w.Write([]byte("third\n"))
		require.Error(t, err)
		require.Equal(t, "first\n", dst.String())
		assertBroken(t, c, log)
	})
	t.Run("forward-then-record", func(t *testing.T) {
		c, log := openConn(t, false)
		d, err := c.Check(context.Background(), readReq())
		require.NoError(t, err)
		w := c.Output(d, "rows", &bytes.Buffer{}, gate.OutputOptions{Mode: gate.ForwardThenRecord, Premasked: true})
		_, err = w.Write([]byte("row 1\n"))
		require.NoError(t, err)
		log.fail.Store(true)
		require.ErrorIs(t, w.Close(), gate.ErrSessionEnded)
		assertBroken(t, c, log)
	})
	t.Run("result", func(t *testing.T) {
		c, log := openConn(t, false)
		d, err := c.Check(context.Background(), readReq())
		require.NoError(t, err)
		log.fail.Store(true)
		got, _, err := c.Result(context.Background(), d, "result", []byte(`{"card":"`+card+`"}`), gate.ResultOptions{})
		require.ErrorIs(t, err, gate.ErrSessionEnded)
		require.Nil(t, got, "an unrecorded result is never returned")
		assertBroken(t, c, log)
	})
	t.Run("fail-open", func(t *testing.T) {
		c, log := openConn(t, true)
		d, err := c.Check(context.Background(), readReq())
		require.NoError(t, err)
		log.fail.Store(true)
		var dst bytes.Buffer
		w := c.Output(d, "stdout", &dst, gate.OutputOptions{})
		_, err = w.Write([]byte("kept going\n"))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.Equal(t, "kept going\n", dst.String())
		require.NoError(t, c.Err())
	})
}

// assertBroken checks that a session whose output could not be recorded
// refuses everything after.
func assertBroken(t *testing.T, c *gate.Conn, log *eventLog) {
	t.Helper()
	require.ErrorIs(t, c.Err(), gate.ErrSessionEnded)
	select {
	case <-c.Done():
	default:
		t.Fatal("Done is not closed on a broken session")
	}
	log.fail.Store(false)
	_, err := c.Check(context.Background(), readReq())
	require.ErrorIs(t, err, gate.ErrDenied, "a broken session refuses every request")
	var dst bytes.Buffer
	_, err = c.Output(&gate.Decision{ID: "x", Action: gate.Allow}, "stdout", &dst, gate.OutputOptions{}).Write([]byte("late"))
	require.Error(t, err)
	require.Zero(t, dst.Len())
}

func TestConnOutputNeedsAnAllowDecision(t *testing.T) {
	c, _ := openConn(t, false)
	denied, err := c.Check(context.Background(), &gate.Request{Command: "drop", Tool: &gate.ToolCall{Kind: "call", Name: "drop"}})
	require.Error(t, err)
	for _, d := range []*gate.Decision{nil, denied} {
		var dst bytes.Buffer
		w := c.Output(d, "stdout", &dst, gate.OutputOptions{})
		_, err := w.Write([]byte("secret"))
		require.Error(t, err)
		require.Zero(t, dst.Len())
		_, _, err = c.Result(context.Background(), d, "result", []byte(`"x"`), gate.ResultOptions{})
		require.Error(t, err)
	}
}

func TestConnOutputBound(t *testing.T) {
	for _, mode := range []gate.OutputMode{gate.RecordThenForward, gate.ForwardThenRecord} {
		c, log := openConn(t, false)
		d, err := c.Check(context.Background(), readReq())
		require.NoError(t, err)
		var dst bytes.Buffer
		w := c.Output(d, "stdout", &dst, gate.OutputOptions{Mode: mode, Limit: 10, Premasked: true})
		for range 3 {
			_, err := w.Write([]byte("0123456\n"))
			require.NoError(t, err)
		}
		require.NoError(t, w.Close())
		require.Equal(t, 24, dst.Len(), "the client receives everything")
		var n int
		truncated := false
		for _, o := range log.outputs() {
			n += len(o.Data)
			truncated = truncated || o.Truncated
		}
		require.Equal(t, 10, n, "mode %d", mode)
		require.True(t, truncated)
		require.True(t, w.Truncated())
	}
}

func TestConnResultMasksAndRecords(t *testing.T) {
	c, log := openConn(t, false)
	d, err := c.Check(context.Background(), readReq())
	require.NoError(t, err)
	got, findings, err := c.Result(context.Background(), d, "result", []byte(`{"note":"card `+card+`"}`), gate.ResultOptions{})
	require.NoError(t, err)
	require.NotContains(t, string(got), card)
	require.Len(t, findings, 1)
	text, _, err := c.Result(context.Background(), d, "error", []byte("bad card "+card), gate.ResultOptions{Format: gate.Text})
	require.NoError(t, err)
	require.NotContains(t, string(text), card)
	outs := log.outputs()
	require.Len(t, outs, 2)
	require.Equal(t, got, outs[0].Data)
	require.True(t, outs[0].Final)
	require.Equal(t, findings, outs[0].Findings)
	require.Equal(t, text, outs[1].Data)
}

func TestConnRefuseIsADecision(t *testing.T) {
	c, log := openConn(t, false)
	ctx := context.Background()
	for range 2 {
		d, err := c.Refuse(ctx, &gate.Request{Command: "garbage"}, "parse", "the request could not be parsed")
		require.ErrorIs(t, err, gate.ErrDenied)
		require.Equal(t, "tool/parse", d.Rule)
		require.Contains(t, err.Error(), "tool/parse")
	}
	require.Equal(t, int64(2), c.Session().Stats().Denied)
	require.Equal(t, int64(2), c.Session().Stats().Requests)
	// Rules see refusals before the rules: session.denied counts them.
	d, err := c.Check(ctx, readReq())
	require.ErrorIs(t, err, gate.ErrDenied)
	require.Equal(t, "too-many-refusals", d.Rule)

	var refusals int
	for _, e := range log.events {
		if e.Kind == gate.EventDecision && e.Decision.Rule == "tool/parse" {
			refusals++
			require.Equal(t, "garbage", e.Request.Command)
		}
	}
	require.Equal(t, 2, refusals)
}

func TestConnFinishAndClose(t *testing.T) {
	c, log := openConn(t, false)
	ctx := context.Background()
	d, err := c.Check(ctx, readReq())
	require.NoError(t, err)
	status := 3
	require.NoError(t, c.Finish(ctx, d, gate.Output{Stream: "stdout", ExitStatus: &status}))
	outs := log.outputs()
	require.True(t, outs[len(outs)-1].Final)
	require.Equal(t, d.ID, outs[len(outs)-1].DecisionID)

	require.NoError(t, c.Close(ctx, "client closed"))
	require.NoError(t, c.Close(ctx, "again"), "a second Close does nothing")
	require.Equal(t, []gate.EventKind{gate.EventSessionStart, gate.EventDecision, gate.EventOutput, gate.EventSessionEnd}, log.kinds())
	_, err = c.Check(ctx, readReq())
	require.True(t, errors.Is(err, gate.ErrDenied), "a closed session refuses")
}

func TestConnFromContext(t *testing.T) {
	c, _ := openConn(t, false)
	ctx := c.Context(context.Background())
	require.Same(t, c, gate.ConnFrom(ctx))
	require.Same(t, c.Session(), gate.SessionFrom(ctx))
	require.Nil(t, gate.ConnFrom(context.Background()))

	// As context.WithValue chains would: the parent's values and its
	// cancellation pass through, and a session set inside wins.
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx = c.Context(parent)
	require.Equal(t, "v", ctx.Value(key{}))
	child, stop := context.WithCancel(ctx)
	defer stop()
	other := &gate.Session{ID: "other"}
	require.Same(t, other, gate.SessionFrom(gate.WithSession(child, other)))
	require.Same(t, c, gate.ConnFrom(gate.WithSession(child, other)))
	cancel()
	<-child.Done()
	require.ErrorIs(t, child.Err(), context.Canceled)
}

func TestConnBrokenRefusalHidesTheCause(t *testing.T) {
	c, log := openConn(t, false)
	d, err := c.Check(context.Background(), readReq())
	require.NoError(t, err)
	log.fail.Store(true)
	_, _, _ = c.Result(context.Background(), d, "result", []byte(`"x"`), gate.ResultOptions{})
	log.fail.Store(false)
	_, err = c.Check(context.Background(), readReq())
	require.ErrorIs(t, err, gate.ErrDenied)
	require.NotContains(t, err.Error(), "disk full", "the recorder's error is not the client's business")
}

func TestConnOutputRefusesAMaskWithoutMasker(t *testing.T) {
	c, _ := openConn(t, false)
	d := &gate.Decision{ID: "hand-made", Action: gate.Allow, Mask: []string{"credit_card"}}
	var dst bytes.Buffer
	_, err := c.Output(d, "stdout", &dst, gate.OutputOptions{}).Write([]byte(card))
	require.Error(t, err)
	require.Zero(t, dst.Len())
	_, _, err = c.Result(context.Background(), d, "result", []byte(`"`+card+`"`), gate.ResultOptions{})
	require.Error(t, err)
}

// failingWriter is a client that left after n bytes.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errors.New("broken pipe")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestConnOutputRecordsWhatWasSentBeforeTheClientLeft(t *testing.T) {
	c, log := openConn(t, false)
	d, err := c.Check(context.Background(), readReq())
	require.NoError(t, err)
	w := c.Output(d, "rows", &failingWriter{n: 6}, gate.OutputOptions{Mode: gate.ForwardThenRecord, Premasked: true})
	_, err = w.Write([]byte("row 1\n"))
	require.NoError(t, err)
	_, err = w.Write([]byte("row 2\n"))
	require.Error(t, err)
	require.Error(t, w.Close(), "the client's error")
	outs := log.outputs()
	require.Len(t, outs, 1)
	require.True(t, outs[0].Truncated)
	require.Equal(t, "row 1\n", string(outs[0].Data), "what the client was given, not what it was not")
	require.NoError(t, c.Err(), "a client that left does not break the session's record")
}

// TestOutputSizeHint: a size hint only reserves the record's copy; what is
// recorded and forwarded, and the bound, are the same with any hint.
func TestOutputSizeHint(t *testing.T) {
	large := [][]byte{[]byte("HTTP/1.1 200 OK\r\n\r\n"), bytes.Repeat([]byte("abcdefgh"), 100)}
	small := [][]byte{[]byte("name\n"), []byte("Alice\n"), bytes.Repeat([]byte("x"), 117)} // 128 bytes: the writer's room
	for _, parts := range [][][]byte{large, small} {
		testOutputSizeHint(t, parts)
	}
}

func testOutputSizeHint(t *testing.T, parts [][]byte) {
	for _, limit := range []int64{0, -1, 10, 100, 127, 128, 129, 818, 819, 820} {
		var want []byte
		for _, hint := range []int{0, 1, 10, 127, 128, 129, 819, 820, 10000, 1 << 30} {
			c, log := openConn(t, false)
			d, err := c.Check(context.Background(), readReq())
			require.NoError(t, err)
			var dst bytes.Buffer
			w := c.Output(d, "response", &dst, gate.OutputOptions{Mode: gate.ForwardThenRecord, Limit: limit, SizeHint: hint})
			for _, p := range parts {
				_, err := w.Write(p)
				require.NoError(t, err)
			}
			require.NoError(t, w.Close())
			require.Equal(t, bytes.Join(parts, nil), dst.Bytes(), "forwarded whole")
			outs := log.outputs()
			require.Len(t, outs, 1)
			if hint == 0 {
				want = outs[0].Data
			}
			require.Equal(t, want, outs[0].Data, "limit %d, hint %d", limit, hint)
			if limit > 0 {
				require.LessOrEqual(t, int64(len(outs[0].Data)), limit)
				require.Equal(t, limit < int64(len(bytes.Join(parts, nil))), outs[0].Truncated)
			}
		}
	}
}
