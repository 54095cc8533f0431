package httpgate

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/airlock-sdk/airlock/gate"
)

// pathReadings and listReadingsOf hold their stems and sorted keys in
// small arrays rather than fresh slices (issue #19): against the code
// they replaced, kept here, on generated paths and maps.

// pathReadingsOld is pathReadings as it was.
func pathReadingsOld(p string) []string {
	if p == "/" || p == "" {
		return nil
	}
	bare := strings.TrimSuffix(p, "/")
	stems := []string{bare}
	if !isASCII(bare) {
		// macOS matches file names in any Unicode normalisation; servers
		// and applications that compare paths under compatibility
		// normalisation (NFKC, as IIS's best-fit mapping of full-width
		// forms) read /ａdmin as /admin.
		for _, s := range []string{norm.NFC.String(bare), norm.NFD.String(bare), norm.NFKC.String(bare), norm.NFKD.String(bare)} {
			if !slices.Contains(stems, s) {
				stems = append(stems, s)
			}
		}
	}
	for _, s := range slices.Clone(stems) {
		if t := trimSegmentDots(s); t != s && t != "" && !slices.Contains(stems, t) {
			stems = append(stems, t)
		}
	}
	for _, s := range slices.Clone(stems) {
		if s2, ok := dropExtension(s); ok {
			stems = append(stems, s2)
		}
	}
	out := make([]string, 0, 2*len(stems))
	for _, s := range stems {
		for _, v := range []string{s, s + "/"} {
			if v != p && v != "/" && v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// listReadingsOfOld is listReadingsOf as it was.
func listReadingsOfOld(m map[string][]string, read func(k string) bool, with func(k string, vs []string, alt map[string][]string) valueReading) ([]valueReading, *refusal) {
	var out []valueReading
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !read(k) {
			continue
		}
		vs := m[k]
		lists, ref := listReadings(k, vs)
		if ref != nil {
			return nil, ref
		}
		for _, l := range lists {
			alt := maps.Clone(m)
			alt[k] = l
			out = append(out, with(k, vs, alt))
		}
	}
	return out, nil
}

func TestPathReadingsAgreesWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 23))
	segs := []string{"", "a", "admin", "..", ".", "a.json", "x.y.z", "ａdmin", "e\u0301", "caf\u00e9", "  ", "a.", ".a", "%2e", "v1", "A.B"}
	paths := []string{"", "/", "//", "/admin", "/admin/", "/a/./b/../c.json/"}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString("/" + segs[r.IntN(len(segs))])
		}
		if r.IntN(3) == 0 {
			b.WriteString("/")
		}
		paths = append(paths, b.String())
	}
	for _, p := range paths {
		if got, want := pathReadings(p), pathReadingsOld(p); !slices.Equal(got, want) {
			t.Fatalf("pathReadings(%q) = %q, the old %q", p, got, want)
		}
	}
}

func TestListReadingsOfAgreesWithOld(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 29))
	vals := []string{"9", "09", "1,2", "a", "x,y,z", "", "0x9", "+9"}
	for n := range 1000 {
		m := map[string][]string{}
		for range r.IntN(1 + n%45) {
			var vs []string
			for range 1 + r.IntN(3) {
				vs = append(vs, vals[r.IntN(len(vals))])
			}
			m[fmt.Sprintf("k%d", r.IntN(60))] = vs
		}
		read := func(k string) bool { return k[len(k)-1]%3 != 0 }
		with := func(k string, vs []string, alt map[string][]string) valueReading {
			keys := slices.Sorted(maps.Keys(alt))
			return valueReading{&gate.Request{}, k, fmt.Sprint(vs, keys, alt[k])}
		}
		got, gref := listReadingsOf(m, read, with)
		want, wref := listReadingsOfOld(m, read, with)
		if fmt.Sprint(gref) != fmt.Sprint(wref) || len(got) != len(want) {
			t.Fatalf("map %v: %d readings, refusal %v; the old %d, %v", m, len(got), gref, len(want), wref)
		}
		for i := range got {
			if got[i].check != want[i].check || got[i].why != want[i].why {
				t.Fatalf("map %v, reading %d: %q %q, the old %q %q", m, i, got[i].check, got[i].why, want[i].check, want[i].why)
			}
		}
	}
}
