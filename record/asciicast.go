package record

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/airlock-sdk/airlock/gate"
)

// AsciicastOptions set the terminal size an asciicast recording declares.
type AsciicastOptions struct {
	// Width and Height are the terminal's columns and rows. Both zero
	// means the size the client's terminal had when output began (its
	// recorded SSH pty-req or window-change); a size still zero means 80
	// and 24.
	Width, Height int
}

// IsTerminalOutput reports whether e is terminal output: an output event
// on the stdout or stderr stream (an SSH session's, for one).
func IsTerminalOutput(e Event) bool {
	return e.Event != nil && e.Event.Kind == gate.EventOutput && e.Event.Output != nil &&
		(e.Event.Output.Stream == "stdout" || e.Event.Output.Stream == "stderr")
}

// HasTerminalOutput reports whether any of entries is terminal output.
func HasTerminalOutput(entries []Event) bool {
	for _, e := range entries {
		if IsTerminalOutput(e) {
			return true
		}
	}
	return false
}

// asciicastHeader is the first line of an asciicast v2 file.
type asciicastHeader struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp"`
	Title     string            `json:"title,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
}

// WriteAsciicast writes the entries of one session (as ReadSession returns
// them) as an asciicast v2 recording, which asciinema plays: a header
// line, then one [seconds, "o", data] event per chunk of terminal output
// (IsTerminalOutput) and one [seconds, "r", "COLSxROWS"] event each time
// the client's terminal changed size (a recorded SSH window-change, or a
// pty-req of another size than the one declared), timed from the
// session's first entry, so that a replay draws full-screen programs at
// the size they drew at. What is written is what the client saw: the
// recorded, masked output. Other entries are left out.
func WriteAsciicast(w io.Writer, session []Event, opts AsciicastOptions) error {
	if len(session) == 0 {
		return errors.New("record: asciicast of an empty session")
	}
	width, height := opts.Width, opts.Height
	if width <= 0 && height <= 0 {
		width, height = firstTerminal(session)
	}
	if width <= 0 {
		width = 80
	}
	if height <= 0 {
		height = 24
	}
	first := session[0]
	start := first.Time
	hdr := asciicastHeader{Version: 2, Width: width, Height: height, Timestamp: start / 1e9,
		Title: "airlock session " + first.SessionID, Env: map[string]string{"TERM": "xterm-256color", "SHELL": "/bin/sh"}}
	if ev := first.Event; ev != nil && ev.Session != nil && ev.Identity != nil {
		hdr.Title = fmt.Sprintf("airlock session %s: %s -> %s", first.SessionID, ev.Identity.Subject, ev.Session.Target)
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(hdr); err != nil {
		return err
	}
	// cols and rows are the size the replay draws at; until output
	// begins, a size recorded is only noted (next), and is a resize at the
	// first output when it differs from the one declared.
	cols, rows := width, height
	nextCols, nextRows := width, height
	began := false
	resize := func(t json.Number, c, r int) error {
		if c == cols && r == rows {
			return nil
		}
		cols, rows = c, r
		return enc.Encode([]any{t, "r", fmt.Sprintf("%dx%d", c, r)})
	}
	for _, e := range session {
		t := json.Number(fmt.Sprintf("%.6f", float64(max(e.Time-start, 0))/1e9))
		if c, r, ok := terminalSize(e); ok {
			if !began {
				nextCols, nextRows = c, r
				continue
			}
			if err := resize(t, c, r); err != nil {
				return err
			}
			continue
		}
		if !IsTerminalOutput(e) || len(e.Event.Output.Data) == 0 {
			continue
		}
		if !began {
			began = true
			if err := resize(t, nextCols, nextRows); err != nil {
				return err
			}
		}
		if err := enc.Encode([]any{t, "o", string(e.Event.Output.Data)}); err != nil {
			return err
		}
	}
	return nil
}

// maxTerminalSide bounds the columns or rows a recorded terminal size
// may have; a larger one is not read as a size.
const maxTerminalSide = 10000

// terminalSize reports the terminal size a recorded entry set: a request
// event of an SSH client's pty-req or window-change (not one an upstream
// sent), its columns and rows read from the request's bytes, or from its
// recorded text (cols=N rows=M) when the bytes were not kept. Sizes of
// zero or past 10000 are not read.
func terminalSize(e Event) (cols, rows int, ok bool) {
	if e.Event == nil || e.Event.Kind != gate.EventRequest || e.Event.Request == nil {
		return 0, 0, false
	}
	req := e.Event.Request
	if req.Protocol != gate.ProtocolSSH || req.SSH == nil || strings.HasPrefix(req.Command, "upstream ") {
		return 0, 0, false
	}
	p := req.Payload
	switch req.SSH.Kind {
	case "window-change":
	case "pty-req":
		// string TERM, then the columns and rows (RFC 4254 6.2).
		if len(p) >= 4 {
			n := uint64(binary.BigEndian.Uint32(p))
			if n <= uint64(len(p)-4) {
				p = p[4+n:]
			} else {
				p = nil
			}
		}
	default:
		return 0, 0, false
	}
	if len(p) >= 8 {
		cols, rows = int(binary.BigEndian.Uint32(p)), int(binary.BigEndian.Uint32(p[4:]))
	} else {
		cols, rows = sizeInText(req.Command)
	}
	if cols <= 0 || rows <= 0 || cols > maxTerminalSide || rows > maxTerminalSide {
		return 0, 0, false
	}
	return cols, rows, true
}

// sizeInText reads " cols=N rows=M " from a recorded request's text.
func sizeInText(s string) (cols, rows int) {
	for f := range strings.FieldsSeq(s) {
		if v, ok := strings.CutPrefix(f, "cols="); ok {
			cols, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(f, "rows="); ok {
			rows, _ = strconv.Atoi(strings.TrimSuffix(v, ":"))
		}
	}
	return cols, rows
}

// firstTerminal is the size the client's terminal had when the
// session's terminal output began (the last size recorded before it), or
// zeros when none was.
func firstTerminal(session []Event) (cols, rows int) {
	for _, e := range session {
		if IsTerminalOutput(e) && len(e.Event.Output.Data) > 0 {
			break
		}
		if c, r, ok := terminalSize(e); ok {
			cols, rows = c, r
		}
	}
	return cols, rows
}
