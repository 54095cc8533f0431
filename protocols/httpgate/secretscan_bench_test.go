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
		if !jsonHoldsNoSecret(p, doc) || !unpacksToNoSecret(p, doc) {
			b.Fatal("a secret in benchDoc")
		}
	}
}
