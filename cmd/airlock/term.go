package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// isTerminal reports whether w is a terminal. A writer can say so itself by
// implementing IsTerminal (tests do); an *os.File is one when it is a
// character device other than the null device.
func isTerminal(w io.Writer) bool {
	if t, ok := w.(interface{ IsTerminal() bool }); ok {
		return t.IsTerminal()
	}
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(st, null) {
		return false
	}
	return true
}

// useColor decides the --color mode: "always", "never", or "auto" (colour
// when stdout is a terminal, NO_COLOR is unset or empty and TERM is not
// "dumb").
func useColor(mode string, stdout io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		return isTerminal(stdout) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb", nil
	}
	return false, fmt.Errorf("--color must be auto, always or never, not %q", mode)
}

// palette paints text with ANSI SGR sequences, or leaves it alone. Only text
// already passed through clean may be painted: the sequences are the
// command's own, never the record's.
type palette struct{ on bool }

const (
	sgrBold    = "1"
	sgrDim     = "2"
	sgrRed     = "31"
	sgrGreen   = "32"
	sgrYellow  = "33"
	sgrBlue    = "34"
	sgrMagenta = "35"
	sgrCyan    = "36"
	sgrBoldRed = "1;31"
)

func (p palette) paint(sgr, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + "\x1b[0m"
}

// progress shows "read N entries" on stderr while a large record is read,
// when stderr is a terminal. It keeps to one line and erases it when done or
// before other output.
type progress struct {
	w       io.Writer // nil: off
	what    string
	n       int
	every   int
	showing bool
}

// progressEvery is how many entries pass between progress updates.
var progressEvery = 10000

func newProgress(stderr io.Writer, what string) *progress {
	p := &progress{what: what, every: progressEvery}
	if isTerminal(stderr) {
		p.w = stderr
	}
	return p
}

// tick counts one entry and redraws the line every p.every entries. flush is
// called first so the line is not drawn above output still buffered.
func (p *progress) tick(flush func()) {
	p.n++
	if p.w == nil || p.n%p.every != 0 {
		return
	}
	if flush != nil {
		flush()
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s: read %d entries…", p.what, p.n)
	p.showing = true
}

// clear erases the progress line, if one is shown.
func (p *progress) clear() {
	if p.showing {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.showing = false
	}
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if n <= 0 {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// oneLine cleans s and shows its line breaks as "⏎", for the compact view.
func oneLine(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	parts := strings.Split(s, "\n")
	for i := range parts {
		parts[i] = clean(parts[i])
	}
	return strings.Join(parts, "⏎")
}
