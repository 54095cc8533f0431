package record

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// sqlText returns a generated SQL text as a client sends it: ordinary
// statements (pgbench's among them) with credentials in literals,
// comments, dollar quotes, escaped literals (E'a\'b'), identifiers and
// comparisons, and text outside ASCII.
func (g textGen) sqlText() string {
	var b strings.Builder
	for range 1 + g.rng.IntN(3) {
		pw := g.secret()
		switch g.rng.IntN(17) {
		case 0:
			b.WriteString("SELECT abalance FROM pgbench_accounts WHERE aid = " + g.chars("0123456789", 1+g.rng.IntN(6)))
		case 1:
			b.WriteString("UPDATE users SET " + g.name() + g.pick(" = ", "=", "= ", " =", "  =  ") + g.pick("'", "E'", "$$", "$q$", "") + pw +
				g.pick("'", "\\'", "$$", "$q$", "") + " WHERE id = 1")
		case 2:
			b.WriteString(g.pick("ALTER ROLE bob ", "CREATE USER x WITH ENCRYPTED ", "alter user u ") + g.randCase("password") +
				g.pick(" '", "'", "  '", " E'", " $$") + pw + g.pick("'", "$$", "") + " VALID UNTIL 'infinity'")
		case 3:
			b.WriteString("-- " + g.name() + g.pick("=", ": ", " = ") + pw + "\nSELECT 1")
		case 4:
			b.WriteString("/* " + g.name() + "=" + pw + " */ SELECT now()")
		case 5:
			b.WriteString("DO $body$ BEGIN PERFORM set_config('app." + g.name() + "', '" + pw + "', false); END $body$")
		case 6:
			b.WriteString("SELECT dblink_connect('host=db user=u " + g.randCase("password") + "=" + pw + " dbname=x')")
		case 7:
			b.WriteString("INSERT INTO t(note) VALUES ('Grüße, " + g.pick("naïve", "日本語", "ＰＡＳＳＷＯＲＤ", "\u212a", "İ") + " " +
				g.name() + "=" + pw + "')")
		case 8:
			b.WriteString("SELECT * FROM t WHERE " + g.name() + g.pick(" = ", " == ", " != ", " <= ", " >= ", " := ", "=>", " =") +
				g.pick("$1", "?", "'"+pw+"'", pw, "\""+pw+"\"", "E'\\'"+pw+"'"))
		case 9:
			b.WriteString("COPY t FROM PROGRAM '" + g.pick("mysql -uroot -p", "PGPASSWORD=", "curl -H \"Authorization: Bearer ") + pw + "'")
		case 10:
			b.WriteString("SELECT '" + g.credential() + "'::text")
		case 11:
			b.WriteString("SELECT " + g.pick("'a\\'b'", "E'\\\\'", "'it''s'", "$$x$$", "U&'\\0041'", "'\\\"'") + ", \"" + g.name() + "\" FROM \"T\"")
		case 12:
			b.WriteString("select * from pgbench_branches b join pgbench_tellers t on t.bid=b.bid where b.bid =" + g.chars("0123456789", 1+g.rng.IntN(3)))
		case 13:
			// runs of dashes: a psql rule, a comment, a name, a PEM header
			b.WriteString(g.pick("", g.name(), "x", " ") + strings.Repeat("-", 1+g.rng.IntN(12)) +
				g.pick("=", ":", " ", "\n", "BEGIN ", "BEGIN RSA PRIVATE KEY-----\n", "--password ", "-") + pw)
		case 14:
			b.WriteString("SELECT id, basic, bearer, mariadb_id, identified, passage FROM accounts WHERE aid=" + g.chars("0123456789", 3))
		case 15:
			b.WriteString(g.clean())
		default:
			b.WriteString(g.chars(alnum+" =:-_@/.'\"\\;,$\n\t{}[]()é", g.rng.IntN(60)))
		}
		b.WriteString(g.pick(";", "; ", ";\n", "", " "))
	}
	return b.String()
}

// sqlTexts returns n generated SQL texts, raw, as the JSON piece of a
// command (`,"command":"…"` written by appendString) and as a
// statement's text without its semicolon.
func sqlTexts(n int) [][]byte {
	g := textGen{rng: rand.New(rand.NewPCG(59, 61))}
	var out [][]byte
	for len(out) < n {
		s := g.sqlText()
		out = append(out, []byte(s), appendString([]byte(`,"command":`), s),
			appendString([]byte(`,"sql":{"statements":[{"kind":"SELECT","text":`), strings.TrimSuffix(s, ";")))
	}
	return out
}

// TestTriggeredSQL holds the prefilter to the one before it (oldTriggered)
// and the prefiltered scan to the oracle (every rule, lower-cased) on
// generated SQL, raw and as the event's JSON writes it, with and without
// names: the same rules, the same values found.
func TestTriggeredSQL(t *testing.T) {
	t.Parallel()
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	dirty := 0
	texts := sqlTexts(6000)
	for i, s := range texts {
		for _, f := range []freeText{{names: names, filter: filter}, {names: names, filter: filter, json: true}, {}, {json: true}} {
			if got, want := f.triggered(s), oldTriggered(f, s); got != want {
				t.Fatalf("text %d (json %v, names %v): rules %09b, before %09b, in\n%q", i, f.json, f.names != nil, got, want, s)
			}
			want := sortedCopy(oracleScan(f, nil, s))
			if got := sortedCopy(f.scan(nil, s)); !slices.Equal(got, want) {
				t.Fatalf("text %d (json %v, names %v): scan found %q, the oracle %q in\n%q", i, f.json, f.names != nil, got, want, s)
			}
			if len(want) > 0 {
				dirty++
			}
		}
	}
	if dirty < len(texts)/4 {
		t.Fatalf("only %d scans of %d texts find a credential: the generator is too weak", dirty, 4*len(texts))
	}
}

// TestAssignedValueBeforeName: assigned, which rules out a spaced '='
// with a bare value before it looks at the name, answers as
// assignedNameFirst (the name checked first) at every separator of
// generated SQL and free text.
func TestAssignedValueBeforeName(t *testing.T) {
	t.Parallel()
	names := mask.CompileSecretNames(nil)
	filter := newNameFilter(nil)
	g := textGen{rng: rand.New(rand.NewPCG(67, 71))}
	texts := sqlTexts(3000)
	for range 3000 {
		texts = append(texts, []byte(g.text()))
	}
	taken, ruledOut := 0, 0
	for i, s := range texts {
		for _, f := range []freeText{{names: names, filter: filter}, {names: names, filter: filter, json: true}} {
			var memo, oldMemo nameMemo
			for p, c := range s {
				if c != '=' && c != ':' {
					continue
				}
				v, ok := f.assigned(s, p, &memo, nil)
				ov, ook := assignedNameFirst(f, s, p, &oldMemo)
				if ok != ook || !bytes.Equal(v, ov) {
					t.Fatalf("text %d at %d (json %v): %q %v, name first %q %v, in\n%q", i, p, f.json, v, ok, ov, ook, s)
				}
				if ok {
					taken++
				} else if c == '=' && p > 0 && s[p-1] == ' ' {
					ruledOut++
				}
			}
		}
	}
	if taken < 1000 || ruledOut < 1000 {
		t.Fatalf("%d separators taken, %d spaced ones ruled out: the generator is too weak", taken, ruledOut)
	}
}

// assignedNameFirst is freeText.assigned as it was before the spaced '='
// with a bare value was ruled out ahead of the name check, for a caller
// that reads the value itself (values nil).
func assignedNameFirst(f freeText, t []byte, p int, ruledOut *nameMemo) ([]byte, bool) {
	sep := t[p]
	after := p + 1
	if sep == '=' {
		if p > 0 && bytes.IndexByte([]byte("=!<>:"), t[p-1]) >= 0 || after < len(t) && t[after] == '=' {
			return nil, false // a comparison
		}
		if after < len(t) && t[after] == '>' {
			after++ // 'password' => 'v'
		}
	} else if after < len(t) && (t[after] == ':' || t[after] == '/' && after+1 < len(t) && t[after+1] == '/') {
		return nil, false // a URL's scheme, a C++ scope
	}
	k := p
	for k > 0 && t[k-1] == ' ' {
		k--
	}
	spaced := k < p
	if k > 0 && (t[k-1] == '"' || t[k-1] == '\'') {
		escaped := k > 1 && t[k-2] == '\\'
		if f.json && sep == ':' && t[k-1] == '"' && !escaped {
			return nil, false // a key of the event's own JSON
		}
		k--
		if escaped {
			k--
		}
	}
	name, _ := nameBefore(t, k)
	if len(name) == 0 {
		return nil, false
	}
	packed := packName(name)
	if ruledOut.has(packed) {
		return nil, false
	}
	if !f.filter.mayMatch(name) || !f.names.Match(string(name)) {
		ruledOut.add(packed)
		return nil, false
	}
	j := after
	for j < len(t) && t[j] == ' ' {
		j++
	}
	spaced = spaced || j > after
	v, quoted := value(t, j)
	if sep == '=' && spaced && !quoted {
		return nil, false // code or SQL: password = $1, token == x
	}
	if !quoted && isSchemeWord(v) && j+len(v) < len(t) && t[j+len(v)] == ' ' {
		v, _ = value(t, j+len(v)+1) // Authorization: Bearer v
	}
	return v, true
}
