package httpgate

import (
	"net/http"
	"strings"
)

// bodyDerived are the response fields computed from the upstream's body
// (validators, digests, byte ranges). Sent beside a masked body they are
// an oracle: an ETag that is an MD5 of the unmasked body, with the rest
// of the body known, gives the masked value back by search.
var bodyDerived = []string{
	"Etag", "Content-Md5", "Digest", "Content-Digest", "Repr-Digest", "Content-Range",
	"X-Goog-Hash", "X-Ms-Content-Crc64", "X-Content-Sha256", "X-Amz-Content-Sha256",
}

// bodyDerivedPrefixes name families of vendor digest fields.
var bodyDerivedPrefixes = []string{"X-Amz-Checksum-", "X-Checksum-", "X-Content-Md5", "X-Object-Meta-Md5"}

// dropDerived removes the body-derived fields of a response whose body is
// (or may be) masked, and says ranges are not served: a masked response
// is served whole (see the 206 refusal in prepare).
func dropDerived(h http.Header) {
	for _, k := range bodyDerived {
		delete(h, k)
	}
	for k := range h {
		for _, p := range bodyDerivedPrefixes {
			if strings.HasPrefix(k, p) {
				delete(h, k)
				break
			}
		}
	}
	if _, ok := h["Accept-Ranges"]; ok {
		h["Accept-Ranges"] = []string{"none"}
	}
}

// conditionalFields are the request fields that compare a client's guess
// with the upstream's validators: against a masked resource a 304 or 412
// tells whether a guessed unmasked body is the real one.
var conditionalFields = []string{"If-Match", "If-None-Match", "If-Range", "Range"}
