package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
)

// checkEncoder encodes n random events with enc and with json.Marshal and
// returns the first difference: bytes that differ, or enc accepting what
// encoding/json refuses. fast counts the events enc encoded itself.
func checkEncoder(enc func([]byte, *gate.Event) ([]byte, bool), n int, seed uint64) (fast int, err error) {
	g := &eventGen{r: rand.New(rand.NewPCG(seed, 19))}
	for i := 0; i < n; i++ {
		e := g.event()
		want, werr := json.Marshal(e)
		got, ok := enc(nil, &e)
		if !ok {
			continue
		}
		fast++
		if werr != nil {
			return fast, fmt.Errorf("event %d: encoded %s where encoding/json fails: %v", i, got, werr)
		}
		if !bytes.Equal(got, want) {
			return fast, fmt.Errorf("event %d differs:\nfast %s\njson %s", i, got, want)
		}
	}
	return fast, nil
}

// The hand-written encoder writes every event it accepts byte for byte as
// encoding/json does: the stored body, and so its hash, cannot depend on
// which path encoded it.
func TestEncoderMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	const n = 20000
	// One worker per core, each with a generator of its own (seeds 1, 101,
	// 201, ...): the first's events are the first of seed 1, as one
	// generator gave them; generating is most of the cost.
	workers := runtime.GOMAXPROCS(0)
	fasts := make([]int, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			count := n / workers
			if w == 0 {
				count += n % workers
			}
			fasts[w], errs[w] = checkEncoder(appendEvent, count, 1+100*uint64(w))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	fast := 0
	for _, f := range fasts {
		fast += f
	}
	// The guard is only as good as the share of events it puts through
	// the fast path.
	t.Logf("%d of %d random events took the fast path", fast, n)
	if fast < n/3 {
		t.Fatalf("only %d of %d random events took the fast path", fast, n)
	}
}

// marshalEvent (fast path or fallback) and json.Marshal agree on every
// event, errors included.
func TestMarshalEventMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	g := &eventGen{r: rand.New(rand.NewPCG(2, 19))}
	for i := 0; i < 5000; i++ {
		e := g.event()
		want, werr := json.Marshal(e)
		got, err := marshalEvent(&e)
		if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("event %d: got %s (%v), want %s (%v)", i, got, err, want, werr)
		}
	}
}

// The guard fails for encoders with the mistakes a hand-written encoder
// is likely to make.
func TestEncoderGuardCatchesBrokenEncoders(t *testing.T) {
	re := regexp.MustCompile
	mutants := map[string]func([]byte) []byte{
		"HTML not escaped":     func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<")) },
		"U+2028 not escaped":   func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`\u2028`), []byte("\u2028")) },
		"invalid UTF-8 kept":   func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`\ufffd`), []byte("\xff")) },
		"nil slice as empty":   func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`":null`), []byte(`":[]`)) },
		"omitempty field kept": func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"rules":[`), []byte(`"mask":[],"rules":[`)) },
		"a field dropped":      func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`,"cached":true`), nil) },
		"exponent not cleaned": func(b []byte) []byte { return re(`e-([1-9])\b`).ReplaceAll(b, []byte("e-0$1")) },
		"zone written as UTC":  func(b []byte) []byte { return re(`[+-]\d\d:\d\d"`).ReplaceAll(b, []byte(`Z"`)) },
		"nanoseconds cut":      func(b []byte) []byte { return re(`(T\d\d:\d\d:\d\d)\.\d+`).ReplaceAll(b, []byte("$1")) },
		"map keys not sorted": func(b []byte) []byte {
			return re(`\{"([^"]*)":("[^"]*"),"([^"]*)":`).ReplaceAll(b, []byte(`{"$3":$2,"$1":`))
		},
		"false bool omitted":     func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`,"has_where":false`), nil) },
		"zero int omitted":       func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`,"elapsed_ns":0`), nil) },
		"base64 URL alphabet":    func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("+"), []byte("-")) },
		"json.Number normalized": func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("1E+2"), []byte("100")) },
	}
	for name, mutate := range mutants {
		broken := func(b []byte, e *gate.Event) ([]byte, bool) {
			out, ok := appendEvent(b, e)
			return mutate(out), ok
		}
		if _, err := checkEncoder(broken, 20000, 1); err == nil {
			t.Errorf("the guard missed an encoder with %s", name)
		}
	}
}

// Events as the gateways record them take the fast path, and match.
func TestEncoderFastPathForGatewayEvents(t *testing.T) {
	code := 3
	tm := time.Date(2026, 11, 29, 1, 2, 3, 4005, time.UTC)
	events := []gate.Event{
		{Kind: gate.EventOutput, SessionID: "s", Time: tm, Output: &gate.Output{}},
		{Kind: gate.EventOutput, SessionID: "s\"\\\n<>&\u2028é\xff", Time: tm,
			Identity: &gate.Identity{Subject: "a\x00b", Name: "Zoë", Groups: []string{"x", "y\"z"}, Kind: gate.KindAgent, Claims: map[string]any{"b": 1.5, "a": []any{"x", nil}}},
			Output: &gate.Output{DecisionID: "d", Stream: "stdout", Data: []byte("\x00\x01binary\xff"),
				Findings:  []gate.Finding{{Detector: "email", Field: "f", Count: 2}, {Detector: "ssn", Count: 1}},
				Truncated: true, Final: true, ExitStatus: &code}},
		{Kind: gate.EventSessionStart, SessionID: "s", Time: tm, Identity: &gate.Identity{Subject: "u"},
			Session: &gate.SessionInfo{Protocol: "postgres", Target: "db", ClientAddr: "10.0.0.1:5", Start: tm}},
		{Kind: gate.EventSessionEnd, SessionID: "s", Time: tm, Identity: &gate.Identity{Subject: "u"},
			Session: &gate.SessionInfo{Protocol: "postgres", Start: tm, Reason: "client closed", Requests: 12, Denied: 1}},
	}
	for _, e := range benchEvents() {
		events = append(events, e)
	}
	for i, e := range events {
		got, ok := appendEvent(nil, &e)
		want, _ := json.Marshal(e)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("event %d (ok %v):\nfast %s\njson %s", i, ok, got, want)
		}
	}
}

// eventGen makes random gate.Events. It fills every exported field of
// every struct reachable from gate.Event (but those encoding/json skips),
// found by reflection, so that a field added to package gate and not to
// the encoder makes the guard fail. Values are chosen to be awkward:
// invalid UTF-8, control characters, <>&, U+2028, extreme numbers, nil
// versus empty slices and maps, zero times, zones, years out of range.
type eventGen struct {
	r *rand.Rand
	// stable makes the events the same on every run and machine: no
	// clock reading (the monotonic one included), no local zone.
	stable bool
}

func (g *eventGen) event() gate.Event {
	var e gate.Event
	g.fill(reflect.ValueOf(&e).Elem(), 0)
	if g.r.IntN(8) != 0 {
		e.Approval = nil // approval steps always take encoding/json
	}
	return e
}

var (
	timeType = reflect.TypeFor[time.Time]()
	anyType  = reflect.TypeFor[any]()
)

func (g *eventGen) fill(v reflect.Value, depth int) {
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(g.time()))
		return
	case v.Type() == anyType:
		if x := g.jsonValue(depth); x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(g.string())
	case reflect.Bool:
		v.SetBool(g.r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(g.int())
	case reflect.Pointer:
		if depth < 6 && g.r.IntN(4) != 0 {
			v.Set(reflect.New(v.Type().Elem()))
			g.fill(v.Elem(), depth+1)
		}
	case reflect.Slice:
		g.fillSlice(v, depth)
	case reflect.Map:
		g.fillMap(v, depth)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" || g.r.IntN(3) == 0 {
				continue
			}
			g.fill(v.Field(i), depth+1)
		}
	default:
		panic("eventGen: no generator for " + v.Type().String())
	}
}

func (g *eventGen) fillSlice(v reflect.Value, depth int) {
	switch g.r.IntN(5) {
	case 0:
		return // nil
	case 1:
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return
	}
	if v.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, g.r.IntN(40))
		for i := range b {
			b[i] = byte(g.r.Uint32())
		}
		v.SetBytes(b)
		return
	}
	n := 1 + g.r.IntN(3)
	s := reflect.MakeSlice(v.Type(), n, n)
	for i := 0; i < n; i++ {
		g.fill(s.Index(i), depth+1)
	}
	v.Set(s)
}

func (g *eventGen) fillMap(v reflect.Value, depth int) {
	switch g.r.IntN(5) {
	case 0:
		return // nil
	case 1:
		v.Set(reflect.MakeMap(v.Type()))
		return
	}
	m := reflect.MakeMap(v.Type())
	for n := g.r.IntN(20); n >= 0; n-- {
		val := reflect.New(v.Type().Elem()).Elem()
		g.fill(val, depth+1)
		m.SetMapIndex(reflect.ValueOf(g.string()), val)
	}
	v.Set(m)
}

// oddStrings are strings encoding/json escapes or replaces.
var oddStrings = []string{"", "plain", "<script>&amp;</script>", "\u2028\u2029", "\xff\xfe", "a\xe2\x80", "\xed\xa0\x80",
	"\x00\x01\x1f\x7f", "\b\f\n\r\t", `"\`, "é✓😀", "\ufffd", "hmac-sha256:", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}

func (g *eventGen) string() string {
	if g.r.IntN(3) == 0 {
		return oddStrings[g.r.IntN(len(oddStrings))]
	}
	const alphabet = "abcXYZ09 _-./:<>&'\"\\\x00\x1f\x7f\xc3\xa9\xe2\x80\xa8\xff\xf0\x9f\x98\x80"
	b := make([]byte, g.r.IntN(24))
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *eventGen) int() int64 {
	switch g.r.IntN(6) {
	case 0:
		return 0
	case 1:
		return math.MaxInt64
	case 2:
		return math.MinInt64
	case 3:
		return -g.r.Int64N(1000)
	}
	return g.r.Int64N(1 << 40)
}

// zones include offsets with seconds and offsets time.Time.MarshalJSON
// refuses (24 hours and more).
var zones = []*time.Location{time.UTC, time.Local, time.FixedZone("A", 3600), time.FixedZone("B", -(3*3600 + 30*60)),
	time.FixedZone("C", 5*3600+30*60+15), time.FixedZone("D", 23*3600+59*60), time.FixedZone("E", 24*3600), time.FixedZone("F", -25*3600)}

func (g *eventGen) time() time.Time {
	switch g.r.IntN(8) {
	case 0:
		return time.Time{}
	case 1:
		if g.stable {
			return time.Unix(1796587129, 718168843).UTC()
		}
		return time.Now() // with a monotonic reading
	}
	sec := g.r.Int64N(400e9) - 100e9 // years about -1200 to 14600
	if g.r.IntN(4) != 0 {
		sec = g.r.Int64N(4e9) // 1970 to 2096
	}
	t := time.Unix(sec, g.r.Int64N(1e9))
	if g.r.IntN(3) == 0 {
		t = t.Truncate(time.Second)
	}
	if g.r.IntN(3) == 0 {
		return t.UTC()
	}
	zone := zones[g.r.IntN(len(zones))]
	if g.stable && zone == time.Local {
		zone = time.FixedZone("L", 2*3600)
	}
	return t.In(zone)
}

var numbers = []json.Number{"", "0", "-0", "12", "-0.5e10", "1E+2", "01", "1.", "+1", ".5", "1e", "abc", " 1", "1 "}

var floats = []float64{0, math.Copysign(0, -1), 1, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64,
	math.SmallestNonzeroFloat64, 5e-324, 1.2e-9, math.Inf(1), math.NaN()}

// jsonValue returns a value as a decoded JSON document holds it, and now
// and then one encoding/json handles but the encoder does not.
func (g *eventGen) jsonValue(depth int) any {
	if depth > 9 {
		return g.string()
	}
	switch g.r.IntN(14) {
	case 0:
		return nil
	case 1:
		return g.string()
	case 2:
		return g.r.IntN(2) == 0
	case 3:
		if g.r.IntN(4) == 0 {
			return floats[g.r.IntN(len(floats))]
		}
		return (g.r.Float64() - 0.5) * math.Pow(10, float64(g.r.IntN(60)-30))
	case 4:
		return numbers[g.r.IntN(len(numbers))]
	case 5, 6, 7:
		var m map[string]any
		g.fillMap(reflect.ValueOf(&m).Elem(), depth+1)
		return m
	case 8, 9:
		var a []any
		g.fillSlice(reflect.ValueOf(&a).Elem(), depth+1)
		return a
	case 10:
		return []string{g.string()}
	case 11:
		return int(g.int())
	case 12:
		return g.int()
	}
	if g.r.IntN(4) == 0 {
		return int32(7) // unknown to the encoder: it falls back
	}
	return strings.Repeat("x", g.r.IntN(3))
}

// A request mayHoldSecrets rules out is one secretValues leaves alone, so
// body may store it without a copy.
func TestMayHoldSecretsCoversSecretValues(t *testing.T) {
	t.Parallel()
	r := &redactor{key: []byte("k"), names: mask.CompileSecretNames(nil)}
	g := &eventGen{r: rand.New(rand.NewPCG(3, 19))}
	skipped := 0
	for i := 0; i < 20000; i++ {
		var req gate.Request
		g.fill(reflect.ValueOf(&req).Elem(), 1)
		if g.r.IntN(2) == 0 {
			req.HTTP = nil
		}
		if mayHoldSecrets(&req) {
			continue
		}
		skipped++
		c := req
		if found, _, _ := r.secretValues(&c, nil); len(found) > 0 || !reflect.DeepEqual(c, req) {
			t.Fatalf("request %d: secretValues changed %+v (found %q)", i, req, found)
		}
	}
	if skipped < 100 {
		t.Fatalf("only %d requests were ruled out", skipped)
	}
}

// Where namedIn says a value holds no secret-named field, redactNamed
// finds nothing to replace and returns an equal copy: skipping it changes
// nothing.
func TestNamedInCoversRedactNamed(t *testing.T) {
	t.Parallel()
	r := &redactor{key: []byte("k"), names: mask.CompileSecretNames(nil)}
	g := &eventGen{r: rand.New(rand.NewPCG(6, 19))}
	names := []string{"password", "token", "api_key", "user", "Authorization", "x"}
	clean, named := 0, 0
	for i := 0; i < 20000; i++ {
		v := g.jsonValue(0)
		if m, ok := v.(map[string]any); ok && m != nil {
			m[names[g.r.IntN(len(names))]] = g.jsonValue(1)
		}
		if r.namedIn(v, false) {
			named++
			continue
		}
		clean++
		calls := 0
		out := r.redactNamed(v, false, func(s string) string { calls++; return "x" })
		if calls > 0 || fmt.Sprintf("%#v", out) != fmt.Sprintf("%#v", v) { // not DeepEqual: NaN
			t.Fatalf("value %d: namedIn false, but redactNamed replaced %d values of %#v", i, calls, v)
		}
	}
	if clean < 1000 || named < 1000 {
		t.Fatalf("%d clean and %d named values: the test needs both", clean, named)
	}
}

// TestEncoderRepeatedTimes: the encoder writes a time equal to the first
// one it wrote by copying that one's text; on events whose times are drawn
// from a small pool (equal times, one instant in several zones, with and
// without a monotonic reading, outside the years appendUTC writes) it
// must still write what encoding/json writes.
func TestEncoderRepeatedTimes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 5, 0, 0, 123456789, time.UTC)
	now := time.Now()
	pool := []time.Time{t0, t0, t0.Add(time.Nanosecond), t0.In(time.FixedZone("X", 7200)), t0.In(time.FixedZone("UTC", 0)),
		t0.Local(), now, now, now.Round(0), now.UTC(), time.Date(1969, 1, 1, 0, 0, 0, 5, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), {}}
	g := &eventGen{r: rand.New(rand.NewPCG(23, 29))}
	pick := func() time.Time { return pool[g.r.IntN(len(pool))] }
	fast := 0
	for i := range 20000 {
		e := g.event()
		e.Time = pick()
		if e.Request != nil {
			r := *e.Request
			r.Time = pick()
			e.Request = &r
		}
		if e.Decision != nil {
			d := *e.Decision
			d.Time = pick()
			e.Decision = &d
		}
		if e.Session != nil {
			s := *e.Session
			s.Start = pick()
			e.Session = &s
		}
		if e.Label != nil {
			l := *e.Label
			l.Time = pick()
			e.Label = &l
		}
		want, werr := json.Marshal(e)
		got, ok := appendEvent(nil, &e)
		if !ok {
			continue
		}
		fast++
		if werr != nil || !bytes.Equal(got, want) {
			t.Fatalf("event %d:\nfast %s\njson %s (%v)", i, got, want, werr)
		}
	}
	if fast < 20000/3 {
		t.Fatalf("only %d events took the fast path", fast)
	}
}
