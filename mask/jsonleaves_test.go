package mask

import (
	"encoding/json"
	"fmt"
	"slices"
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
	// Between the pieces: containers and literals, or nothing but the
	// next object of an array; and the value twice in one container, a
	// word between (the output after a value read joined is written
	// again, and must stay one JSON text that hides the second too).
	passedOver := []string{"{}", "[]", "null", `{"x":[]}`, "true", `[{}]`}
	between := make([]string, 0, 2*len(quoted))
	objects := make([]string, len(quoted))
	for i, q := range quoted {
		if i > 0 {
			between = append(between, passedOver[i%len(passedOver)])
		}
		between = append(between, q)
		objects[i] = `{"n":` + q + `}`
	}
	twice := append(append(slices.Clone(quoted), `"hello world"`), quoted...)
	docs := map[string]string{
		"between":       "[" + strings.Join(between, ",") + "]",
		"objects":       `{"rows":[` + strings.Join(objects, ",") + `]}`,
		"twice":         "[" + strings.Join(twice, ",") + "]",
		"twice-nested":  `{"a":[` + strings.Join(twice, ",") + `],"b":"end"}`,
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
	probes, leaks, broken := 0, 0, 0
	for _, s := range encSamples {
		for name, doc := range jsonLeafDocs(s) {
			probes++
			out, _, err := p.JSON([]byte(doc))
			if err != nil {
				t.Fatalf("%s %s: %v", name, doc, err)
			}
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				broken++
				t.Logf("%s %s: output is no JSON: %s -> %s", s.kind, name, doc, out)
			}
			if recovered(s, leafJoinRE.ReplaceAllString(unJSON(string(out)), "")) {
				leaks++
				t.Logf("leak %s %s: %s -> %s", s.kind, name, doc, out)
			}
		}
	}
	if leaks > 0 || broken > 0 {
		t.Errorf("%d of %d documents leak a value, %d come back as no JSON", leaks, probes, broken)
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
		// Across containers: records of ids, codes, versions and amounts.
		`{"items":[{"id":12345,"name":"widget","price":9.99,"tags":["a","b"]},{"id":12346,"name":"bolt","price":0.35,"tags":[]}]}`,
		`[{"sku":"A1","qty":3,"lot":"B2"},{"sku":"C3","qty":12,"lot":"D4"},{"sku":"E5","qty":7,"lot":"F6"}]`,
		`{"v":"v1.2.3","deps":[{"n":"core","v":"2.0.1"},{"n":"util","v":"0.9.7"}],"ok":null}`,
		`{"page":{"n":2,"size":50},"total":1234,"next":"/v1/items?page=3","prev":"/v1/items?page=1"}`,
		`[{"t":"2024-01-15T12:30:45Z","v":17.5},{"t":"2024-01-15T12:31:45Z","v":17.25}]`,
	} {
		out, f, err := p.JSON([]byte(doc))
		if err != nil || string(out) != doc || len(f) != 0 {
			t.Errorf("%s became %s (%v, %v)", doc, out, f, err)
		}
		// Read as text (a log line, a column, a command's output), where
		// joins are read across the document's brackets too.
		if v, f, err := p.Value("", doc); err != nil || v != doc || len(f) != 0 {
			t.Errorf("as text, %s became %s (%v, %v)", doc, v, f, err)
		}
	}
}
