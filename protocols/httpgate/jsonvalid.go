package httpgate

import "github.com/airlock-sdk/airlock/internal/jsontext"

// maxValidDepth is the nesting validJSON accepts: one level below
// encoding/json's limit of 10000, so that it never accepts a text that
// json.Valid refuses.
const maxValidDepth = 9999

// validJSON reports whether doc is one JSON text, as json.Valid does
// (strings are not checked for valid UTF-8 by either), in one pass of the
// module's tokenizer rather than encoding/json's byte-by-byte state
// machine, which cost more than the rest of the secret search.
func validJSON(doc []byte) bool {
	end, err := jsontext.SkipValue(doc, jsontext.SkipSpace(doc, 0), maxValidDepth)
	return err == nil && jsontext.SkipSpace(doc, end) == len(doc)
}
