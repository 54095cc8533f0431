package mask

import (
	"bytes"
	"testing"
)

// TestWithSecretsKeepsItsBaseReadings: a policy with the caller's own
// secrets added (the HTTP gateway adds its upstream credential to every
// response policy) reads everything its base reads. Every sample of the
// encodings generator, in every spelling, wrapping and character
// encoding, masked by Value and by the stream masker, comes out of
// p.WithSecrets byte for byte as it comes out of p, and none leaks. A
// field-by-field copy of the policy once left out the spelled-out e-mail
// reading ("ann.lee at example dot com"): the derived policy passed those
// addresses on.
func TestWithSecretsKeepsItsBaseReadings(t *testing.T) {
	for _, names := range [][]string{{"all"}, {"pii"}, {"email"}} {
		p := jsonPolicy(t, Config{}, names...)
		q := p.WithSecrets([]string{"zq-Unrelated-7Secret"})
		differ, probes := 0, 0
		for _, sp := range append(encSpellings(), moreSpellings()...) {
			for _, s := range encSamples {
				if sp.kinds != nil && !sp.kinds(s) {
					continue
				}
				for _, w := range encWrappers {
					in := []byte(w.wrap(sp.enc(s)))
					for _, stream := range []bool{false, true} {
						probes++
						a, errA := maskBytes(p, in, stream)
						b, errB := maskBytes(q, in, stream)
						if (errA == nil) != (errB == nil) || !bytes.Equal(a, b) {
							differ++
							if differ <= 5 {
								t.Errorf("%v %s %s stream=%v: base %q (%v), with secrets %q (%v)", names, sp.name, w.name, stream, a, errA, b, errB)
							}
						}
					}
				}
			}
		}
		if differ > 0 {
			t.Errorf("%v: %d of %d probes masked differently once the policy holds secrets", names, differ, probes)
		}
	}
}
