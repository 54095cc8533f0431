package mask

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// jsonLeafDocs writes a sample split across the leaves of one container,
// in the documents an HTTP response carries.
func jsonLeafDocs(s encSample) map[string]string {
	ps := pieces(s)
	quoted := make([]string, len(ps))
	for i, p := range ps {
		b, _ := json.Marshal(p)
		quoted[i] = string(b)
	}
	obj := func(sep string) string {
		var b strings.Builder
		for i, q := range quoted {
			if i > 0 {
				b.WriteString(sep)
			}
			fmt.Fprintf(&b, `"k%d":%s`, i, q)
		}
		return "{" + b.String() + "}"
	}
	escaped := make([]string, len(ps))
	for i, p := range ps {
		escaped[i] = `"` + perChar(p, everyOther, func(r rune) string { return fmt.Sprintf(`\u%04x`, r) }) + `"`
	}
	docs := map[string]string{
		"array":         "[" + strings.Join(quoted, ",") + "]",
		"array-spaced":  "[ " + strings.Join(quoted, ", ") + " ]",
		"object":        obj(","),
		"object-spaced": obj(", "),
		"nested":        `{"data":{"rows":[{"id":1,"parts":` + "[" + strings.Join(quoted, ",") + "]" + `}]}}`,
		"escaped":       "[" + strings.Join(escaped, ",") + "]",
	}
	if s.numeric && s.groups != nil {
		docs["numbers"] = "[" + strings.Join(ps, ",") + "]"
	}
	return docs
}

// TestJSONLeavesJoined: a sample split across the leaves of one array or
// object cannot be read back from what Policy.JSON returns, joined.
func TestJSONLeavesJoined(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	probes, leaks := 0, 0
	for _, s := range encSamples {
		for name, doc := range jsonLeafDocs(s) {
			probes++
			out, _, err := p.JSON([]byte(doc))
			if err != nil {
				t.Fatalf("%s %s: %v", name, doc, err)
			}
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("%s: output is no JSON: %q", name, out)
			}
			if recovered(s, leafJoinRE.ReplaceAllString(unJSON(string(out)), "")) {
				leaks++
				t.Logf("leak %s %s: %s -> %s", s.kind, name, doc, out)
			}
		}
	}
	if leaks > 0 {
		t.Errorf("%d of %d documents leak a value", leaks, probes)
	}
}

// TestJSONLeavesOrdinaryDocuments: ordinary documents, whose leaves are
// short words, numbers and identifiers, come back as they were.
func TestJSONLeavesOrdinaryDocuments(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	for _, doc := range []string{
		`{"status":"ok","id":"x","tags":["a","bb","ccc"],"n":[1,2,3,4,5,6,7,8,9,10,11,12]}`,
		`{"id":"a1b2c3","state":"active","version":"v1.2.3","build":"7","count":42}`,
		`[{"id":1,"name":"user 1"},{"id":2,"name":"user 2"}]`,
		`{"sizes":[12,24,36,48,60,72,84,96],"ok":true,"ratio":0.75}`,
		`["2024","01","15","12","30","45"]`,
		`{"k":"550e8400","l":"e29b","m":"41d4","n":"a716","o":"446655440000"}`,
	} {
		out, f, err := p.JSON([]byte(doc))
		if err != nil || string(out) != doc || len(f) != 0 {
			t.Errorf("%s became %s (%v, %v)", doc, out, f, err)
		}
	}
}
