package packed

import (
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestUnpackWorkBoundSparesOrdinaryData: on ordinary packed data (a
// megabyte of gzip, gzip of gzip, tar and zip files of many similar
// members, random bytes, a large base64 value), Unpack's work bounds
// change nothing: it ends as the walk as it was did, under both
// gateways' budgets.
func TestUnpackWorkBoundSparesOrdinaryData(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := strings.Repeat("id,name,email,note\n1,ann,ann@example.com,some text here\n", 20000)
	var tars, zips []byte
	for i := range 50 {
		tars = append(tars, tarOf("a.gz", gz(text[:10000+i]))...)
		zips = append(zips, zipOf(text[:15000+i*7])...)
	}
	cases := map[string][]byte{
		"gzip of 900 KB of text": gz(text[:900000]),
		"gzip of gzip":           gz(string(gz(text[:300000]))),
		"tar of 50 gzip files":   tars,
		"50 similar zip members": zips,
		"random 256 KiB":         random(256 << 10),
		"base64 of random bytes": []byte(`{"f":"` + base64.StdEncoding.EncodeToString(random(256<<10)) + `"}`),
	}
	for name, d := range cases {
		for _, limit := range []int{1 << 20, 8 << 20} {
			_, err := unpackWork(d, limit, func([]byte) bool { return false })
			_, oerr := unpackOld(d, limit, func([]byte) bool { return false })
			if errors.Is(err, ErrOpaque) != errors.Is(oerr, ErrOpaque) {
				t.Errorf("%s, limit %d: %v; the walk as it was: %v", name, limit, err, oerr)
			}
		}
	}
}
