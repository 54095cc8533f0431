package gate

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/internal/sqltext"
)

// Where requesters put their reason, per protocol.
const (
	// ReasonHeader is the HTTP request header that carries a reason.
	ReasonHeader = "Airlock-Reason"
	// ReasonArg is the tool argument that carries a reason; an MCP
	// request's _meta.reason is also accepted when the protocol passes it
	// in the arguments as "_meta".
	ReasonArg = "airlock_reason"
	// MaxRequesterReason bounds a requester's reason, in bytes; longer ones
	// are cut.
	MaxRequesterReason = 1000
)

// reasonHeaderKey is ReasonHeader as HTTP.Headers holds it.
var reasonHeaderKey = strings.ToLower(ReasonHeader)

// RequesterReason returns the requester's justification of req: its Reason
// field when a protocol set it, else the Airlock-Reason header of an HTTP
// request, the first SQL comment of the form /* reason: ... */ of a
// PostgreSQL request, or the "airlock_reason" (or "_meta": {"reason": ...})
// argument of a tool call. Control characters become spaces and the text is
// cut at MaxRequesterReason bytes.
func RequesterReason(req *Request) string {
	r := req.Reason
	if r == "" {
		switch {
		case req.HTTP != nil:
			if v := req.HTTP.Headers[reasonHeaderKey]; len(v) > 0 {
				r = strings.Join(v, ", ")
			}
		case req.SQL != nil:
			r = sqlReason(req.Command)
		case req.Tool != nil:
			if s, ok := req.Tool.Args[ReasonArg].(string); ok {
				r = s
			} else if m, ok := req.Tool.Args["_meta"].(map[string]any); ok {
				r, _ = m["reason"].(string)
			}
		}
	}
	return cleanReason(r)
}

func cleanReason(r string) string {
	if !utf8.ValidString(r) {
		r = strings.ToValidUTF8(r, "\uFFFD")
	}
	r = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, r)
	r = strings.TrimSpace(r)
	if len(r) > MaxRequesterReason {
		r = r[:MaxRequesterReason]
		for !utf8.ValidString(r) {
			r = r[:len(r)-1]
		}
	}
	return r
}

// sqlReason finds the first block comment of sql that starts with
// "reason:", outside string literals and quoted identifiers. It stops at
// anything whose extent it cannot be sure of (dollar quoting, E” strings),
// so that a reason is never read from inside a literal. Only a block
// comment gives one: SQL without "/*" (most statements) is not scanned.
func sqlReason(sql string) string {
	if !strings.Contains(sql, "/*") {
		return ""
	}
	return scanSQLReason(sql)
}

// scanSQLReason is sqlReason's scan of sql, byte by byte.
func scanSQLReason(sql string) string {
	n := len(sql)
	for i := 0; i < n; i++ {
		c := sql[i]
		switch {
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			j, ok := sqltext.BlockCommentEnd(sql, i)
			if !ok {
				return ""
			}
			body := strings.TrimSpace(sql[i+2 : j-2])
			if len(body) >= 7 && strings.EqualFold(body[:7], "reason:") {
				return strings.TrimSpace(body[7:])
			}
			i = j - 1
		case c == '\'' || c == '"':
			if c == '\'' && i > 0 && (isIdentByte(sql[i-1]) || sql[i-1] == '&') {
				return ""
			}
			j := i + 1
			for j < n && !(sql[j] == c && (j+1 >= n || sql[j+1] != c)) {
				if sql[j] == c {
					j++ // a doubled quote
				}
				j++
			}
			i = j
		case c == '$':
			if i+1 < n && sql[i+1] >= '0' && sql[i+1] <= '9' || i > 0 && isIdentByte(sql[i-1]) {
				continue
			}
			return ""
		}
	}
	return ""
}
