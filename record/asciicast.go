package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/airlock-sdk/airlock/gate"
)

// AsciicastOptions set the terminal size an asciicast recording declares.
type AsciicastOptions struct {
	// Width and Height are the terminal's columns and rows; zero means
	// 80 and 24.
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
// (IsTerminalOutput), timed from the session's first entry. What is
// written is what the client saw: the recorded, masked output. Entries
// that are not terminal output are left out.
func WriteAsciicast(w io.Writer, session []Event, opts AsciicastOptions) error {
	if len(session) == 0 {
		return errors.New("record: asciicast of an empty session")
	}
	width, height := opts.Width, opts.Height
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
	for _, e := range session {
		if !IsTerminalOutput(e) || len(e.Event.Output.Data) == 0 {
			continue
		}
		t := float64(max(e.Time-start, 0)) / 1e9
		if err := enc.Encode([]any{json.Number(fmt.Sprintf("%.6f", t)), "o", string(e.Event.Output.Data)}); err != nil {
			return err
		}
	}
	return nil
}
