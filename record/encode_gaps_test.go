package record

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// gapFixedFields are the string fields the encoder may leave out of the
// free-text scan (see textGaps): the gateway makes them. Every other
// string field is a client's or an operator's text and must be scanned.
var gapFixedFields = map[string]string{
	"Event.Kind":              "decision",
	"Identity.Kind":           "agent",
	"Request.Protocol":        "postgres",
	"Decision.ID":             "0123456789abcdef0123456789abcdef",
	"Decision.Action":         "allow",
	"Decision.RuleSetVersion": "sha256:48e73d70f2804257",
	"Output.DecisionID":       "0123456789abcdef0123456789abcdef",
}

// gapFiller sets every field of a value it can reach: strings to distinct
// markers (the fixed fields to a plausible value), numbers, booleans and
// times to something, pointers, slices and maps to one filled element.
type gapFiller struct {
	n       int
	markers []string
	owners  []string // the field of each marker
}

func (f *gapFiller) marker(owner string) string {
	f.n++
	m := fmt.Sprintf("clienttext%03dx", f.n)
	f.markers = append(f.markers, m)
	f.owners = append(f.owners, owner)
	return m
}

func (f *gapFiller) fill(v reflect.Value, owner string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeFor[*gate.ApprovalInfo]() || v.Type() == reflect.TypeFor[*gate.Session]() {
			return // approvals take encoding/json; Session is not encoded
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), owner)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 5, 18, 0, 0, 123, time.UTC)))
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() || sf.Tag.Get("json") == "-" {
				continue
			}
			name := t.Name() + "." + sf.Name
			if fixed, ok := gapFixedFields[name]; ok {
				v.Field(i).SetString(fixed)
				continue
			}
			f.fill(v.Field(i), name)
		}
	case reflect.String:
		v.SetString(f.marker(owner))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Uint8:
		v.SetUint(7)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// Byte fields are written in base64, a gap of the JSON scan:
			// freeTextSecrets reads them raw.
			v.SetBytes([]byte("raw bytes of " + owner))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		f.fill(s.Index(0), owner)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		val := reflect.New(v.Type().Elem()).Elem()
		f.fill(val, owner)
		m.SetMapIndex(reflect.ValueOf(f.marker(owner)), val)
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(f.marker(owner)))
	default:
		panic(fmt.Sprintf("gapFiller: %s (%s)", v.Kind(), owner))
	}
}

// gapText is what a gap may hold: fields the gateway makes, each with its
// key, or the base64 of a byte field.
var gapText = regexp.MustCompile(`^(?:,?"(?:kind|time|protocol|read_only|has_where|opaque|volatile|heavy|id|action|rule_set_version|fail_open|cached|elapsed_ns|decision_id|truncated|final|exit_status|exit_core_dumped|requests|denied|start)":(?:true|false|-?[0-9]+|"[^"\\]*"))+$|^[A-Za-z0-9+/]+=*$`)

// TestTextGapsHoldNoClientText: whatever the event, the parts of its JSON
// the free-text scan skips hold only the fields the gateway makes (so a
// field added to gate.Event is scanned until it is listed on purpose),
// never a byte of text a client or an operator wrote.
func TestTextGapsHoldNoClientText(t *testing.T) {
	for _, kind := range []gate.EventKind{gate.EventDecision, gate.EventOutput, gate.EventSessionStart, gate.EventSessionEnd, gate.EventRefused} {
		f := &gapFiller{}
		var e gate.Event
		f.fill(reflect.ValueOf(&e).Elem(), "Event")
		e.Kind = kind
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"time":"2026-12-05T18:00:00.000000123Z"`)) || gaps.n < 5 {
			t.Fatalf("%s: the encoder did not write the event itself (%d gaps): %s", kind, gaps.n, b)
		}
		for _, g := range gaps.list() {
			if text := b[g[0]:g[1]]; !gapText.Match(text) {
				t.Errorf("%s: gap %q holds more than the gateway's fields", kind, text)
			}
		}
		for k, m := range f.markers {
			if !bytes.Contains(b, []byte(m)) {
				t.Errorf("%s: marker %s of %s not written (its field is not encoded)", kind, m, f.owners[k])
			}
			for off := 0; ; {
				i := bytes.Index(b[off:], []byte(m))
				if i < 0 {
					break
				}
				at := off + i
				for _, g := range gaps.list() {
					if at < g[1] && at+len(m) > g[0] {
						t.Errorf("%s: client text %s at %d inside gap %v: %q", kind, m, at, g, b[g[0]:g[1]])
					}
				}
				off = at + len(m)
			}
		}
		if len(f.markers) < 40 {
			t.Fatalf("%s: only %d markers: the filler misses fields", kind, len(f.markers))
		}
	}
}

// TestTextGapStatementSameAsCommand: a statement's text is skipped only
// when it is the request's command, byte for byte, which is scanned.
func TestTextGapStatementSameAsCommand(t *testing.T) {
	const text = "SELECT 1 WHERE password = 'hunter2hunter2'"
	for _, tc := range []struct {
		stmt string
		skip bool
	}{{text, true}, {text + " ", false}, {strings.ToLower(text), false}} {
		e := gate.Event{Kind: gate.EventDecision, SessionID: "s", Request: &gate.Request{Protocol: "postgres", Command: text,
			SQL: &gate.SQL{Statements: []gate.SQLStatement{{Kind: "SELECT", Text: tc.stmt}}}}}
		var gaps textGaps
		b, _, err := appendEventGaps(nil, &e, &gaps)
		if err != nil {
			t.Fatal(err)
		}
		skipped := false
		for _, g := range gaps.list() {
			gap := string(b[g[0]:g[1]])
			if strings.Contains(gap, `"text":`) {
				skipped = true
				copyOf := `,"text":"` + text + `"`
				rest, ok := strings.CutPrefix(gap, copyOf)
				if !ok || rest != "" && !gapText.MatchString(rest) || !bytes.Contains(b[:g[0]], []byte(`"command":"`+text+`"`)) {
					t.Errorf("gap %q is not the command's copy", gap)
				}
			}
		}
		if skipped != tc.skip {
			t.Errorf("statement %q: skipped %v, want %v", tc.stmt, skipped, tc.skip)
		}
		r := &redactor{key: []byte("0123456789abcdef0123456789abcdef"), names: mask.CompileSecretNames(nil), nameFilter: newNameFilter(nil)}
		out, err := r.body(e)
		if err != nil || bytes.Contains(out, []byte("hunter2hunter2")) {
			t.Errorf("statement %q: stored %s (%v)", tc.stmt, out, err)
		}
	}
}
