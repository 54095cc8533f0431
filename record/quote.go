package record

import "github.com/airlock-sdk/airlock/internal/jsontext"

// appendString appends s quoted exactly as json.Marshal quotes it.
func appendString[S string | []byte](b []byte, s S) []byte {
	return jsontext.AppendQuote(b, s, true)
}
