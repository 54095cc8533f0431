package gate

import (
	"encoding/json"
	"strconv"
	"strings"
)

// structural are the bytes that give text its structure in the protocols
// reviewers read (shell, HTTP header and query lines, paths): quotes,
// escapes, expansions, separators, comments, line breaks. A value a mask
// replaces never holds one; a mask that covers one covers structure.
const structural = "\r\n;|&()<>{}$`'\"\\#"

// plainText masks text that is not SQL for reviewers so that no mask
// covers structure: a detector that reads a quoted value to the quote it
// expects (past a backslash the shell or the upstream does not treat as
// an escape, or into the next header line), a private-key block, PASSWORD
// before a $tag$, would otherwise hide a command or a header behind one
// mask. When the whole-text mask covers a structural byte, the text is
// masked again a run of other bytes at a time (with the text before the
// run read along), and every structural byte is shown as it is.
func (m displayMasker) plainText(s string) (string, bool) {
	out, ok := m.text("", s)
	if !ok || out == s || !hidesStructure(s, out) {
		return out, ok
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && strings.IndexByte(structural, s[j]) < 0 {
			j++
		}
		if j == i {
			b.WriteByte(s[i])
			i++
			continue
		}
		o, ok := m.run(runContext(s, i), s[i:j])
		if !ok {
			return "", false
		}
		b.WriteString(o)
		i = j
	}
	return b.String(), true
}

// runContext returns the text read along with the run at s[i]: the run of
// bytes without structure before it, with the quote that opens the run
// (password='...'), so that no mask read along can start before a
// structural byte and reach into the run.
func runContext(s string, i int) string {
	j := i
	if j > 0 && strings.IndexByte("'\"`", s[j-1]) >= 0 {
		j--
	}
	for j > 0 && strings.IndexByte(structural, s[j-1]) < 0 {
		j--
	}
	return tail(s[j:i], contextBytes)
}

// hidesStructure reports whether masked, the mask of s, replaced a
// structural byte: the part of s between what the two have in common at
// either end holds every replaced byte.
func hidesStructure(s, masked string) bool {
	p := 0
	for p < len(s) && p < len(masked) && s[p] == masked[p] {
		p++
	}
	q := 0
	for q < len(s)-p && q < len(masked)-p && s[len(s)-1-q] == masked[len(masked)-1-q] {
		q++
	}
	return strings.ContainsAny(s[p:len(s)-q], structural)
}

// run masks a run of bytes without structure, with ctx (the text before
// it) read along; what replaces it holds no structural byte, or the run
// is hidden whole.
func (m displayMasker) run(ctx, r string) (string, bool) {
	in := ctx + r
	out, ok := m.text("", in)
	if !ok {
		return "", false
	}
	if out == in {
		return r, true
	}
	mctx, ok := m.text("", ctx)
	if !ok {
		return "", false
	}
	if shown, cut := strings.CutPrefix(out, mctx); cut && shown != "" && !strings.ContainsAny(shown, structural) {
		return shown, true
	}
	return hiddenValue, true
}

// showPlain masks with plainText the command and the parts of a request
// that is not SQL whose text details took from the request as it is, and
// returns the command to show.
func showPlain(det *ReviewDetails, m displayMasker, req *Request) string {
	for label, orig := range plainParts(req) {
		for i := range det.Items {
			if it := &det.Items[i]; it.Label == label && it.Text != "" {
				if len(orig) > MaxDisplayBytes {
					orig = orig[:MaxDisplayBytes]
				}
				out, ok := m.plainText(orig)
				if !ok {
					it.Text, it.Omitted = "", strings.TrimSpace(it.Omitted+" could not be masked for display")
					det.Undisplayable = true
					continue
				}
				it.Text = visible(out, markHidden)
			}
		}
	}
	out, ok := m.plainText(req.Command)
	if !ok {
		return "[the command could not be masked for display]"
	}
	return visible(out, markHidden)
}

// plainParts maps the labels of the parts details shows as text to the
// text they show, before masking. JSON bodies are left out: they are
// masked as JSON.
func plainParts(req *Request) map[string]string {
	parts := map[string]string{}
	body := func(label string) {
		if len(req.Payload) > 0 && !json.Valid(req.Payload) && printable(req.Payload) {
			parts[label] = string(req.Payload)
		}
	}
	switch {
	case req.HTTP != nil:
		h := req.HTTP
		parts["Method"], parts["Path"], parts["Host"] = h.Method, h.Path, h.Host
		parts["Query"], parts["Headers"] = pairs(h.Query, "="), pairs(h.Headers, ": ")
		body("Body")
	case req.SSH != nil:
		x := req.SSH
		parts["Kind"], parts["Command"] = x.Kind, cmpOr(x.Command, req.Command)
		parts["Subsystem"], parts["Operation"], parts["Path"], parts["Target path"] = x.Subsystem, x.Operation, x.Path, x.TargetPath
		parts["Environment"] = strings.TrimSuffix(x.EnvName+"="+x.EnvValue, "=")
		if x.Host != "" {
			parts["Forward to"] = x.Host + ":" + strconv.Itoa(x.Port)
		}
		body("Data")
	case req.Tool != nil:
		parts["Kind"], parts["Name"], parts["URI"] = req.Tool.Kind, req.Tool.Name, req.Tool.URI
	default:
		parts["Command"] = req.Command
		body("Payload")
	}
	return parts
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
