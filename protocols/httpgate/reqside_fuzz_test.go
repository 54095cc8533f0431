package httpgate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// FuzzParseForm: a body parseForm accepts is no JSON document, in any
// encoding a lax parser detects, and names no parameter with the empty
// name.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"a=1&b=2", `{"a":1}`, "[1]", "a=%7B", "\xef\xbb\xbf{}", "=1", "user[name]=x", " \t{}", "a=\"1\"", "5000"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		form, ref := parseForm(body)
		if ref != nil {
			return
		}
		if looksLikeJSON(body) || laxJSON(body) != 0 {
			t.Fatalf("form %q reads as JSON", body)
		}
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') && json.Valid(trimmed) {
			t.Fatalf("form %q is valid JSON", body)
		}
		if _, ok := form[""]; ok {
			t.Fatalf("form %q has an empty name", body)
		}
	})
}

// FuzzRefusedTarget: a secret parameter's value never survives in the
// record of a refused request, whatever surrounds it.
func FuzzRefusedTarget(f *testing.F) {
	for _, s := range [][3]string{{"/api", "x=1", "tok"}, {"/a;b", "y=%zz", "t;k"}, {"/", "", "a%2Db"}, {"/a;access_token=q", "a=1;b=2", "z"}} {
		f.Add(s[0], s[1], s[2])
	}
	gw := &Gateway{secretQuery: mask.CompileSecretNames(nil)}
	f.Fuzz(func(t *testing.T, path, query, secret string) {
		if strings.ContainsAny(secret, "&/") {
			return // the value ends there: what follows is another parameter
		}
		if got := gw.refusedTarget(path, "access_token="+secret+"&"+query); !strings.Contains(got, "?access_token="+redacted+"&") {
			t.Fatalf("first parameter kept: %q", got)
		}
		for _, q := range []string{query + "&client%5Fsecret=" + secret, query + ";password=" + secret} {
			if got := gw.refusedTarget(path, q); !strings.HasSuffix(got, redacted) {
				t.Fatalf("refusedTarget(%q, %q) = %q", path, q, got)
			}
		}
		if got := gw.refusedTarget(path+"/a;session="+secret, ""); !strings.HasSuffix(got, redacted) {
			t.Fatalf("path parameter kept: %q", got)
		}
	})
}
