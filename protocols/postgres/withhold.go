package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// withholdMessage is applied to an error or notice of a statement that
// reads a column a field rule covers. The server may put such a column's
// values anywhere in its text, quoted or not ("index 1234 out of valid
// range"), so the text is replaced by one that keeps the SQLSTATE and its
// class, and the detail, hint, context and internal query go. One kind
// of message keeps its text: an error of the parser's analysis of the
// client's own statement (class 42 with a position in it, raised outside
// any function), which reads no data, provided every part it quotes is
// in the statement's text ("column "nmae" does not exist").
func withholdMessage(e *pgproto3.ErrorResponse, texts []string) {
	if !fromAnalysis(e, texts) {
		e.Message = "[masked] " + sqlstateClass(e.Code) + " " + e.Code + ": the server's message may quote a masked column"
	}
	const masked = "[masked]"
	for _, s := range []*string{&e.Detail, &e.Hint, &e.Where, &e.InternalQuery} {
		if *s != "" {
			*s = masked
		}
	}
	e.InternalPosition = 0
	for k := range e.UnknownFields {
		e.UnknownFields[k] = masked
	}
}

// fromAnalysis reports whether e is an error of parse analysis of the
// client's text: analysis reads the catalog, never a table's rows, and
// the errors a function or the executor raises carry no position in the
// client's statement. The quoted parts must come from the text as well.
func fromAnalysis(e *pgproto3.ErrorResponse, texts []string) bool {
	if !strings.HasPrefix(e.Code, "42") || e.Position <= 0 || e.Where != "" || e.InternalQuery != "" ||
		e.Severity != "ERROR" {
		return false
	}
	parts := strings.Split(e.Message, `"`)
	if len(parts)%2 == 0 {
		return false
	}
	for i := 1; i < len(parts); i += 2 {
		if !quotedInTexts(parts[i], texts) {
			return false
		}
	}
	return true
}

func quotedInTexts(part string, texts []string) bool {
	if part == "" {
		return false
	}
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), strings.ToLower(part)) {
			return true
		}
	}
	return false
}

// sqlstateClasses names the SQLSTATE classes (PostgreSQL's Appendix A).
var sqlstateClasses = map[string]string{
	"01": "warning", "02": "no data", "03": "SQL statement not yet complete", "08": "connection exception",
	"09": "triggered action exception", "0A": "feature not supported", "0B": "invalid transaction initiation",
	"0F": "locator exception", "0L": "invalid grantor", "0P": "invalid role specification",
	"0Z": "diagnostics exception", "20": "case not found", "21": "cardinality violation", "22": "data exception",
	"23": "integrity constraint violation", "24": "invalid cursor state", "25": "invalid transaction state",
	"26": "invalid SQL statement name", "27": "triggered data change violation",
	"28": "invalid authorization specification", "2B": "dependent privilege descriptors still exist",
	"2D": "invalid transaction termination", "2F": "SQL routine exception", "34": "invalid cursor name",
	"38": "external routine exception", "39": "external routine invocation exception",
	"3B": "savepoint exception", "3D": "invalid catalog name", "3F": "invalid schema name",
	"40": "transaction rollback", "42": "syntax error or access rule violation", "44": "with check option violation",
	"53": "insufficient resources", "54": "program limit exceeded", "55": "object not in prerequisite state",
	"57": "operator intervention", "58": "system error", "72": "snapshot failure", "F0": "configuration file error",
	"HV": "foreign data wrapper error", "P0": "PL/pgSQL error", "XX": "internal error",
}

// sqlstateClass names the class of a SQLSTATE.
func sqlstateClass(code string) string {
	if len(code) == 5 {
		if name, ok := sqlstateClasses[code[:2]]; ok {
			return name
		}
	}
	return "error"
}
