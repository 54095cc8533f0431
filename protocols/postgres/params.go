package postgres

import (
	"context"
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// maxParamChars bounds one parameter as shown to rules and reviewers.
const maxParamChars = 1024

// bindParams renders a Bind's parameter values as text for review: text
// format as sent, binary format of the common types through their codec,
// anything else as "<binary N bytes>". NULL is "NULL".
func bindParams(m *pgproto3.Bind, oids []uint32) []string {
	if len(m.Parameters) == 0 {
		return nil
	}
	out := make([]string, len(m.Parameters))
	for i, v := range m.Parameters {
		if v == nil {
			out[i] = "NULL"
			continue
		}
		var format int16
		switch len(m.ParameterFormatCodes) {
		case 0:
		case 1:
			format = m.ParameterFormatCodes[0]
		default:
			if i < len(m.ParameterFormatCodes) {
				format = m.ParameterFormatCodes[i]
			}
		}
		var oid uint32
		if i < len(oids) {
			oid = oids[i]
		}
		out[i] = paramText(oid, format, v)
	}
	return out
}

func paramText(oid uint32, format int16, v []byte) string {
	if format == pgtype.TextFormatCode {
		if !utf8.Valid(v) {
			return fmt.Sprintf("<binary %d bytes>", len(v))
		}
		return clip(string(v))
	}
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.Float4OID, pgtype.Float8OID, pgtype.BoolOID,
		pgtype.UUIDOID, pgtype.TimestampOID, pgtype.TimestamptzOID, pgtype.DateOID, pgtype.NumericOID:
		if s, ok := binaryText(oid, v); ok {
			return clip(s)
		}
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		if utf8.Valid(v) {
			return clip(string(v))
		}
	case pgtype.ByteaOID:
		return clip(`\x` + hex.EncodeToString(v))
	}
	return fmt.Sprintf("<binary %d bytes>", len(v))
}

func clip(s string) string {
	if len(s) <= maxParamChars {
		return s
	}
	cut := maxParamChars
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

// firstNormalOID is PostgreSQL's FirstNormalObjectId: every OID below it
// is the initial catalog's (built-in types), every one from it up was
// made in the database.
const firstNormalOID = 16384

// declaredTypesReadOnly reports whether values of the parameter types a
// Parse declares can be bound without running code a read-only statement
// may not: binding runs a type's input function and a domain's CHECK
// constraints, the database's own code, which the statement's text does
// not name. Each type made in the database is judged as SELECT
// NULL::type would be (types the server infers come from the text, where
// the classifier judges them); a type the catalog does not list, or a
// catalog that cannot be read, is not read-only.
func (s *Server) declaredTypesReadOnly(oids []uint32) bool {
	for _, o := range oids {
		if o < firstNormalOID {
			continue
		}
		rows, ok := s.procs.Procs(context.Background(), "", fmt.Sprintf("oid:%d", o), true)
		if !ok || len(rows) == 0 {
			return false
		}
		for _, r := range rows {
			cl, err := s.cls.Classify(r.Fn)
			if err != nil || cl == nil || len(cl.Statements) == 0 {
				return false
			}
			for _, st := range cl.Statements {
				if !st.ReadOnly {
					return false
				}
			}
		}
	}
	return true
}

// notReadOnly returns a copy of cl whose statements are volatile and not
// read-only.
func notReadOnly(cl *pgsql.Classification) *pgsql.Classification {
	out := &pgsql.Classification{Statements: append([]pgsql.Statement(nil), cl.Statements...)}
	for i := range out.Statements {
		out.Statements[i].ReadOnly = false
		out.Statements[i].Volatile = true
		out.Statements[i].CallsWrite = true
	}
	return out
}
