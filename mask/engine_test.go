package mask

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Detectors: []CustomDetector{{Name: "Bad Name", Pattern: "x"}}}, `"Bad Name"`},
		{Config{Detectors: []CustomDetector{{Name: "email", Pattern: "x"}}}, `"email"`},
		{Config{Detectors: []CustomDetector{{Name: "ssn", Pattern: "x"}}}, `"ssn"`},
		{Config{Detectors: []CustomDetector{{Name: "emp", Pattern: "("}}}, `"emp"`},
		{Config{Detectors: []CustomDetector{{Name: "emp", Pattern: "a*"}}}, "empty string"},
		{Config{Detectors: []CustomDetector{{Name: "emp"}}}, "pattern or values"},
		{Config{Detectors: []CustomDetector{{Name: "emp", Pattern: "x", Values: []string{"y"}}}}, "not both"},
		{Config{Detectors: []CustomDetector{{Name: "emp", Values: []string{""}}}}, "empty value"},
		{Config{Detectors: []CustomDetector{{Name: "emp", Pattern: "x", Strategy: "blur"}}}, `"blur"`},
		{Config{Detectors: []CustomDetector{{Name: "a", Pattern: "x"}, {Name: "a", Pattern: "y"}}}, `"a"`},
		{Config{Fields: []FieldRule{{Name: "f"}}}, `"f"`},
		{Config{Fields: []FieldRule{{Name: "f", JSONPaths: []string{"a.b"}}}}, `"a.b"`},
		{Config{Fields: []FieldRule{{Name: "f", Columns: []string{"[a"}}}}, `"[a"`},
		{Config{Fields: []FieldRule{{Name: "f", Headers: []string{"X Y"}}}}, `"X Y"`},
		{Config{Fields: []FieldRule{{Name: "credit_card", Headers: []string{"X"}}}}, `"credit_card"`},
		{Config{Strategies: map[string]string{"nope": "redact"}}, `"nope"`},
		{Config{Strategies: map[string]string{"email": "hash"}}, "HashKey"},
		{Config{Strategies: map[string]string{"email": "hash"}, HashKey: []byte("short")}, "HashKey"},
		{Config{Strategies: map[string]string{"email": "sideways"}}, `"sideways"`},
		{Config{MaxMatchBytes: 1 << 20}, "max_match_bytes"},
		{Config{MaxValueBytes: -1}, "negative"},
	}
	for _, c := range cases {
		_, err := New(c.cfg)
		require.Error(t, err, "%+v", c.cfg)
		require.Contains(t, err.Error(), c.want)
	}
}

func TestHasAndPolicy(t *testing.T) {
	e, err := New(Config{
		Detectors: []CustomDetector{{Name: "emp", Pattern: `EMP-\d+`}},
		Fields:    []FieldRule{{Name: "notes", Columns: []string{"*.notes"}}},
	})
	require.NoError(t, err)
	for _, n := range []string{"credit_card", "card", "ssn", "us_ssn", "pii", "secrets", "all", "emp", "custom", "notes", "jwt", "ip"} {
		require.True(t, e.Has(n), n)
	}
	require.False(t, e.Has("nope"))
	p, err := e.Policy(nil)
	require.NoError(t, err)
	require.Nil(t, p)
	_, err = e.Policy([]string{"email", "nope"})
	require.ErrorContains(t, err, `"nope"`)
	p, err = e.Policy([]string{"ssn", "ip"})
	require.NoError(t, err)
	require.Equal(t, []string{"us_ssn", "ipv4", "ipv6"}, p.Detectors())
	var nilE *Engine
	require.False(t, nilE.Has("email"))
}

// TestEveryPolicy: the policy of every name is built once and masks what
// Policy(Names()) masks, field rules included.
func TestEveryPolicy(t *testing.T) {
	e, err := New(Config{
		Detectors: []CustomDetector{{Name: "emp", Pattern: `EMP-\d+`}},
		Fields:    []FieldRule{{Name: "notes", Columns: []string{"*.notes"}}},
	})
	require.NoError(t, err)
	every, err := e.EveryPolicy()
	require.NoError(t, err)
	want, err := e.Policy(e.Names())
	require.NoError(t, err)
	require.Equal(t, want.Detectors(), every.Detectors())
	require.NotEmpty(t, every.FieldStrategy("t.notes"))
	again, err := e.EveryPolicy()
	require.NoError(t, err)
	require.Same(t, every, again)
}

func TestNilPolicy(t *testing.T) {
	var p *Policy
	v, f, err := p.Value("t.c", "4111111111111111")
	require.NoError(t, err)
	require.Nil(t, f)
	require.Equal(t, "4111111111111111", v)
	d, f, err := p.JSON([]byte(`{"a":4111111111111111}`))
	require.NoError(t, err)
	require.Nil(t, f)
	require.Equal(t, `{"a":4111111111111111}`, string(d))
}

func TestStrategies(t *testing.T) {
	key := []byte("0123456789abcdef")
	e, err := New(Config{
		HashKey: key,
		Strategies: map[string]string{
			"credit_card": "partial", "email": "hash", "ssn": "same_length", "phone": "null",
			"secrets": "hash", "jwt": "redact",
		},
	})
	require.NoError(t, err)
	p, err := e.Policy([]string{"all"})
	require.NoError(t, err)
	v, _, err := p.Value("", "4111-1111-1111-1111 ann@example.com 123-45-6789 call (415) 555-2671.")
	require.NoError(t, err)
	require.Equal(t, "****-****-****-1111 [EMAIL:", v[:27])
	require.True(t, strings.HasSuffix(v, "] ***-**-**** call ."), v)
	a, _, _ := p.Value("", "ann@example.com")
	b, _, _ := p.Value("x.y", "ann@example.com")
	c, _, _ := p.Value("", "bob@example.com")
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	require.Len(t, a, len("[EMAIL:0123456789abcdef]"))
	// A different key gives different tokens.
	e2, _ := New(Config{HashKey: []byte("fedcba9876543210"), Strategies: map[string]string{"email": "hash"}})
	p2, _ := e2.Policy([]string{"email"})
	a2, _, _ := p2.Value("", "ann@example.com")
	require.NotEqual(t, a, a2)
	// Group strategy applies to members, a direct entry wins.
	g, _, _ := p.Value("", "AKIAIOSFODNN7EXAMPLE")
	require.True(t, strings.HasPrefix(g, "[AWS_ACCESS_KEY_ID:"), g)
	j, _, _ := p.Value("", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	require.Equal(t, "[JWT]", j)
	// partial keeps nothing of short values.
	require.Equal(t, "****", string(appendPartial(nil, []byte("1234"))))
	require.Equal(t, "*****-6789", string(appendPartial(nil, []byte("12345-6789"))))
	require.Equal(t, "**éd", string(appendStars(nil, []byte("abéd"), 2)))
}

func TestFieldRules(t *testing.T) {
	e, err := New(Config{
		Fields: []FieldRule{
			{Name: "notes", Columns: []string{"*.notes", "crm.comment*"}},
			{Name: "dob", Columns: []string{"birth_date"}, Strategy: "null"},
			{Name: "auth", Headers: []string{"X-Session"}, Strategy: "same_length"},
		},
	})
	require.NoError(t, err)
	p, err := e.Policy([]string{"notes", "dob", "auth", "email"})
	require.NoError(t, err)
	cases := []struct{ field, in, want string }{
		{"users.notes", "anything", "[NOTES]"},
		{"USERS.NOTES", "anything", "[NOTES]"},
		{"crm.comments", "x", "[NOTES]"},
		{"crm.other", "mail ann@example.com", "mail [EMAIL]"},
		{"people.birth_date", "1980-01-01", ""},
		{"birth_date", "1980-01-01", ""},
		{"x-session", "ab-12", "**-**"},
		{"X-Other", "ab-12", "ab-12"},
	}
	for _, c := range cases {
		got, f, err := p.Value(c.field, c.in)
		require.NoError(t, err)
		require.Equal(t, c.want, got, c.field)
		if c.want != c.in {
			require.NotEmpty(t, f)
		}
	}
	require.Equal(t, "null", p.FieldStrategy("people.birth_date"))
	require.Equal(t, "", p.FieldStrategy("people.name"))
}

func TestCustomDetectors(t *testing.T) {
	e, err := New(Config{
		Detectors: []CustomDetector{
			{Name: "emp", Pattern: `EMP-\d{6}`},
			{Name: "ticket", Pattern: `[A-Z]{2,5}-\d+`, Keywords: []string{"ticket"}},
			{Name: "codename", Values: []string{"Falcon", "Blue Heron"}},
			{Name: "anyword", Pattern: `(?i)zz[a-z]+`},
			{Name: "greedy", Pattern: `QQ.*`},
			{Name: "word", Pattern: `\bWW\d+\b`},
			{Name: "linestart", Pattern: `(?m)^LS\d`},
		},
		MaxMatchBytes: 64,
	})
	require.NoError(t, err)
	p, err := e.Policy([]string{"custom"})
	require.NoError(t, err)
	cases := []struct{ in, want string }{
		{"id EMP-123456 x", "id [EMP] x"},
		{"id EMP-12345 x", "id EMP-12345 x"},
		{"see ticket ABC-42", "see ticket [TICKET]"},
		{"see ABC-42", "see ABC-42"},
		{"Ticket: OPS-7 and OPS-8", "Ticket: [TICKET] and [TICKET]"},
		{"falcon, blue heron; falconry", "[CODENAME], [CODENAME]; falconry"},
		{"ZZtop", "[ANYWORD]"},
		{"QQ" + strings.Repeat("a", 10), "[GREEDY]"},
		{"WW12 xWW12 WW12x é.WW3", "[WORD] xWW12 WW12x é.[WORD]"},
		{"LS1 LS2\nLS3", "[LINESTART] LS2\n[LINESTART]"},
	}
	for _, c := range cases {
		got, _, err := p.Value("", c.in)
		require.NoError(t, err)
		require.Equal(t, c.want, got, c.in)
	}
	_, _, err = p.Value("", "QQ"+strings.Repeat("a", 100))
	require.ErrorIs(t, err, ErrLimit)
}

func TestLimits(t *testing.T) {
	e, _ := New(Config{MaxValueBytes: 10})
	p, _ := e.Policy([]string{"email"})
	_, _, err := p.Value("", "01234567890")
	require.ErrorIs(t, err, ErrLimit)
}

func TestMergeFindings(t *testing.T) {
	a := []Finding{{Detector: "email", Count: 1}, {Detector: "card", Field: "t.c", Count: 2}}
	b := []Finding{{Detector: "email", Count: 3}}
	require.Equal(t, []Finding{{Detector: "card", Field: "t.c", Count: 2}, {Detector: "email", Count: 4}}, MergeFindings(a, b))
	require.Equal(t, 1, a[0].Count)
	require.Nil(t, MergeFindings(nil, nil))
}

func TestAC(t *testing.T) {
	m := newAC([]string{"he", "she", "his", "hers"})
	hits := m.findAll([]byte("uSHErs"), nil)
	var got []string
	for _, h := range hits {
		got = append(got, strings.ToLower(string("uSHErs"[h.start:h.end])))
	}
	require.Equal(t, []string{"she", "he", "hers"}, got)
}

// TestACLanes checks the four-lane walk against the plain one, with
// keywords placed across lane boundaries.
func TestACLanes(t *testing.T) {
	long := strings.Repeat("Zq", 60) // longer than a lane of a short text
	kws := []string{"password", "ghp_", "-----BEGIN ", "eyJ", "a", "ab", "bab", long}
	m := newAC(kws)
	for n := minLaneText - 30; n < minLaneText+1100; n += 7 {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString([]string{"xPassWord", "ghp_", "zz", "bab", "-----BEGIN x", "eyJ", "q", long}[i%8])
		}
		in := []byte(b.String())
		_, want := m.walk(in, 0, len(in), len(in), m.start, nil)
		got := m.findAll(in, nil)
		key := func(h []kwHit) map[kwHit]int {
			c := map[kwHit]int{}
			for _, x := range h {
				c[x]++
			}
			return c
		}
		require.Equal(t, key(want), key(got), "n=%d", len(in))
		require.Len(t, got, len(want))
	}
}
