package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/record"
)

// compactWidth bounds the recorded text on a line of the compact view.
const compactWidth = 120

// printer writes the replay transcript: one line per entry, or with detail,
// one line plus indented detail lines. Everything that came from the record
// goes through clean before it is printed (and painted).
type printer struct {
	w      *bufio.Writer
	pal    palette
	detail bool
	// tag prefixes every line with the session id, for interleaved
	// sessions (--follow without --session).
	tag   bool
	prog  *progress
	start map[string]int64 // first entry time per session
}

func (pr *printer) out(s string) {
	if pr.prog != nil {
		pr.prog.clear()
	}
	pr.w.WriteString(s)
	pr.w.WriteByte('\n')
}

func (pr *printer) blank() { pr.out("") }

func (pr *printer) header(id string) {
	pr.out(pr.pal.paint(sgrBold, "session "+clean(id)))
}

func (pr *printer) problem(msg string) {
	pr.out(pr.pal.paint(sgrBoldRed, "!! "+clean(msg)))
}

// line prints one event line: time, label (padded, then painted) and text.
func (pr *printer) line(e *record.Event, label, sgr, text string) {
	start, ok := pr.start[e.SessionID]
	if !ok {
		start = e.Time
		pr.start[e.SessionID] = start
	}
	var b strings.Builder
	if pr.tag {
		b.WriteString(pr.pal.paint(sgrBlue, clean(truncID(e.SessionID))))
		b.WriteByte(' ')
	}
	b.WriteString(pr.pal.paint(sgrDim, fmt.Sprintf("+%9.3fs", float64(e.Time-start)/1e9)))
	b.WriteString("  ")
	b.WriteString(pr.pal.paint(sgr, fmt.Sprintf("%-10s", label)))
	b.WriteByte(' ')
	b.WriteString(text)
	pr.out(strings.TrimRight(b.String(), " "))
}

// more prints a detail line under the current event.
func (pr *printer) more(key, value string) {
	ind := strings.Repeat(" ", 24)
	if pr.tag {
		ind += strings.Repeat(" ", 9)
	}
	pr.out(ind + pr.pal.paint(sgrDim, key+":") + " " + value)
}

func truncID(id string) string {
	if utf8Len := len([]rune(id)); utf8Len > 8 {
		return string([]rune(id)[:8])
	}
	return id
}

// text cleans recorded text for the current view: in the compact view it
// becomes one shortened line.
func (pr *printer) text(s string) string {
	if pr.detail {
		return oneLine(s)
	}
	return truncate(oneLine(s), compactWidth)
}

func (pr *printer) dim(s string) string { return pr.pal.paint(sgrDim, s) }

func who(id *gate.Identity) string {
	if id == nil {
		return "-"
	}
	s := orDash(clean(id.Subject))
	if id.Name != "" {
		s += " (" + clean(id.Name) + ")"
	}
	return s
}

// entry prints one record entry.
func (pr *printer) entry(e record.Event) {
	if cp := e.Checkpoint; cp != nil {
		if !cp.Final && !pr.detail {
			return // intermediate checkpoints are noise in the compact view
		}
		what := "over seq " + strconv.FormatUint(cp.HeadSeq, 10)
		if cp.Final {
			what = "final, " + what
		}
		signed := "unsigned"
		if len(cp.Signature) > 0 {
			signed = "signed by key " + clean(cp.KeyID)
		}
		pr.line(&e, "checkpoint", sgrDim, what+" ("+signed+")")
		return
	}
	ev := e.Event
	if ev == nil {
		pr.line(&e, clean(e.Kind), sgrBoldRed, "(undecodable entry)")
		return
	}
	switch ev.Kind {
	case gate.EventSessionStart:
		si := ev.Session
		if si == nil {
			si = &gate.SessionInfo{}
		}
		kind := ""
		if ev.Identity != nil && ev.Identity.Kind != "" {
			kind = " [" + clean(string(ev.Identity.Kind)) + "]"
		}
		pr.line(&e, "start", sgrBold, fmt.Sprintf("%s %s%s -> %s from %s (%s)", clean(si.Protocol), who(ev.Identity), kind,
			orDash(clean(si.Target)), orDash(clean(si.ClientAddr)), time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano)))
		if si.FailOpen {
			pr.line(&e, "warning", sgrBoldRed, "the gate was configured to FAIL OPEN")
		}
		if pr.detail && ev.Identity != nil {
			pr.fields("identity", ev.Identity, nil)
		}
	case gate.EventSessionEnd:
		si := ev.Session
		if si == nil {
			si = &gate.SessionInfo{}
		}
		text := fmt.Sprintf("%s (requests %d, denied %d)", clean(si.Reason), si.Requests, si.Denied)
		if ev.Error != "" {
			text += ": " + pr.text(ev.Error)
		}
		pr.line(&e, "end", sgrBold, text)
	case gate.EventRequest:
		if ev.Request != nil {
			pr.line(&e, "request", sgrCyan, pr.text(ev.Request.Command))
			if pr.detail {
				pr.request(ev.Request)
			}
		}
	case gate.EventDecision:
		pr.decision(&e, ev)
	case gate.EventOutput:
		pr.output(&e, ev.Output)
	case gate.EventError:
		pr.line(&e, "error", sgrBoldRed, pr.text(ev.Error))
	default:
		if a := ev.Approval; a != nil && strings.HasPrefix(string(ev.Kind), "approval_") {
			pr.approval(&e, ev.Kind, a)
			return
		}
		pr.line(&e, clean(string(ev.Kind)), sgrMagenta, pr.text(ev.Error))
	}
}

func (pr *printer) decision(e *record.Event, ev *gate.Event) {
	d := ev.Decision
	if d == nil {
		cmd := ""
		if ev.Request != nil {
			cmd = pr.text(ev.Request.Command)
		}
		pr.line(e, "decision", sgrBoldRed, cmd+" (no decision recorded)")
		return
	}
	label, sgr := string(d.Action), sgrBold
	switch d.Action {
	case gate.Allow:
		sgr = sgrGreen
	case gate.Deny:
		sgr = sgrBoldRed
	case gate.Review:
		label, sgr = "hold", sgrYellow
	}
	var text string
	switch {
	case ev.Request != nil:
		text = pr.text(ev.Request.Command)
	case d.ApprovalID != "":
		text = "(after review " + clean(d.ApprovalID) + ")"
	default:
		text = "(after review)"
	}
	note := "rule " + clean(d.Rule)
	if d.Reason != "" {
		note += ": " + pr.text(d.Reason)
	}
	text += "  " + pr.dim("["+note+"]")
	if len(d.Mask) > 0 {
		text += " " + pr.pal.paint(sgrCyan, "[mask "+clean(strings.Join(d.Mask, ", "))+"]")
	}
	if len(d.Errors) > 0 {
		text += " " + pr.pal.paint(sgrBoldRed, fmt.Sprintf("[%d error(s)]", len(d.Errors)))
	}
	if d.FailOpen {
		text += " " + pr.pal.paint(sgrBoldRed, "[FAIL-OPEN]")
	}
	pr.line(e, label, sgr, text)
	if !pr.detail {
		return
	}
	if ev.Request != nil {
		pr.request(ev.Request)
	}
	pr.fields("decision", d, map[string]bool{"action": true, "reason": true, "errors": true, "time": true})
	for _, msg := range d.Errors {
		pr.more("error", pr.pal.paint(sgrBoldRed, clean(msg)))
	}
}

func (pr *printer) request(r *gate.Request) {
	if r.Protocol != "" {
		pr.more("protocol", clean(r.Protocol))
	}
	if strings.ContainsAny(r.Command, "\r\n") || len(r.Command) > compactWidth {
		pr.more("command", oneLine(r.Command))
	}
	if len(r.Payload) > 0 {
		pr.more("payload", fmt.Sprintf("%d bytes: %s", len(r.Payload), truncate(oneLine(string(r.Payload)), 4*compactWidth)))
	}
	pr.fields("", r, map[string]bool{"protocol": true, "command": true, "payload": true, "time": true})
}

func (pr *printer) output(e *record.Event, o *gate.Output) {
	if o == nil {
		return
	}
	label := clean(o.Stream)
	if label == "" {
		label = "output"
	}
	var notes []string
	for _, f := range o.Findings {
		n := clean(f.Detector)
		if pr.detail && f.Field != "" {
			n += " in " + clean(f.Field)
		}
		notes = append(notes, fmt.Sprintf("%s x%d", n, f.Count))
	}
	var tail []string
	if len(notes) > 0 {
		tail = append(tail, pr.pal.paint(sgrCyan, "[masked "+strings.Join(notes, ", ")+"]"))
	}
	if o.Truncated {
		tail = append(tail, pr.pal.paint(sgrYellow, "[truncated in the record]"))
	}
	if o.ExitStatus != nil {
		sgr := sgrDim
		if *o.ExitStatus != 0 {
			sgr = sgrYellow
		}
		tail = append(tail, pr.pal.paint(sgr, fmt.Sprintf("[exit %d]", *o.ExitStatus)))
	}
	suffix := ""
	if len(tail) > 0 {
		suffix = "  " + strings.Join(tail, " ")
	}
	if !pr.detail {
		pr.line(e, label, sgrCyan, "| "+truncate(oneLine(string(o.Data)), compactWidth)+suffix)
		return
	}
	text := strings.TrimRight(strings.ReplaceAll(string(o.Data), "\r\n", "\n"), "\n")
	lines := strings.Split(text, "\n")
	pr.line(e, label, sgrCyan, fmt.Sprintf("%d bytes%s", len(o.Data), suffix))
	ind := strings.Repeat(" ", 24)
	if pr.tag {
		ind += strings.Repeat(" ", 9)
	}
	for _, l := range lines {
		pr.out(ind + "| " + clean(l))
	}
}

func (pr *printer) approval(e *record.Event, kind gate.EventKind, a *gate.ApprovalInfo) {
	step := strings.TrimPrefix(string(kind), "approval_")
	line := step + " id " + clean(a.ID)
	label, sgr := "approval", sgrMagenta
	if a.Reviewer != nil {
		label = "vote"
		line += " reviewer " + who(a.Reviewer)
		if a.Approve {
			line += " " + pr.pal.paint(sgrGreen, "APPROVED")
		} else {
			line += " " + pr.pal.paint(sgrBoldRed, "REJECTED")
		}
	}
	if a.BreakGlass {
		line += " " + pr.pal.paint(sgrBoldRed, "(break glass)")
	}
	if len(a.Rules) > 0 {
		line += " [rules " + clean(strings.Join(a.Rules, ", ")) + "]"
	}
	if a.Reason != "" {
		line += ": " + pr.text(a.Reason)
	}
	pr.line(e, label, sgr, line)
	if pr.detail {
		pr.fields("", a, map[string]bool{"id": true, "rules": true, "reason": true, "approve": true, "break_glass": true})
	}
}

// fields prints the JSON fields of v, flattened to "path: value" lines,
// except the top-level keys in skip. Going through JSON keeps the detail
// view complete as the event types grow.
func (pr *printer) fields(prefix string, v any, skip map[string]bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return
	}
	for k := range skip {
		delete(m, k)
	}
	var out [][2]string
	flatten(prefix, m, &out)
	for _, kv := range out {
		k, v := kv[0], kv[1]
		// Durations are stored in nanoseconds.
		if strings.HasSuffix(k, "elapsed_ns") || strings.HasSuffix(k, "ttl") {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				k, v = strings.TrimSuffix(k, "_ns"), time.Duration(n).String()
			}
		}
		pr.more(clean(k), clean(v))
	}
}

func flatten(path string, v any, out *[][2]string) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			flatten(join(k), x[k], out)
		}
	case []any:
		if len(x) > 0 && allScalar(x) {
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = scalar(e)
			}
			*out = append(*out, [2]string{path, strings.Join(parts, ", ")})
			return
		}
		for i, e := range x {
			flatten(path+"["+strconv.Itoa(i)+"]", e, out)
		}
	default:
		if path != "" {
			*out = append(*out, [2]string{path, scalar(v)})
		}
	}
}

func allScalar(xs []any) bool {
	for _, x := range xs {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
