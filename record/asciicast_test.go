package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
	"golang.org/x/crypto/ssh"
)

// sizeRequest is a recorded SSH pty-req or window-change as the SSH
// gateway records it (scope, text, outcome; the bytes kept or not).
func sizeRequest(at int64, scope, kind string, cols, rows uint32, keepBytes bool) Event {
	var payload []byte
	text := fmt.Sprintf("%s %s cols=%d rows=%d width=0 height=0: forwarded", scope, kind, cols, rows)
	switch kind {
	case "pty-req":
		payload = ssh.Marshal(struct {
			Term             string
			Cols, Rows, W, H uint32
			Modes            string
		}{"xterm-256color", cols, rows, 0, 0, "\x00"})
		text = fmt.Sprintf("%s pty-req term=xterm-256color cols=%d rows=%d width=0 height=0 modes=none: kept for the channel's program", scope, cols, rows)
	case "window-change":
		payload = ssh.Marshal(struct{ Cols, Rows, W, H uint32 }{cols, rows, 0, 0})
	}
	if !keepBytes {
		payload = nil
	}
	return Event{SessionID: "s", Time: at, Event: &gate.Event{Kind: gate.EventRequest, Request: &gate.Request{
		Protocol: gate.ProtocolSSH, Command: text, Payload: payload, SSH: &gate.SSH{Kind: kind}}}}
}

// castEvents reads an asciicast v2 recording: its header's size and its
// events.
func castEvents(t *testing.T, b []byte) (int, int, [][3]string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() {
		t.Fatal("no header")
	}
	var hdr asciicastHeader
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil {
		t.Fatal(err)
	}
	var evs [][3]string
	for sc.Scan() {
		var e []any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || len(e) != 3 {
			t.Fatalf("event %q: %v", sc.Text(), err)
		}
		evs = append(evs, [3]string{fmt.Sprint(e[0]), fmt.Sprint(e[1]), fmt.Sprint(e[2])})
	}
	return hdr.Width, hdr.Height, evs
}

// TestAsciicastResizesGenerated: seeded random sessions interleave
// terminal output with the client's pty-req and window-change requests
// (bytes kept or only the recorded text), the upstream's requests,
// malformed and absurd sizes, and output on other streams. The recording
// declares the size the terminal had when output began and has one "r"
// event per change of size after, at its time and in order with the
// output, as a model written apart from the writer expects. Before, it
// had none, and replays drew every frame at the declared size.
func TestAsciicastResizesGenerated(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(2, 4))
	sessions, wrong, resizes := 0, 0, 0
	for range 300 {
		sessions++
		at := int64(1_000_000_000)
		session := []Event{{SessionID: "s", Time: at, Event: &gate.Event{Kind: gate.EventSessionStart}}}
		cols, rows := 0, 0 // the model's current size; 0 before any
		began := false
		var hdrW, hdrH int
		var want []string
		n := 3 + rng.IntN(15)
		for range n {
			at += int64(rng.IntN(900_000_000))
			c, r := uint32(20+rng.IntN(200)), uint32(5+rng.IntN(80))
			switch k := rng.IntN(9); k {
			case 0, 1, 2:
				data := fmt.Sprintf("frame %d\r\n", at)
				stream := []string{"stdout", "stderr"}[rng.IntN(2)]
				session = append(session, Event{SessionID: "s", Time: at, Event: &gate.Event{Kind: gate.EventOutput,
					Output: &gate.Output{Stream: stream, Data: []byte(data)}}})
				if !began {
					began = true
					hdrW, hdrH = cols, rows
					if hdrW == 0 {
						hdrW, hdrH = 80, 24
					}
					cols, rows = hdrW, hdrH
				}
				want = append(want, "o "+data)
			case 3, 4, 5:
				kind := []string{"window-change", "window-change", "pty-req"}[k-3]
				session = append(session, sizeRequest(at, "channel 1", kind, c, r, rng.IntN(3) > 0))
				if int(c) != cols || int(r) != rows {
					cols, rows = int(c), int(r)
					if began {
						want = append(want, fmt.Sprintf("r %dx%d", c, r))
						resizes++
					}
				}
			case 6:
				session = append(session, sizeRequest(at, "upstream channel 1", "window-change", c, r, true))
			case 7:
				bad := sizeRequest(at, "channel 1", "window-change", []uint32{0, 100000}[rng.IntN(2)], r, true)
				session = append(session, bad)
			case 8:
				session = append(session, Event{SessionID: "s", Time: at, Event: &gate.Event{Kind: gate.EventOutput,
					Output: &gate.Output{Stream: "file", Data: []byte("not terminal output")}}})
			}
		}
		if !began {
			hdrW, hdrH = cols, rows
			if hdrW == 0 {
				hdrW, hdrH = 80, 24
			}
		}
		var b bytes.Buffer
		if err := WriteAsciicast(&b, session, AsciicastOptions{}); err != nil {
			t.Fatal(err)
		}
		w, h, evs := castEvents(t, b.Bytes())
		var got []string
		for _, e := range evs {
			got = append(got, e[1]+" "+e[2])
		}
		if w != hdrW || h != hdrH || strings.Join(got, "\n") != strings.Join(want, "\n") {
			wrong++
			if wrong <= 3 {
				t.Errorf("session %d: header %dx%d (want %dx%d)\n got  %q\n want %q", sessions, w, h, hdrW, hdrH, got, want)
			}
		}
	}
	t.Logf("%d of %d generated sessions replayed at the wrong size (%d resizes)", wrong, sessions, resizes)
}

// TestAsciicastDeclaredSizeKept: a size the caller declares is the
// header's; a pty-req of another size before the output is a resize
// before the output's first frame.
func TestAsciicastDeclaredSizeKept(t *testing.T) {
	t.Parallel()
	session := []Event{
		sizeRequest(1e9, "channel 1", "pty-req", 100, 30, true),
		{SessionID: "s", Time: 2e9, Event: &gate.Event{Kind: gate.EventOutput, Output: &gate.Output{Stream: "stdout", Data: []byte("x")}}},
	}
	var b bytes.Buffer
	if err := WriteAsciicast(&b, session, AsciicastOptions{Width: 120, Height: 40}); err != nil {
		t.Fatal(err)
	}
	w, h, evs := castEvents(t, b.Bytes())
	if w != 120 || h != 40 || len(evs) != 2 || evs[0][1] != "r" || evs[0][2] != "100x30" || evs[1][1] != "o" {
		t.Fatalf("header %dx%d, events %q", w, h, evs)
	}
}
