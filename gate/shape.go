package gate

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/airlock-sdk/airlock/internal/sqltext"
)

// Shape returns the request with its literal values stripped, the way a
// grant of scope "shape" compares requests: for PostgreSQL the SQL text with
// string and number literals replaced by ?, comments dropped and white space
// collapsed; for HTTP the method, path, query names and the JSON body with
// every value replaced by ?; for tool calls the name and the arguments with
// every value replaced by ?. Anything the stripper does not understand is
// kept verbatim, so two requests share a shape only when they differ in
// literal values alone. For SSH, and whatever has no stripper, the shape is
// the exact command.
func Shape(req *Request) string {
	switch {
	case req.SQL != nil:
		return sqlShape(req.Command)
	case req.HTTP != nil:
		h := req.HTTP
		var b strings.Builder
		b.WriteString(h.Method + " " + h.Path)
		keys := make([]string, 0, len(h.Query))
		for k := range h.Query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(k + "=?")
		}
		if len(req.Payload) > 0 {
			b.WriteString(" ")
			b.WriteString(jsonShape(req.Payload))
		}
		return b.String()
	case req.Tool != nil:
		t := req.Tool
		s := t.Kind + " " + t.Name + " " + t.URI
		if len(req.Payload) > 0 {
			return s + " " + jsonShape(req.Payload)
		}
		args, err := json.Marshal(t.Args)
		if err != nil {
			return req.Command
		}
		return s + " " + jsonShape(args)
	}
	return req.Command
}

// jsonShape replaces every scalar of a JSON document with ?, keeping keys
// and structure (duplicate keys included, in order). A body that is not
// JSON is kept verbatim.
func jsonShape(doc []byte) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	// In an object, a string token alternates between key and value.
	type frame struct{ object, wantKey bool }
	var stack []frame
	first := true
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF && len(stack) == 0 && !first {
				return b.String()
			}
			return "raw:" + string(doc)
		}
		first = false
		top := len(stack) - 1
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:top]
				if top > 0 && stack[top-1].object {
					stack[top-1].wantKey = true
				}
			}
			b.WriteString(v.String())
			continue
		case string:
			if top >= 0 && stack[top].object && stack[top].wantKey {
				kb, _ := json.Marshal(v)
				b.Write(kb)
				b.WriteByte(':')
				stack[top].wantKey = false
				continue
			}
		}
		b.WriteString("?,")
		if top >= 0 && stack[top].object {
			stack[top].wantKey = true
		}
	}
}

// sqlShape strips the literals of SQL text. Its lexer follows PostgreSQL's
// for the parts it strips (standard-conforming '...' strings, numbers,
// nested /* */ and -- comments, "..." identifiers); on anything it does not
// know well enough (backslashes, dollar quoting, E” and similar prefixed
// strings) it gives up and returns the text verbatim, which only makes a
// grant narrower.
func sqlShape(sql string) string {
	if strings.ContainsAny(sql, "\\") || strings.Contains(sql, "$$") || hasDollarTag(sql) {
		return "raw:" + sql
	}
	var b strings.Builder
	space := false
	emit := func(s string) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString(s)
	}
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			space = true
			i++
		case c == '-' && i+1 < n && sql[i+1] == '-':
			for i < n && sql[i] != '\n' && sql[i] != '\r' {
				i++
			}
			space = true
		case c == '/' && i+1 < n && sql[i+1] == '*':
			end, ok := sqltext.BlockCommentEnd(sql, i)
			if !ok {
				return "raw:" + sql
			}
			i = end
			space = true
		case c == '\'':
			// A string prefixed by a letter (E'', B'', X'', U&'', N'') is
			// not a plain literal: keep the text verbatim.
			if i > 0 && (isIdentByte(sql[i-1]) || sql[i-1] == '&') {
				return "raw:" + sql
			}
			j := i + 1
			for {
				if j >= n {
					return "raw:" + sql
				}
				if sql[j] == '\'' {
					if j+1 < n && sql[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			emit("?")
			i = j + 1
		case c == '"':
			j := i + 1
			for {
				if j >= n {
					return "raw:" + sql
				}
				if sql[j] == '"' {
					if j+1 < n && sql[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			emit(sql[i : j+1])
			i = j + 1
		case c >= '0' && c <= '9' || c == '.' && i+1 < n && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := digits(sql, i)
			if j < n && sql[j] == '.' {
				j = digits(sql, j+1)
			}
			if j < n && (sql[j] == 'e' || sql[j] == 'E') {
				k := j + 1
				if k < n && (sql[k] == '+' || sql[k] == '-') {
					k++
				}
				if k < n && sql[k] >= '0' && sql[k] <= '9' {
					j = digits(sql, k)
				}
			}
			if j < n && (isIdentByte(sql[j]) || sql[j] == '.') {
				// 0x1F, 1_000, 1abc: forms whose reading varies by server
				// version; keep the text verbatim.
				return "raw:" + sql
			}
			emit("?")
			i = j
		case isIdentByte(c) || c == '$':
			j := i
			for j < n && (isIdentByte(sql[j]) || sql[j] == '$') {
				j++
			}
			emit(sql[i:j])
			i = j
		default:
			emit(string(c))
			i++
		}
	}
	return b.String()
}

// digits returns the end of the run of ASCII digits starting at i.
func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// hasDollarTag reports whether sql may hold a dollar-quoted string: a $
// not followed by a digit (a parameter) or preceded by an identifier byte.
func hasDollarTag(sql string) bool {
	for i := 0; i < len(sql); i++ {
		if sql[i] != '$' {
			continue
		}
		if i > 0 && isIdentByte(sql[i-1]) {
			continue // part of an identifier (a$b)
		}
		if i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9' {
			continue
		}
		return true
	}
	return false
}
