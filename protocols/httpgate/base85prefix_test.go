package httpgate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// TestBase85AfterLongPrefixMeasured measures (does not fail on) a hole
// found while making the base85 reading cheap (issue #19): packed data
// in ASCII85 is probed for only in a run's first 25 characters
// (packedNearStart), and in a JSON document a string's opening quote,
// the keys and the numbers before it are ASCII85 characters of the same
// run: `{"id":1006,"kkkkkkkkkkk":"<ASCII85 of zlib>"}` is passed, and a
// client that decodes the string and inflates it reads the value. Z85
// and RFC 1924's alphabet have no '"' and start a run at the string.
func TestBase85AfterLongPrefixMeasured(t *testing.T) {
	eng, err := mask.New(mask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Policy([]string{"credit_card", "email", "us_ssn"})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	passed, total := 0, 0
	for k := range 48 {
		plain := []byte("BT /F1 12 Tf 72 712 Td (name " + printableValue(r) + ") Tj ET")
		data := zlibOf(plain)
		if k%2 == 1 {
			data = flateLevel(plain, 1+r.IntN(9))
		}
		_, encs := base85Encodings(data)
		e := []int{0, 3, 4}[k%3]
		body := []byte(fmt.Sprintf(`{"id":%d,"%s":%q}`, 1000+k, strings.Repeat("k", 5+k/2), encs[e]))
		masked, _, err := p.JSON(body)
		if err != nil {
			t.Fatal(err)
		}
		texts := [][]byte{masked}
		if bytes.IndexByte(masked, '\\') >= 0 {
			texts = append(texts, unescapeJSON(masked))
		}
		total++
		if checkProtoFields(p, texts...) == nil {
			passed++
		}
	}
	t.Logf("%d of %d JSON bodies with a value in packed ASCII85 after a long prefix are passed", passed, total)
}
