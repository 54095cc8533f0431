package gate

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/mask"
)

// MaxDisplayBytes bounds each part of a request shown to reviewers; a
// longer part is cut and marked, which makes the request undisplayable.
const MaxDisplayBytes = 64 << 10

// DisplayMask names the detectors that mask every review for display, on
// top of the mask directives of the rules that matched.
var DisplayMask = []string{"secrets", "credit_card", "iban", "us_ssn", "email"}

// ReviewDetails is the full payload of a held request as reviewers see it:
// every part the request forwards, masked, in display order. What cannot be
// shown (binary data, parts over MaxDisplayBytes, a payload the gate cannot
// decode) is marked as omitted and makes the request Undisplayable.
type ReviewDetails struct {
	Items []DetailItem `json:"items"`
	// Undisplayable is true when some part is not shown in full.
	Undisplayable bool `json:"undisplayable,omitempty"`
}

// DetailItem is one labelled part of a request.
type DetailItem struct {
	// Label names the part: "Method", "Path", "Query", "Headers", "Body",
	// "SQL", "Parameters", "Command", "Arguments", ...
	Label string `json:"label"`
	// Text is the part as text, masked (pretty-printed for JSON).
	Text string `json:"text,omitempty"`
	// Omitted, when set, says what of the part is not shown and why.
	Omitted string `json:"omitted,omitempty"`
}

// displaySecret stands for a secret of the request on a reviewer's screen.
// The masker reads the text after it is put in and leaves the tokens it
// emits, and this placeholder, alone: "[secret]" after
// "token=" or "Authorization: " was read as an assignment's value and
// shown as "[[PASSWORD_ASSIGNMENT]]".
const displaySecret = "[SECRET]"

// displayMasker masks text for reviewers: the request's secrets first, then
// the detectors of the policy.
type displayMasker struct {
	policy  *mask.Policy
	secrets []string
}

func (m displayMasker) text(field, s string) (string, bool) {
	s = maskSQLPasswords(s)
	for _, sec := range m.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, displaySecret)
		}
	}
	out, _, err := m.policy.Value(field, s)
	if err != nil {
		return "", false
	}
	return out, true
}

func (m displayMasker) json(doc []byte) (string, bool) {
	masked := doc
	if m.policy != nil {
		out, _, err := m.policy.JSON(doc)
		if err == nil {
			masked = out
		}
	}
	var b bytes.Buffer
	if err := json.Indent(&b, masked, "", "  "); err != nil {
		return "", false
	}
	// Value masking on top catches what JSON masking skipped (a document it
	// refused for duplicate keys, the request's literal secrets).
	// Indent keeps white space around the document; inside it, white
	// space between tokens is normalised.
	out, ok := m.text("", strings.TrimSpace(b.String()))
	if !ok {
		return "", false
	}
	// Inside JSON strings, a \u escape means the same as the character, so
	// characters that would hide or reorder text are shown escaped.
	return visible(out, jsonEscape), true
}

// visible replaces every character of s that is not plainly visible
// (controls other than tab and line feed, bidirectional controls, zero-width
// and line separators) by esc(r), so what a reviewer reads is what is sent.
func visible(s string, esc func(rune) string) string {
	clean := true
	for _, r := range s {
		if hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			b.WriteString(esc(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hidden(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Cf, r) ||
		r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// jsonEscape writes r as a JSON escape (a surrogate pair above U+FFFF).
func jsonEscape(r rune) string {
	if r > 0xFFFF {
		a, b := utf16.EncodeRune(r)
		return fmt.Sprintf("\\u%04x\\u%04x", a, b)
	}
	return fmt.Sprintf("\\u%04x", r)
}

// markHidden shows a hidden character of text as [U+XXXX].
func markHidden(r rune) string { return fmt.Sprintf("[U+%04X]", r) }

// details builds what reviewers see of req, masked by pol, and the masked
// command.
func details(req *Request, pol *mask.Policy) (*ReviewDetails, string) {
	m := displayMasker{policy: pol, secrets: slices.Clone(req.Secrets)}
	// Longer secrets first, so a secret containing another is replaced whole.
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
	d := &ReviewDetails{}
	add := func(label, text string) {
		d.addText(m, label, text)
	}
	cmd, ok := m.text("", req.Command)
	if !ok {
		cmd = "[the command could not be masked for display]"
	}
	cmd = visible(cmd, markHidden)
	switch {
	case req.HTTP != nil:
		h := req.HTTP
		add("Method", h.Method)
		add("Path", h.Path)
		if h.Host != "" {
			add("Host", h.Host)
		}
		if len(h.Query) > 0 {
			add("Query", pairs(h.Query, "="))
		}
		if len(h.Headers) > 0 {
			add("Headers", pairs(h.Headers, ": "))
		}
		d.addBody(m, "Body", req.Payload, h.Body)
	case req.SQL != nil:
		add("SQL", req.Command)
		if len(req.SQL.Settings) > 0 {
			// What the statements mean depends on them: a date's reading,
			// which table an unqualified name is, whether triggers fire.
			names := make([]string, 0, len(req.SQL.Settings))
			for k := range req.SQL.Settings {
				names = append(names, k)
			}
			slices.Sort(names)
			var b strings.Builder
			for _, k := range names {
				fmt.Fprintf(&b, "%s = %s\n", k, req.SQL.Settings[k])
			}
			add("Settings", strings.TrimSuffix(b.String(), "\n"))
		}
		params := req.SQL.Params
		if params == nil && len(req.Payload) > 0 {
			var err error
			if params, err = bindParams(req.Payload); err != nil {
				d.omit("Parameters", fmt.Sprintf("the bound parameters (%d bytes) could not be decoded: %v", len(req.Payload), err))
				break
			}
		}
		if len(params) > 0 {
			var b strings.Builder
			var binaries []string
			for i, p := range params {
				if binaryParam.MatchString(p) {
					n := strings.TrimSuffix(strings.TrimPrefix(p, "<binary "), ">")
					fmt.Fprintf(&b, "$%d = [binary, %s: not shown]\n", i+1, n)
					binaries = append(binaries, fmt.Sprintf("$%d (binary, %s)", i+1, n))
					continue
				}
				fmt.Fprintf(&b, "$%d = %s\n", i+1, p)
			}
			add("Parameters", strings.TrimSuffix(b.String(), "\n"))
			if len(binaries) > 0 {
				last := &d.Items[len(d.Items)-1]
				last.Omitted = strings.TrimSpace(last.Omitted + " " + strings.Join(binaries, ", "))
				d.Undisplayable = true
			}
		}
	case req.SSH != nil:
		x := req.SSH
		add("Kind", x.Kind)
		if x.Command != "" {
			add("Command", x.Command)
		} else if req.Command != "" {
			add("Command", req.Command)
		}
		for _, f := range []struct{ label, v string }{
			{"Subsystem", x.Subsystem}, {"Operation", x.Operation}, {"Path", x.Path}, {"Target path", x.TargetPath},
			{"Environment", strings.TrimSuffix(x.EnvName+"="+x.EnvValue, "=")},
		} {
			if f.v != "" {
				add(f.label, f.v)
			}
		}
		if x.Host != "" {
			add("Forward to", x.Host+":"+strconv.Itoa(x.Port))
		}
		d.addBody(m, "Data", req.Payload, nil)
	case req.Tool != nil:
		t := req.Tool
		if t.Kind != "" {
			add("Kind", t.Kind)
		}
		if t.Name != "" {
			add("Name", t.Name)
		}
		if t.URI != "" {
			add("URI", t.URI)
		}
		if len(req.Payload) > 0 {
			d.addBody(m, "Arguments", req.Payload, nil)
		} else if len(t.Args) > 0 {
			d.addBody(m, "Arguments", nil, t.Args)
		}
	default:
		add("Command", req.Command)
		d.addBody(m, "Payload", req.Payload, nil)
	}
	return d, cmd
}

var binaryParam = regexp.MustCompile(`^<binary [0-9]+ bytes>$`)

// recordedDigest is how the HTTP gateway stands in for a body above its
// recording bound.
var recordedDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64} length:([0-9]+)$`)

// omitted lists what is not shown, for messages.
func (d *ReviewDetails) omitted() string {
	var parts []string
	for _, it := range d.Items {
		if it.Omitted != "" {
			parts = append(parts, strings.ToLower(it.Label)+": "+it.Omitted)
		}
	}
	return strings.Join(parts, "; ")
}

func (d *ReviewDetails) omit(label, why string) {
	d.Items = append(d.Items, DetailItem{Label: label, Omitted: why})
	d.Undisplayable = true
}

// addText adds a part that is text by nature (a command, a path), cut at
// the display bound and masked.
func (d *ReviewDetails) addText(m displayMasker, label, s string) {
	cut := ""
	if len(s) > MaxDisplayBytes {
		cut = fmt.Sprintf("cut: %d of %d bytes shown", MaxDisplayBytes, len(s))
		s = s[:MaxDisplayBytes]
	}
	out, ok := m.text("", s)
	if !ok {
		d.omit(label, "could not be masked for display")
		return
	}
	out = visible(out, markHidden)
	d.Items = append(d.Items, DetailItem{Label: label, Text: out, Omitted: cut})
	if cut != "" {
		d.Undisplayable = true
	}
}

// addBody adds the payload a request forwards: raw bytes when the protocol
// kept them, else the decoded JSON value. JSON is pretty-printed; other
// text is shown as is; binary data and bodies the protocol replaced by a
// digest are marked.
func (d *ReviewDetails) addBody(m displayMasker, label string, raw []byte, decoded any) {
	if len(raw) == 0 && decoded == nil {
		return
	}
	if len(raw) == 0 {
		doc, err := json.Marshal(decoded)
		if err != nil {
			d.omit(label, "the decoded value could not be shown")
			return
		}
		raw = doc
	} else if sub := recordedDigest.FindSubmatch(raw); sub != nil {
		if n, _ := strconv.Atoi(string(sub[1])); n > len(raw) {
			d.omit(label, fmt.Sprintf("%d bytes, over the gateway's recording bound; only its digest is known (%s)", n, raw))
			return
		}
	}
	if len(raw) > MaxDisplayBytes {
		d.omit(label, fmt.Sprintf("%d bytes, over the display bound of %d", len(raw), MaxDisplayBytes))
		return
	}
	if json.Valid(raw) {
		if out, ok := m.json(raw); ok {
			d.Items = append(d.Items, DetailItem{Label: label, Text: out})
			return
		}
		d.omit(label, "could not be masked for display")
		return
	}
	if !printable(raw) {
		d.omit(label, fmt.Sprintf("binary, %d bytes", len(raw)))
		return
	}
	d.addText(m, label, string(raw))
}

// printable reports whether b is UTF-8 text without control characters
// other than tab and line breaks, so that what a reviewer reads is what is
// sent.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
		if unicode.Is(unicode.Bidi_Control, r) || r == '\u200b' || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

func pairs(m map[string][]string, sep string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range m[k] {
			b.WriteString(k + sep + v + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// bindParams decodes the parameter values of the PostgreSQL Bind messages
// in payload (as the postgres protocol passes them in Request.Payload).
// Text-format values are shown as text; binary-format values and text that
// is not printable are "<binary N bytes>"; a NULL is "NULL".
func bindParams(payload []byte) ([]string, error) {
	var out []string
	for len(payload) > 0 {
		if len(payload) < 5 || payload[0] != 'B' {
			return nil, fmt.Errorf("not a Bind message")
		}
		n := int(binary.BigEndian.Uint32(payload[1:5]))
		if n < 4 || 1+n > len(payload) {
			return nil, fmt.Errorf("truncated Bind message")
		}
		msg := payload[5 : 1+n]
		payload = payload[1+n:]
		vals, err := bindValues(msg)
		if err != nil {
			return nil, err
		}
		out = append(out, vals...)
	}
	return out, nil
}

func bindValues(b []byte) ([]string, error) {
	bad := fmt.Errorf("malformed Bind message")
	cstr := func() bool {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return false
		}
		b = b[i+1:]
		return true
	}
	u16 := func() (int, bool) {
		if len(b) < 2 {
			return 0, false
		}
		v := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		return v, true
	}
	portal := cstr()
	if !portal || !cstr() { // the portal name, then the statement name
		return nil, bad
	}
	nf, ok := u16()
	if !ok || len(b) < 2*nf {
		return nil, bad
	}
	formats := make([]int, nf)
	for i := range formats {
		formats[i], _ = u16()
	}
	np, ok := u16()
	if !ok {
		return nil, bad
	}
	out := make([]string, 0, np)
	for i := 0; i < np; i++ {
		if len(b) < 4 {
			return nil, bad
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			out = append(out, "NULL")
			continue
		}
		if int(l) > len(b) {
			return nil, bad
		}
		v := b[:l]
		b = b[l:]
		f := 0
		if nf == 1 {
			f = formats[0]
		} else if i < nf {
			f = formats[i]
		}
		if f != 0 || !printable(v) {
			out = append(out, fmt.Sprintf("<binary %d bytes>", len(v)))
			continue
		}
		out = append(out, "'"+strings.ReplaceAll(string(v), "'", "''")+"'")
	}
	return out, nil
}
