package gate

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// reviewDigest is the digest a review, and the retry that redeems its
// approval, are filed under: Digest (identity, target, Command, Payload,
// rule-set version) and the request's attributes besides (see
// attributeBinding).
func reviewDigest(req *Request, ruleSetVersion string) string {
	return hashParts([]byte("review"), []byte(Digest(req, ruleSetVersion)), attributeBinding(req))
}

// attributeBinding returns the bytes that bind an approval or an exact grant
// to everything of a request that rules judge, reviewers are shown and the
// upstream acts on, beyond Command and Payload: the HTTP host and headers
// (a header can turn a dry run into a real one, or name another tenant),
// the statements a SQL message runs (an EXECUTE of a prepared statement
// has the text of the EXECUTE, not of what it runs), its parameters and
// the session settings it runs under (SQL.Settings),
// the tool arguments, the parsed shell command. Attributes the gate could
// not encode bind to a fresh random value, so that nothing matches them.
//
// The parsed HTTP body is left out: it is derived from Payload (or, beyond
// the record limit, Payload is its hash) and the headers, both bound.
func attributeBinding(req *Request) []byte {
	a := struct {
		SQL  *SQL      `json:"sql,omitempty"`
		SSH  *SSH      `json:"ssh,omitempty"`
		HTTP *HTTP     `json:"http,omitempty"`
		Tool *ToolCall `json:"tool,omitempty"`
	}{SQL: req.SQL, SSH: req.SSH, Tool: req.Tool}
	if req.HTTP != nil {
		h := *req.HTTP
		h.Body = nil
		a.HTTP = &h
	}
	b, err := json.Marshal(a)
	if err != nil {
		return []byte("unencodable " + NewID())
	}
	return b
}

// hashParts hashes parts, each prefixed with its length so that no two
// lists of parts hash alike, and returns the hex digest.
func hashParts(parts ...[]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// shapeBinding returns what a grant of scope shape binds besides Shape:
// the shapes of the statements a SQL message runs (an EXECUTE's Command
// is the same whatever was prepared under its name) and, for HTTP, the
// host and the header names. Values stay free, as a shape grant promises.
func shapeBinding(req *Request) []byte {
	var b []byte
	if req.SQL != nil {
		for _, st := range req.SQL.Statements {
			b = append(b, "statement "...)
			b = append(b, sqlShape(st.Text)...)
			b = append(b, 0)
		}
		// The settings decide what a shape means ('01/12/2026' as a date,
		// which t an unqualified t is): a grant given under some is not
		// spent under others.
		names := make([]string, 0, len(req.SQL.Settings))
		for k := range req.SQL.Settings {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			b = append(b, "setting "...)
			b = append(b, k...)
			b = append(b, 0)
			b = append(b, req.SQL.Settings[k]...)
			b = append(b, 0)
		}
	}
	if h := req.HTTP; h != nil {
		b = append(b, "host "...)
		b = append(b, h.Host...)
		b = append(b, 0)
		names := make([]string, 0, len(h.Headers))
		for k := range h.Headers {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			b = append(b, "header "...)
			b = append(b, k...)
			b = append(b, 0)
		}
	}
	return b
}
