package record

import (
	"bytes"

	"github.com/airlock-sdk/airlock/gate"
)

// The tests' short forms of the redactor's functions.

// secretValues is secretValuesInto with every slice allocated.
func (r *redactor) secretValues(req *gate.Request, known *secretReplacer) (found, originals []string, rewrote bool) {
	return r.secretValuesInto(req, known, nil, nil)
}

// stripMACs is stripMACsAt searching b for the first MAC itself.
func stripMACs(dst, b []byte) []byte {
	return stripMACsAt(dst, b, bytes.Index(b, []byte(SecretPrefix)))
}

// remember is rememberKnown with no replacer known.
func (ss *sessionSecrets) remember(r *redactor, session string, secrets []string) (*secretReplacer, error) {
	return ss.rememberKnown(r, session, secrets, nil, false)
}
