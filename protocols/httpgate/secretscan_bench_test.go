package httpgate

import (
	"testing"

	"github.com/airlock-sdk/airlock/mask"
)

// BenchmarkSearchClean measures the search of a clean JSON body for a
// proxy's credential secrets (jsonHoldsNoSecret and unpacksToNoSecret, as
// searchWhole runs them) on benchDoc, alone.
func BenchmarkSearchClean(b *testing.B) {
	p := (*mask.Policy)(nil).WithSecrets(credentialSecrets(BearerCredential(upstreamToken), nil))
	doc := []byte(benchDoc)
	b.ReportAllocs()
	for range b.N {
		if d := (decodedDoc{doc: doc}); !jsonHoldsNoSecret(p, &d) || !unpacksToNoSecret(p, &d) {
			b.Fatal("a secret in benchDoc")
		}
	}
}
