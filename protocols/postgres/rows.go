package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// result is one result set on its way to the client: its columns, the
// policy that masks it column by column, and the gate's output writer that
// records its text rendering (the rows as the client received them).
type result struct {
	fields   []pgproto3.FieldDescription
	formats  []int16
	policy   *mask.Policy
	decision *gate.Decision
	stmt     *pgsql.Statement
	cols     []string // masking field per column, once resolved
	base     []string // the table column a column passes bare, or ""
	carried  []bool   // a computed column that may carry a carrier's value
	resolved bool
	copy     bool
	copyOut  bool // COPY TO STDOUT data is flowing
	copyDone bool // its CopyDone came
	tag      string
	rows     int

	// out records the rendering: forwarded first (the rows go to the
	// client as wire messages; the writer's destination is the rendering's
	// sink), recorded when the result ends. A recording failure there ends
	// the session before the CommandComplete reaches the client.
	out  *gate.OutputWriter // outRoom
	line bytes.Buffer       // the row being rendered

	// Room inside the result for a point query's row and columns: the
	// line and cols start here instead of in allocations of their own.
	lineRoom [lineRoomBytes]byte
	colsRoom [4]string
	baseRoom [2]string // base's
	// outRoom is out, in the result's allocation (never copied nor
	// reused: a result is not).
	outRoom gate.OutputWriter
}

// lineRoomBytes is the rendered line a result holds without allocating:
// as much as keeps a result, with the allocator's 8-byte header of an
// object this large, within its 768-byte class (resultClassBytes).
const lineRoomBytes = 120

// resultClassBytes is the allocation class a result fits.
const resultClassBytes = 768

// columnSlots returns n column slots, in the result's room when they fit.
func (r *result) columnSlots(n int) []string {
	if n <= len(r.colsRoom) {
		return r.colsRoom[:n:n]
	}
	return make([]string, n)
}

// baseSlots returns n zero slots for base, in the result's room when they
// fit.
func (r *result) baseSlots(n int) []string {
	if n <= len(r.baseRoom) {
		clear(r.baseRoom[:n])
		return r.baseRoom[:n:n]
	}
	return make([]string, n)
}

// rowsSizeHint is the room a result's recorded copy starts with: the
// header and a row or two of a point query, in one allocation instead of
// one per line.
const rowsSizeHint = 128

func (c *conn) newResult(fields []pgproto3.FieldDescription, formats []int16, p *mask.Policy, d *gate.Decision, st *pgsql.Statement) *result {
	r := &result{fields: fields, formats: formats, policy: p, decision: d, stmt: st}
	r.out = c.gc.OutputIn(&r.outRoom, d, "rows", io.Discard, gate.OutputOptions{Mode: gate.ForwardThenRecord,
		Limit: c.srv.cfg.RecordLimit, Premasked: true, SizeHint: rowsSizeHint})
	r.line = *bytes.NewBuffer(r.lineRoom[:0])
	if len(fields) > 0 {
		for i, f := range fields {
			if i > 0 {
				r.line.WriteByte('\t')
			}
			r.line.Write(f.Name)
		}
		r.line.WriteByte('\n')
	}
	return r
}

// render passes the rendered line on to the output writer.
func (r *result) render() error {
	if r.line.Len() == 0 {
		return nil
	}
	_, err := r.out.Write(r.line.Bytes())
	r.line.Reset()
	return err
}

// format returns the wire format of column i.
func (r *result) format(i int) int16 {
	switch len(r.formats) {
	case 0:
		return pgtype.TextFormatCode
	case 1:
		return r.formats[0]
	}
	if i < len(r.formats) {
		return r.formats[i]
	}
	return pgtype.TextFormatCode
}

func (r *result) oid(i int) uint32 {
	if i < len(r.fields) {
		return r.fields[i].DataTypeOID
	}
	return 0
}

// typeMap finds the codec of a type (TypeForOID only reads it, safe from
// every session at once).
var typeMap = pgtype.NewMap()

// codecMaps lend each decoding of a binary value a map of its own: a
// pgtype.Map memoizes its encode and scan plans as it is used, and is not
// safe for concurrent use (sessions decoding at once raced on its plan
// cache, which may end the process: concurrent map writes).
var codecMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

// textual types are masked as text in binary format too: their binary
// form is their text.
func textual(oid uint32) bool {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.UnknownOID,
		pgtype.JSONOID, pgtype.XMLOID, pgtype.QCharOID, pgtype.JSONBOID:
		return true
	}
	return false
}

// scalar types have a text form a mask token cannot take.
func scalar(oid uint32) bool {
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID, pgtype.Float4OID, pgtype.Float8OID,
		pgtype.NumericOID, pgtype.BoolOID, pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID,
		pgtype.TimeOID, pgtype.TimetzOID, pgtype.IntervalOID, pgtype.UUIDOID, pgtype.InetOID, pgtype.CIDROID,
		pgtype.MacaddrOID, pgtype.ByteaOID, pgtype.BitOID, pgtype.VarbitOID, 790 /* money */, pgtype.XIDOID, pgtype.CIDOID:
		return true
	}
	return false
}

// maskRow masks one DataRow and records it as the client sees it.
func (c *conn) maskRow(r *result, body, raw []byte) ([]byte, error) {
	// The decoded row is the upstream goroutine's, reused row after row
	// and result after result: its values point into body and are not
	// kept past this call.
	dr := &c.dr
	if err := dr.Decode(body); err != nil {
		return nil, err
	}
	r.rows++
	changed := false
	if r.policy != nil {
		if len(dr.Values) != len(r.fields) {
			// Columns the gateway cannot name cannot be masked: the
			// session ends before the row reaches the client.
			return nil, fmt.Errorf("postgres: a row of %d values for %d known columns cannot be masked", len(dr.Values), len(r.fields))
		}
		if !r.resolved {
			if err := c.resolveColumns(r); err != nil {
				return nil, err
			}
		}
		for i, v := range dr.Values {
			if v == nil {
				continue
			}
			field := ""
			if i < len(r.cols) {
				field = r.cols[i]
			}
			if i < len(r.carried) && r.carried[i] {
				dr.Values[i] = nil
				changed = true
				r.note(mask.Finding{Detector: "carrier", Field: field, Count: 1})
				continue
			}
			nv, ch, err := maskValue(r, field, r.oid(i), r.format(i), v)
			if err != nil {
				return nil, err
			}
			if ch && i < len(r.base) && r.base[i] != "" && r.policy.FieldStrategy(field) == "" {
				c.srv.carriers.add(r.base[i])
			}
			if ch {
				dr.Values[i] = nv
				changed = true
			}
		}
	}
	r.out.AddRows(1)
	if err := c.recordRow(r, dr.Values); err != nil {
		return nil, err
	}
	if !changed {
		return raw, nil
	}
	return dr.Encode(nil)
}

// maskValue masks one non-NULL value. A nil result with changed true is
// NULL. Binary values of types that are not text cannot carry a mask token:
// when masking changes them they become NULL.
func maskValue(r *result, field string, oid uint32, format int16, v []byte) ([]byte, bool, error) {
	p := r.policy
	// The field's strategy (p.FieldStrategy, a memo look-up) is asked
	// only where it is read: a scalar or binary value never needs it here.
	if format == pgtype.TextFormatCode && oid == pgtype.ByteaOID {
		// A bytea's text form (\x...) hides its bytes from detectors.
		if raw, ok := byteaText(v); ok {
			if _, f, err := p.Value(field, raw); err != nil || len(f) > 0 {
				r.note(f...)
				return nil, err == nil, err
			}
		}
	}
	if format == pgtype.TextFormatCode && scalar(oid) {
		// A number, date or uuid in text: a mask token would not parse
		// as its type, so a masked value becomes NULL.
		out, f, err := p.Value(field, string(v))
		if err != nil {
			return nil, false, err
		}
		if len(f) == 0 && out == string(v) {
			return v, false, nil
		}
		r.note(f...)
		return nil, true, nil
	}
	if format == pgtype.BinaryFormatCode && !textual(oid) {
		return maskBinary(r, field, oid, v)
	}
	prefix := 0
	if format == pgtype.BinaryFormatCode && oid == pgtype.JSONBOID {
		if len(v) == 0 || v[0] != 1 {
			return nil, true, nil
		}
		prefix = 1
	}
	text := string(v[prefix:])
	var out string
	var f []mask.Finding
	var err error
	isJSON := oid == pgtype.JSONOID || oid == pgtype.JSONBOID
	switch {
	case isJSON && p.FieldStrategy(field) == "":
		var b []byte
		b, f, err = p.JSON(v[prefix:])
		out = string(b)
		if err != nil {
			// Not a document the masker accepts: mask it as text, then
			// keep it valid JSON.
			out, f, err = p.Value(field, text)
			if err == nil && out != text {
				q, _ := json.Marshal(out)
				out = string(q)
			}
		}
	default:
		out, f, err = p.Value(field, text)
		if err == nil && isJSON && out != text {
			q, _ := json.Marshal(out)
			out = string(q)
		}
	}
	if err != nil {
		return nil, false, err
	}
	if len(f) == 0 && out == text {
		return v, false, nil
	}
	r.note(f...)
	if len(f) > 0 && p.FieldStrategy(field) == mask.StrategyNull {
		return nil, true, nil
	}
	if prefix == 1 {
		return append([]byte{1}, out...), true, nil
	}
	return []byte(out), true, nil
}

// maskBinary masks a binary value of a type that is not text. Such a
// value cannot carry a mask token, so it becomes NULL when a field rule
// covers its column, when masking would change any value inside it, or
// when the gateway cannot read it (fail closed); otherwise it passes as
// sent.
func maskBinary(r *result, field string, oid uint32, v []byte) ([]byte, bool, error) {
	p := r.policy
	if p.FieldStrategy(field) != "" {
		r.note(mask.Finding{Detector: "field", Field: field, Count: 1})
		return nil, true, nil
	}
	leaves, ok := binaryLeaves(oid, v, 0, nil)
	if !ok {
		r.note(mask.Finding{Detector: "binary", Field: field, Count: 1})
		return nil, true, nil
	}
	for _, text := range leaves {
		out, f, err := p.Value(field, text)
		if err != nil {
			return nil, false, err
		}
		if len(f) > 0 || out != text {
			r.note(f...)
			return nil, true, nil
		}
	}
	return v, false, nil
}

// binaryText renders a binary value as PostgreSQL's text form.
func binaryText(oid uint32, v []byte) (string, bool) {
	m := codecMaps.Get().(*pgtype.Map)
	defer codecMaps.Put(m)
	t, ok := m.TypeForOID(oid)
	if !ok {
		return "", false
	}
	val, err := t.Codec.DecodeValue(m, oid, pgtype.BinaryFormatCode, v)
	if err != nil {
		return "", false
	}
	b, err := m.Encode(oid, pgtype.TextFormatCode, val, nil)
	if err != nil || b == nil {
		return "", false
	}
	return string(b), true
}

// note reports what the proxy masked to the result's output writer.
func (r *result) note(f ...mask.Finding) {
	if len(f) > 0 {
		r.out.AddFindings(f)
	}
}

// recordRow renders a row, as sent, into the result's output writer.
func (c *conn) recordRow(r *result, vals [][]byte) error {
	for i, v := range vals {
		if i > 0 {
			r.line.WriteByte('\t')
		}
		switch {
		case v == nil:
			r.line.WriteString(`\N`)
		case r.format(i) == pgtype.BinaryFormatCode && !textual(r.oid(i)):
			if s, ok := binaryText(r.oid(i), v); ok {
				writeEscaped(&r.line, s)
			} else {
				r.line.WriteString(`\\x`)
				r.line.WriteString(hex.EncodeToString(v))
			}
		default:
			writeEscaped(&r.line, v)
		}
	}
	r.line.WriteByte('\n')
	return r.render()
}

// writeEscaped writes s to b in COPY text form (tab, newline, carriage
// return and backslash escaped). It takes the bytes of a row value as they
// are, so a value is not copied into a string first.
func writeEscaped[T string | []byte](b *bytes.Buffer, s T) {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\t' || c == '\n' || c == '\\' || c == '\r' {
			plain = false
			break
		}
	}
	if plain {
		switch v := any(s).(type) {
		case string:
			b.WriteString(v)
		case []byte:
			b.Write(v)
		}
		return
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(s[i])
		}
	}
}

// finishResult records the current result, if any. An error means the
// result could not be recorded: the gate has ended the session, and the
// caller must close the client's connection before anything more (the
// result's CommandComplete included) reaches it.
func (c *conn) finishResult(bs *backendState) error {
	r := bs.cur
	bs.cur = nil
	if r == nil || (len(r.fields) == 0 && r.rows == 0 && !r.copy) {
		return nil
	}
	if r.tag != "" {
		r.line.WriteByte('(') // in pieces: a concatenation would allocate
		r.line.WriteString(r.tag)
		r.line.WriteString(")\n")
		if err := r.render(); err != nil {
			return err
		}
	}
	if err := r.out.Close(); err != nil {
		return fmt.Errorf("postgres: recording a result: %w", err)
	}
	if r.tag != "" && r.out.Truncated() {
		// Whether the statement succeeded is never lost to the cut.
		return c.recordText(r.decision, "status", r.tag)
	}
	return nil
}

// maskError masks every free-text field of an error or notice: a value
// quoted in a message ("invalid input syntax for type integer: ...") must
// not leak.
func maskError(p *mask.Policy, e *pgproto3.ErrorResponse) (*pgproto3.ErrorResponse, bool, error) {
	if p == nil {
		return e, false, nil
	}
	changed := false
	for _, s := range []*string{&e.Message, &e.Detail, &e.Hint, &e.Where, &e.InternalQuery,
		&e.SchemaName, &e.TableName, &e.ColumnName, &e.DataTypeName, &e.ConstraintName} {
		if *s == "" {
			continue
		}
		v, _, err := p.Value("", *s)
		if err != nil {
			return nil, false, fmt.Errorf("mask error field: %w", err)
		}
		if v != *s {
			*s = v
			changed = true
		}
	}
	for k, s := range e.UnknownFields {
		v, _, err := p.Value("", s)
		if err != nil {
			return nil, false, err
		}
		if v != s {
			e.UnknownFields[k] = v
			changed = true
		}
	}
	return e, changed, nil
}

// copyMaskable reports whether a COPY TO STDOUT can be masked: a table
// (not a query) in text format, masked column by column.
func copyMaskable(st *pgsql.Statement) bool {
	return st.CopyTable != ""
}

// startCopy names the columns of a COPY TO STDOUT result of n columns
// from the lineage of the query its rows are (SELECT cols FROM ONLY
// table, see pgsql): each column as the first covered column of its
// lineage, so a child's column as its ancestors', a generated column as
// what it computes on; a column of unknown lineage (statistics, large
// objects, TOAST, a temporary table, a relation the catalog does not
// know) as any covered column of the database, or withheld under a
// decision that masks with detectors only; positions only when the
// lineage lists n columns (a table named without its schema may be any
// of the tables of that name: otherwise every column carries them all).
func (c *conn) startCopy(r *result, n int) error {
	r.copy, r.resolved = true, true
	if r.policy == nil {
		return nil
	}
	if r.stmt == nil || r.stmt.CopyTable == "" || !r.stmt.HasLineage() {
		return errors.New("postgres: COPY output that cannot be masked")
	}
	if cols := r.stmt.CopyColumns; len(cols) > 0 && len(cols) != n {
		return fmt.Errorf("postgres: COPY of %d columns names %d", n, len(cols))
	}
	res, err := c.lineageOf(r.stmt)
	if err != nil {
		return err
	}
	if res.Definitions() && c.srv.catalog.checkNow(c.ctx) {
		if res, err = c.lineageOf(r.stmt); err != nil {
			return err
		}
	}
	_, lins, positional := res.Columns()
	positional = positional && len(lins) == n
	p := r.policy
	detects := 0
	rep, repDone := "", false
	r.cols = r.columnSlots(n)
	for i := range n {
		l := res.Whole()
		if positional {
			l = lins[i]
		}
		if src := firstCovered(p, l); src != "" {
			r.cols[i] = src
			continue
		}
		if l.Unknown && !repDone {
			if rep, err = c.srv.catalog.representative(c.ctx, p); err != nil {
				return err
			}
			repDone = true
		}
		switch {
		case l.Unknown && rep != "":
			r.cols[i] = rep
			continue
		case len(l.Fields) > 0:
			r.cols[i] = l.Fields[0]
		default:
			r.cols[i] = r.stmt.CopyTable
		}
		if (l.Unknown || l.Computed) && (c.srv.carriers.carries(l) || !c.carrierFree(p, l, &detects)) {
			if r.carried == nil {
				r.carried = make([]bool, n)
			}
			r.carried[i] = true
		}
	}
	return nil
}

// maskCopy masks a COPY TO STDOUT data message: one text-format row,
// masked column by column.
func (c *conn) maskCopy(r *result, body, raw []byte) ([]byte, error) {
	r.rows++
	r.out.AddRows(1)
	if r.policy == nil {
		r.line.Write(body)
		if err := r.render(); err != nil {
			return nil, err
		}
		return raw, nil
	}
	line := strings.TrimSuffix(string(body), "\n")
	vals := strings.Split(line, "\t")
	if len(vals) != len(r.cols) {
		return nil, fmt.Errorf("postgres: COPY row has %d columns, want %d", len(vals), len(r.cols))
	}
	changed := false
	for i, v := range vals {
		if v == `\N` {
			continue
		}
		if i < len(r.carried) && r.carried[i] {
			vals[i] = `\N`
			changed = true
			r.note(mask.Finding{Detector: "carrier", Field: r.cols[i], Count: 1})
			continue
		}
		out, f, err := r.policy.Value(r.cols[i], v)
		if err != nil {
			return nil, err
		}
		if out != v || len(f) > 0 {
			r.note(f...)
			if len(f) > 0 && r.policy.FieldStrategy(r.cols[i]) == "" {
				// A detector's finding in a table's column teaches
				// carriers as a bare read does.
				c.srv.carriers.add(r.cols[i])
			}
			if r.policy.FieldStrategy(r.cols[i]) == mask.StrategyNull && len(f) > 0 {
				out = `\N`
			}
			vals[i] = strings.NewReplacer("\t", " ", "\n", " ", "\\", "/").Replace(out)
			changed = true
		}
	}
	out := strings.Join(vals, "\t") + "\n"
	r.line.WriteString(out)
	if err := r.render(); err != nil {
		return nil, err
	}
	if !changed {
		return raw, nil
	}
	return (&pgproto3.CopyData{Data: []byte(out)}).Encode(nil)
}

// recordText records a short output of a statement as the client
// receives it (already masked): its CommandComplete tag ("status"), an
// error or a notice. A reply that belongs to no allow decision (the error
// of a Parse, a notice between statements) is recorded as a plain output
// event. An error means it could not be recorded: the caller ends the
// session before the reply reaches the client.
func (c *conn) recordText(d *gate.Decision, stream, text string) error {
	ctx := context.WithoutCancel(c.ctx)
	if d != nil && d.Action == gate.Allow {
		_, _, err := c.gc.Result(ctx, d, stream, []byte(text), gate.ResultOptions{Format: gate.Text, Premasked: true,
			Limit: c.srv.cfg.RecordLimit})
		return err
	}
	err := c.gc.Record(ctx, gate.Event{Kind: gate.EventOutput, Output: &gate.Output{Stream: stream, Data: []byte(text), Final: true}})
	if err != nil {
		return fmt.Errorf("postgres: recording %s: %w", stream, err)
	}
	return nil
}

// recordMessage records an upstream ErrorResponse or NoticeResponse, as
// the client saw it (already masked): "SEVERITY SQLSTATE: message", then
// the detail and hint lines.
func (c *conn) recordMessage(stream string, d *gate.Decision, e *pgproto3.ErrorResponse) error {
	var b strings.Builder
	b.WriteString(e.Severity)
	b.WriteString(" ")
	b.WriteString(e.Code)
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Detail != "" {
		b.WriteString("\nDETAIL: " + e.Detail)
	}
	if e.Hint != "" {
		b.WriteString("\nHINT: " + e.Hint)
	}
	return c.recordText(d, stream, b.String())
}
