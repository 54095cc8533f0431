package httpgate

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// fieldsNotMasked are the response headers whose values the masker leaves
// alone: they are validated instead (a length, the content codings the
// filter decodes), and masking them would break the framing.
var fieldsNotMasked = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Transfer-Encoding": true,
}

// maskFields masks one block of header fields in place: the final
// response's headers (structural ones exempt), a 1xx response's headers
// or the trailers (exempt false: nothing in them is structural). A field
// whose name holds a match is dropped, as a name cannot be rewritten; the
// values go through the field rules (by lower-case name) and the
// detectors, which see percent- and entity-decoded forms (a Link or
// Location with ann%40example.com).
func (f *filter) maskFields(h http.Header, exempt bool) error {
	return f.maskBlock(h, exempt, false)
}

// dropMatchingNames drops the fields of h whose names hold a match and
// leaves the values for later: the reverse proxy announces trailer names
// before the body, and their values come after it.
func (f *filter) dropMatchingNames(h http.Header) error {
	return f.maskBlock(h, false, true)
}

func (f *filter) maskBlock(h http.Header, exempt, namesOnly bool) error {
	p := f.x.policy
	for k, vals := range h {
		if exempt && fieldsNotMasked[k] {
			continue
		}
		name := strings.TrimPrefix(k, http.TrailerPrefix)
		mn, fs, err := p.Value("", name)
		if err != nil {
			return fmt.Errorf("%w: header name: %w", errUnmaskable, err)
		}
		if mn != name {
			delete(h, k)
			f.findings = mask.MergeFindings(f.findings, fs)
			continue
		}
		if namesOnly {
			continue
		}
		if f.packedField(vals) {
			// The masker reads the encoding, the client unpacks it.
			delete(h, k)
			continue
		}
		field := lowerName(name)
		for i, v := range vals {
			mv, fs, err := p.Value(field, v)
			if err != nil {
				return fmt.Errorf("%w: header %s: %w", errUnmaskable, name, err)
			}
			vals[i] = mv
			f.findings = mask.MergeFindings(f.findings, fs)
		}
	}
	return nil
}

// informational masks the header block of a 1xx response (103 Early Hints
// carries Link headers) the way the final headers are masked. It returns
// false when the block cannot be masked; the 1xx response is then dropped,
// which a client never depends on.
func (f *filter) informational(code int, h http.Header) bool {
	if f.x.policy != nil {
		if err := f.maskFields(h, false); err != nil {
			f.gw.log.Warn("1xx response dropped", "session", f.x.conn.Session().ID, "decision", f.x.d.ID, "error", err)
			return false
		}
	}
	if lim := f.gw.cfg.RecordLimit; lim < 0 || int64(len(f.info)) < lim {
		f.info = appendHead(f.info, code, h)
	}
	return true
}

// maskTrailers masks the trailers in place, at the end of the body (the
// upstream sends them after it). Unmaskable trailers are dropped.
func (f *filter) maskTrailers(t http.Header) {
	if f.x.policy == nil || len(t) == 0 {
		return
	}
	f.trailersMasked = true
	if err := f.maskFields(t, false); err != nil {
		f.gw.log.Warn("trailers dropped", "session", f.x.conn.Session().ID, "decision", f.x.d.ID, "error", err)
		clear(t)
		return
	}
	var b strings.Builder
	_ = t.Write(&b)
	f.trail = b.String()
}

// packedField reports whether, under a rule's mask, a value of a field
// holds packed data encoded (see packed.go): the field is dropped.
func (f *filter) packedField(vals []string) bool {
	if f.x.secretsOnly {
		return false
	}
	for _, v := range vals {
		if packed.Encoded([]byte(v)) != "" {
			return true
		}
	}
	return false
}
