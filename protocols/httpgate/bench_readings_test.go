package httpgate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// variedDoc is a JSON document the size of benchDoc whose records differ
// in every value (ids, names, prices, tags): a body whose windows and
// base85 runs do not repeat as benchDoc's do.
func variedDoc() string {
	r := rand.New(rand.NewPCG(19, 19))
	const letters = "abcdefghijklmnopqrstuvwxyz"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	var items []string
	for range 15 {
		items = append(items, fmt.Sprintf(`{"id":%d,"name":"%s","price":%d.%02d,"tags":["%s","%s"]}`,
			r.IntN(99999), word(3+r.IntN(6)), r.IntN(100), r.IntN(100), word(1+r.IntN(3)), word(1+r.IntN(3))))
	}
	return `{"items":[` + strings.Join(items, ",") + `,{"id":0}]}`
}

// BenchmarkMaskedReadings measures the readings of a masked JSON body
// after the masker (checkProtoFields: protobuf framing and base85 runs)
// alone, on benchDoc and on variedDoc, under BenchmarkProxyRoundTrip's
// mask.
func BenchmarkMaskedReadings(b *testing.B) {
	eng, err := mask.New(mask.Config{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := eng.Policy([]string{"credit_card", "email"})
	if err != nil {
		b.Fatal(err)
	}
	for _, doc := range []struct{ name, text string }{{"bench", benchDoc}, {"varied", variedDoc()}} {
		out, _, err := p.JSON([]byte(doc.text))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(doc.name, func(b *testing.B) {
			for range b.N {
				if err := checkProtoFields(p, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
