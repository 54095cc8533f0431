package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// marshalEvent returns the JSON of e, byte for byte what json.Marshal(e)
// returns. Most events take appendEvent, which needs no reflection; the rest
// (approval steps, values it does not know) take encoding/json.
func marshalEvent(e *gate.Event) ([]byte, error) {
	b, _, err := marshalEventSpans(e)
	return b, err
}

// marshalEventSpans is marshalEvent, also returning where the base64 of
// e's byte fields is in the JSON (see byteFieldSpans).
func marshalEventSpans(e *gate.Event) ([]byte, [][2]int, error) {
	return appendEventGaps(make([]byte, 0, sizeHint(e)), e, nil)
}

// appendEventGaps is marshalEventSpans appending to b (what it returns is
// b's array when b has room and the encoder knows e), also setting gaps,
// when not nil, to what the free-text scan of the JSON skips (see
// textGaps; where encoding/json writes e, only the byte fields' base64).
func appendEventGaps(b []byte, e *gate.Event, gaps *textGaps) ([]byte, [][2]int, error) {
	b, spans, err := appendEventMemo(b, e, gaps, nil)
	return b, spans.list(), err
}

// byteSpans are where the base64 of an event's byte fields is in its JSON
// (see byteFieldSpans), held without an allocation until list.
type byteSpans struct {
	s [2][2]int
	n int
}

// list returns the spans (nil: none).
func (s *byteSpans) list() [][2]int {
	if s.n == 0 {
		return nil
	}
	return append([][2]int(nil), s.s[:s.n]...)
}

// appendEventMemo is appendEventGaps with memo, the scan memory of e's
// session and kind (nil: none), whose copy of the identity's JSON it
// writes when e's identity is the one it kept (see identityMemo); the
// spans are returned as they are, for the caller to list if it needs them.
// The encoder notes the gaps in *gaps itself (a textGaps is some 500
// bytes: written in place, not copied out of the encoder).
func appendEventMemo(b []byte, e *gate.Event, gaps *textGaps, memo *scanMemo) ([]byte, byteSpans, error) {
	if gaps == nil {
		var own textGaps
		return appendEventInto(b, e, &own, memo)
	}
	return appendEventInto(b, e, gaps, memo)
}

// appendEventInto is appendEventMemo with gaps set; what it held before
// is dropped.
func appendEventInto(b []byte, e *gate.Event, gaps *textGaps, memo *scanMemo) ([]byte, byteSpans, error) {
	gaps.n = 0
	enc := encoder{memo: memo, gaps: gaps}
	if b := enc.event(b, e); !enc.bad {
		return b, byteSpans{s: enc.spans, n: enc.nspans}, nil
	}
	b, err := json.Marshal(*e) // a copy, so that e need not escape on the fast path
	if err != nil {
		return nil, byteSpans{}, fmt.Errorf("record: encode %s event: %w", e.Kind, err)
	}
	var spans byteSpans
	for _, sp := range byteFieldSpans(e, b) { // at most two: payload and data
		spans.s[spans.n] = sp
		spans.n++
	}
	gaps.n = 0
	for _, s := range spans.s[:spans.n] {
		gaps.add(s[0], s[1])
	}
	return b, spans, nil
}

// appendEvent appends the JSON of e to b, as json.Marshal writes it. It
// reports false when e holds something it does not encode; b is then to be
// dropped and the caller falls back to encoding/json.
func appendEvent(b []byte, e *gate.Event) ([]byte, bool) {
	var gaps textGaps
	enc := encoder{gaps: &gaps}
	b = enc.event(b, e)
	return b, !enc.bad
}

// sizeHint guesses the length of e's JSON, so that it is built in one
// allocation most of the time.
func sizeHint(e *gate.Event) int {
	n := 320
	if r := e.Request; r != nil {
		n += 256 + 2*len(r.Command) + len(r.Payload)*4/3
	}
	if e.Decision != nil {
		n += 256
	}
	if o := e.Output; o != nil {
		n += len(o.Data) * 4 / 3
	}
	return n
}

// encoder writes the JSON of gate.Event without reflection. It mirrors the
// struct tags of package gate field by field: every field is written where
// encoding/json writes it, omitempty fields only when encoding/json would.
// bad is set at the first value it cannot write as encoding/json does (a
// time outside RFC 3339, a NaN, a type it does not know); the output is
// then garbage and the caller falls back. The output is passed and
// returned as a slice, not kept in the encoder, so that appending needs no
// write barrier.
type encoder struct {
	bad bool
	// spans are where the base64 of the byte fields (payload, data) was
	// written, in order (see byteFieldSpans).
	spans  [2][2]int
	nspans int
	// gaps are what the free-text scan of the JSON skips (see textGaps),
	// the caller's, written in place.
	gaps *textGaps
	// memo is the scan memory of the event's session and kind (nil: none).
	memo *scanMemo
	// first is the quoted form of firstTime, the first time written by
	// appendUTC (firstLen 0: none).
	firstTime time.Time
	first     [len(`"2006-01-02T15:04:05.999999999Z"`)]byte
	firstLen  int
}

func (e *encoder) event(b []byte, ev *gate.Event) []byte {
	if ev.Approval != nil {
		e.bad = true
		return b
	}
	start := len(b)
	b = append(b, `{"kind":`...)
	b = e.fixed(appendString(b, string(ev.Kind)), start+1)
	b = append(b, `,"session_id":`...)
	b = appendString(b, ev.SessionID)
	b = e.fixedTime(b, `,"time":`, ev.Time)
	if ev.Identity != nil {
		b = append(b, `,"identity":`...)
		b = e.identityMemo(b, ev.Identity, e.memo)
	}
	if ev.Session != nil {
		b = append(b, `,"session":`...)
		b = e.session(b, ev.Session)
	}
	if ev.Request != nil {
		b = append(b, `,"request":`...)
		b = e.request(b, ev.Request)
	}
	if ev.Decision != nil {
		b = append(b, `,"decision":`...)
		b = e.decision(b, ev.Decision)
	}
	if ev.Output != nil {
		b = append(b, `,"output":`...)
		b = e.output(b, ev.Output)
	}
	if ev.Label != nil {
		b = append(b, `,"label":`...)
		b = e.label(b, ev.Label)
	}
	b = optStr(b, `,"error":`, ev.Error)
	return append(b, '}')
}

func (e *encoder) identity(b []byte, id *gate.Identity) []byte {
	b = append(b, `{"subject":`...)
	b = appendString(b, id.Subject)
	b = optStr(b, `,"name":`, id.Name)
	b = optStrings(b, `,"groups":`, id.Groups)
	if len(id.Claims) > 0 {
		b = append(b, `,"claims":`...)
		b = e.object(b, id.Claims, 1)
	}
	start := len(b)
	b = e.fixed(optStr(b, `,"kind":`, string(id.Kind)), start)
	return append(b, '}')
}

func (e *encoder) session(b []byte, s *gate.SessionInfo) []byte {
	b = append(b, `{"protocol":`...)
	b = appendString(b, s.Protocol)
	b = optStr(b, `,"target":`, s.Target)
	b = optStr(b, `,"client_addr":`, s.ClientAddr)
	b = optStr(b, `,"run":`, s.Run)
	b = e.fixedTime(b, `,"start":`, s.Start)
	b = optStr(b, `,"reason":`, s.Reason)
	start := len(b)
	b = optInt(b, `,"requests":`, s.Requests)
	b = optInt(b, `,"denied":`, s.Denied)
	b = e.fixed(optTrue(b, `,"fail_open":`, s.FailOpen), start)
	return append(b, '}')
}

func (e *encoder) label(b []byte, l *gate.Label) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, l.Name)
	b = e.fixedTime(b, `,"time":`, l.Time)
	b = append(b, `,"source":`...)
	b = appendString(b, l.Source)
	b = optStr(b, `,"session_id":`, l.SessionID)
	b = optStr(b, `,"decision_id":`, l.DecisionID)
	b = optStr(b, `,"request":`, l.Request)
	return append(b, '}')
}

func (e *encoder) output(b []byte, o *gate.Output) []byte {
	b = append(b, '{')
	start := len(b)
	b = e.fixed(optStr(b, `,"decision_id":`, o.DecisionID), start) // made by the gate
	b = optStr(b, `,"stream":`, o.Stream)
	b = e.bytesField(b, `,"data":`, o.Data)
	if len(o.Findings) > 0 {
		b = append(b, `,"findings":[`...)
		for i, f := range o.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"detector":`...)
			b = appendString(b, f.Detector)
			b = optStr(b, `,"field":`, f.Field)
			b = appendInt(b, `,"count":`, int64(f.Count))
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	flags := len(b)
	b = optTrue(b, `,"truncated":`, o.Truncated)
	b = optTrue(b, `,"final":`, o.Final)
	if o.ExitStatus != nil {
		b = appendInt(b, `,"exit_status":`, int64(*o.ExitStatus))
	}
	b = e.fixed(b, flags)
	b = optStr(b, `,"exit_signal":`, o.ExitSignal)
	core := len(b)
	b = e.fixed(optTrue(b, `,"exit_core_dumped":`, o.ExitCoreDumped), core)
	b = optStr(b, `,"exit_message":`, o.ExitMessage)
	return e.closeObj(b, start)
}

// optBytes writes a non-empty byte slice in base64, as encoding/json does.
func optBytes(b []byte, key string, p []byte) []byte {
	if len(p) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '"')
	b = appendBase64(b, p)
	return append(b, '"')
}

// bytesField is optBytes, noting where the base64 of p is written.
func (e *encoder) bytesField(b []byte, key string, p []byte) []byte {
	n := len(b)
	b = optBytes(b, key, p)
	if len(b) > n && e.nspans < len(e.spans) {
		e.spans[e.nspans] = [2]int{n + len(key) + 1, len(b) - 1}
		e.nspans++
		e.gaps.add(n+len(key)+1, len(b)-1)
	}
	return b
}
