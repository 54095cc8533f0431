package record

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

// appendOutputEvent encodes an output event without reflection: output
// events are most of a record, and this is their hot path. It reports false
// when e holds something it does not encode (identity claims), and the
// caller falls back to encoding/json. The result decodes to the same
// gate.Event as json.Marshal's.
func appendOutputEvent(b []byte, e *gate.Event) ([]byte, bool) {
	if e.Kind != gate.EventOutput || e.Output == nil || e.Session != nil || e.Request != nil ||
		e.Decision != nil || e.Approval != nil || e.Error != "" || (e.Identity != nil && e.Identity.Claims != nil) {
		return b, false
	}
	b = append(b, `{"kind":"output","session_id":`...)
	b = appendString(b, e.SessionID)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if id := e.Identity; id != nil {
		b = append(b, `,"identity":{"subject":`...)
		b = appendString(b, id.Subject)
		if id.Name != "" {
			b = append(b, `,"name":`...)
			b = appendString(b, id.Name)
		}
		if len(id.Groups) > 0 {
			b = append(b, `,"groups":[`...)
			for i, g := range id.Groups {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, g)
			}
			b = append(b, ']')
		}
		if id.Kind != "" {
			b = append(b, `,"kind":`...)
			b = appendString(b, string(id.Kind))
		}
		b = append(b, '}')
	}
	o := e.Output
	b = append(b, `,"output":{`...)
	sep := false
	field := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	if o.DecisionID != "" {
		field("decision_id")
		b = appendString(b, o.DecisionID)
	}
	if o.Stream != "" {
		field("stream")
		b = appendString(b, o.Stream)
	}
	if len(o.Data) > 0 {
		field("data")
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, o.Data)
		b = append(b, '"')
	}
	if len(o.Findings) > 0 {
		field("findings")
		b = append(b, '[')
		for i, f := range o.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"detector":`...)
			b = appendString(b, f.Detector)
			if f.Field != "" {
				b = append(b, `,"field":`...)
				b = appendString(b, f.Field)
			}
			b = append(b, `,"count":`...)
			b = strconv.AppendInt(b, int64(f.Count), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if o.Truncated {
		field("truncated")
		b = append(b, "true"...)
	}
	if o.Final {
		field("final")
		b = append(b, "true"...)
	}
	if o.ExitStatus != nil {
		field("exit_status")
		b = strconv.AppendInt(b, int64(*o.ExitStatus), 10)
	}
	if o.ExitSignal != "" {
		field("exit_signal")
		b = appendString(b, o.ExitSignal)
	}
	if o.ExitCoreDumped {
		field("exit_core_dumped")
		b = append(b, "true"...)
	}
	if o.ExitMessage != "" {
		field("exit_message")
		b = appendString(b, o.ExitMessage)
	}
	b = append(b, "}}"...)
	return b, true
}
