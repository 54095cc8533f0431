package mask

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func jsonPolicy(t testing.TB, cfg Config, names ...string) *Policy {
	t.Helper()
	e, err := New(cfg)
	require.NoError(t, err)
	p, err := e.Policy(names)
	require.NoError(t, err)
	return p
}

func TestJSON(t *testing.T) {
	cfg := Config{
		Fields: []FieldRule{
			{Name: "card_field", JSONPaths: []string{"$.customers[*].card"}, Strategy: "partial"},
			{Name: "secret_blob", JSONPaths: []string{"$..blob"}},
			{Name: "gone", JSONPaths: []string{"$.meta['x y']"}, Strategy: "null"},
		},
	}
	p := jsonPolicy(t, cfg, "pii", "secrets", "card_field", "secret_blob", "gone")
	cases := []struct{ in, want string }{
		{`{"a":1,"b":"x","c":[true,false,null]}`, `{"a":1,"b":"x","c":[true,false,null]}`},
		{`{"n":4111111111111111}`, `{"n":"[CREDIT_CARD]"}`},
		{`{"n":4.111111111111111e15}`, `{"n":"[CREDIT_CARD]"}`},
		{`{"customers":[{"card":"4111 1111 1111 1111","name":"x"},{"card":12345678}]}`,
			`{"customers":[{"card":"**** **** **** 1111","name":"x"},{"card":"****5678"}]}`},
		{`{"deep":{"more":[{"blob":{"k":[1,2]}}]}}`, `{"deep":{"more":[{"blob":"[SECRET_BLOB]"}]}}`},
		{`{"meta":{"x y":"v","z":1}}`, `{"meta":{"x y":null,"z":1}}`},
		{`{"password":"hunter2","db":{"PASSWORD_HASH":42},"token":null}`,
			`{"password":"[PASSWORD_ASSIGNMENT]","db":{"PASSWORD_HASH":"[PASSWORD_ASSIGNMENT]"},"token":null}`},
		{`{"ann@example.com":"k"}`, `{"[EMAIL]":"k"}`},
		{`"mail ann@example.com\n"`, `"mail [EMAIL]\n"`},
		{`{"s":"\u0034111111111111111"}`, `{"s":"[CREDIT_CARD]"}`},
		{`{"html":"<a&b>"}`, `{"html":"<a&b>"}`},
		{`[]`, `[]`},
	}
	for _, c := range cases {
		got, _, err := p.JSON([]byte(c.in))
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, string(got), c.in)
		require.True(t, json.Valid(got))
	}
}

func TestJSONErrors(t *testing.T) {
	p := jsonPolicy(t, Config{MaxValueBytes: 1000}, "pii")
	for _, in := range []string{
		`{"a":1,"a":2}`,
		`{"a":1}{}`,
		`{"a":`,
		`{"a":1,}`,
		``,
		`{"ann@example.com":1,"bob@example.com":2}`,
		strings.Repeat("[", 600) + strings.Repeat("]", 600),
		`"` + strings.Repeat("a", 1000) + `"`,
	} {
		out, f, err := p.JSON([]byte(in))
		require.Error(t, err, in)
		require.True(t, errors.Is(err, ErrInput) || errors.Is(err, ErrLimit), "%v", err)
		require.Nil(t, out)
		require.Nil(t, f)
	}
}

func TestJSONFindings(t *testing.T) {
	p := jsonPolicy(t, Config{}, "email")
	_, f, err := p.JSON([]byte(`{"users":[{"email":"a@example.com"},{"email":"b@example.com"}]}`))
	require.NoError(t, err)
	require.Equal(t, []Finding{{Detector: "email", Field: "$.users[*].email", Count: 2}}, f)
}

func TestJSONValue(t *testing.T) {
	p := jsonPolicy(t, Config{Fields: []FieldRule{{Name: "nm", JSONPaths: []string{"$.rows[*].name"}}}}, "pii", "secrets", "nm")
	in := map[string]any{
		"rows": []any{
			map[string]any{"name": "Ann", "card": float64(4111111111111111), "n": json.Number("5555555555554444")},
			map[string]any{"name": "Bob", "ip": "10.1.2.3", "age": 42, "ok": true, "nil": nil},
		},
		"api_key": "abc",
	}
	out, f, err := p.JSONValue(in)
	require.NoError(t, err)
	want := map[string]any{
		"rows": []any{
			map[string]any{"name": "[NM]", "card": "[CREDIT_CARD]", "n": "[CREDIT_CARD]"},
			map[string]any{"name": "[NM]", "ip": "[IPV4]", "age": 42, "ok": true, "nil": nil},
		},
		"api_key": "[PASSWORD_ASSIGNMENT]",
	}
	require.Equal(t, want, out)
	require.NotEmpty(t, f)
	// The input is untouched.
	require.Equal(t, float64(4111111111111111), in["rows"].([]any)[0].(map[string]any)["card"])
	_, _, err = p.JSONValue(map[string]any{"x": struct{}{}})
	require.ErrorIs(t, err, ErrInput)
	var nilp *Policy
	v, f, err := nilp.JSONValue(in)
	require.NoError(t, err)
	require.Nil(t, f)
	require.Equal(t, in, v)
}

func TestJSONPath(t *testing.T) {
	el := func(parts ...any) []pathElem {
		var out []pathElem
		for _, p := range parts {
			switch x := p.(type) {
			case string:
				out = append(out, pathElem{key: x})
			case int:
				out = append(out, pathElem{index: x, isIdx: true})
			}
		}
		return out
	}
	cases := []struct {
		path string
		el   []pathElem
		want bool
	}{
		{"$.a.b", el("a", "b"), true},
		{"$.a.b", el("a", "c"), false},
		{"$.a[*].b", el("a", 3, "b"), true},
		{"$.a[2].b", el("a", 3, "b"), false},
		{"$['a b'][\"c\"]", el("a b", "c"), true},
		{"$..b", el("x", 1, "y", "b"), true},
		{"$..b", el("b"), true},
		{"$.*", el("q"), true},
		{"$.*", el("q", "r"), false},
		{"$..[0]", el("a", 0), true},
	}
	for _, c := range cases {
		p, err := parseJSONPath(c.path)
		require.NoError(t, err, c.path)
		require.Equal(t, c.want, p.match(c.el), c.path)
	}
	for _, bad := range []string{"a.b", "$.", "$[", "$[x]", "$.a[-1]", "$['a"} {
		_, err := parseJSONPath(bad)
		require.Error(t, err, bad)
	}
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":"4111111111111111"}`, `[1,2,{"b":null}]`, `{"password":"x"}`, `"\ud800"`, `1e400`,
		` {"a" : [ -0.5e+3 , "x\u00e9\n" , true ] } `, `{"a":1,"a":2}`, `[01]`, `"\x"`, `{"card": {"x": [1]}}`,
		// Values split across members, twice, with other members between.
		`["4111","1111","1111","1111","x y","4111","1111","1111","1111"]`,
		`{"a":["+14155","552671","hello world","+14155","552671"],"b":"end"}`,
		`["4111","1111",{},"1111",null,"1111"]`,
		`[{"n":"ann.lee@e"},{"n":"xample.com"},{"n":"ann.lee"},{"n":"@example.com"}]`} {
		f.Add([]byte(s))
	}
	p := testPolicy(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _, err := p.JSON(in)
		if valid := json.Valid(in); !valid && err == nil {
			t.Fatalf("accepted invalid JSON %q", in)
		} else if valid && err != nil && !strings.Contains(err.Error(), "key") && !errors.Is(err, ErrLimit) {
			t.Fatalf("rejected valid JSON %q: %v", in, err)
		}
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, in)
		}
	})
}
