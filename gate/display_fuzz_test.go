package gate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzDetailsShowEverything: whatever bytes a request forwards, reviewers
// either see them all (JSON may be re-indented, nothing else changes) or
// the review is marked undisplayable. Masking is off here so the property
// can compare bytes.
func FuzzDetailsShowEverything(f *testing.F) {
	for _, s := range []string{`{"to":"a","to":"b"}`, "plain text", "\x00bin", "sha256:" + strings.Repeat("0", 64) + " length:99", "[1,2", "a\u202eb", "\r\n\t"} {
		f.Add(uint8(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, proto uint8, payload []byte) {
		if len(payload) == 0 || strings.Contains(strings.ToLower(string(payload)), "password") {
			return
		}
		req := &Request{Command: "X", Payload: payload}
		label := ""
		switch proto % 4 {
		case 0:
			req.Protocol, req.HTTP, label = "http", &HTTP{Method: "POST", Path: "/"}, "Body"
		case 1:
			req.Protocol, req.Tool, label = "tool", &ToolCall{Name: "t"}, "Arguments"
		case 2:
			req.Protocol, req.SSH, label = "ssh", &SSH{Kind: "exec"}, "Data"
		default:
			req.Protocol, label = "other", "Payload"
		}
		d, _ := details(req, nil)
		var it *DetailItem
		for i := range d.Items {
			if d.Items[i].Label == label {
				it = &d.Items[i]
			}
		}
		if it == nil {
			t.Fatalf("payload %q not in the review at all", payload)
		}
		if d.Undisplayable {
			if it.Omitted == "" && len(payload) <= MaxDisplayBytes {
				t.Fatalf("undisplayable without saying why: %+v", it)
			}
			return
		}
		for _, r := range it.Text {
			if hidden(r) {
				t.Fatalf("shown with a hidden character %U: %q", r, it.Text)
			}
		}
		if json.Valid(payload) {
			var a, b any
			if json.Unmarshal(payload, &a) != nil || json.Unmarshal([]byte(it.Text), &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("JSON shown as %q, sent as %q", it.Text, payload)
			}
			return
		}
		// Text is shown as sent, a carriage return marked as [U+000D].
		if it.Text != visible(string(payload), markHidden) {
			t.Fatalf("shown %q, sent %q", it.Text, payload)
		}
	})
}
