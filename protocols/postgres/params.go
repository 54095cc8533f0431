package postgres

import (
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

// withDeclaredTypes returns cl judged with the parameter types a Parse
// declares. Binding a value runs its type's input function, and a
// domain's CHECK constraints, which are the database's own code: a
// statement with a parameter declared of a type that is not built in is
// volatile and not read-only (the text alone does not name the type).
// Types the server infers come from the statement's text, where the
// classifier judges them.
func withDeclaredTypes(cl *pgsql.Classification, oids []uint32) *pgsql.Classification {
	user := false
	for _, o := range oids {
		user = user || o >= firstNormalOID
	}
	if !user {
		return cl
	}
	out := &pgsql.Classification{Statements: append([]pgsql.Statement(nil), cl.Statements...)}
	for i := range out.Statements {
		out.Statements[i].ReadOnly = false
		out.Statements[i].Volatile = true
	}
	return out
}
