package httpgate

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/airlock-sdk/airlock/internal/packed"
)

// A body that packs its values where the masker cannot read them (see
// internal/packed: compressed, archived, binary serializations) is
// refused (502, errUnmaskable): by its declared type, by the magic bytes
// its decoded content starts with, by packed data anywhere in its bytes
// (a tar holding a gzip file, a JSON line then a gzip stream: the stream
// is cut there), and by packed data encoded in its text (base64 or hex of
// a gzip or xlsx file, of raw deflate). Under a rule's mask, a body that
// is neither text nor a whole image (media.go) is refused too: a
// MessagePack, CBOR, BSON or protobuf body served as
// application/octet-stream writes numbers in binary, and has no
// signature to know it by.
//
// Where no rule masks, a proxy with a Credential masks only its own
// secrets (credsecrets.go), which a packed body may hold compressed. A
// body of a known length up to maxPackedWhole is searched whole with what
// it unpacks to (packed.Unpack: gzip, zlib, raw deflate, zip, bzip2, and
// their base64 or hex, at any depth) and sent as it is when none is there
// (secretscan.go): downloads keep working. One that holds a secret, holds
// packed data without a decoder here (xz, zstd, ...), or is streamed or
// larger, is refused like a packed body under a mask: the gateway does
// not send what it could not search.

// refusePacked returns the error that refuses a packed body under a rule's
// mask: by its media type mt, or by head, its first bytes (of a textual
// body when text). nil when it is not packed.
func refusePacked(mt string, head []byte, text bool) error {
	if packed.Type(mt) {
		return fmt.Errorf("%w: %s bodies hold values the masker cannot read", errUnmaskable, mt)
	}
	if name := packed.Magic(head, text); name != "" {
		return fmt.Errorf("%w: the body is %s data, which holds values the masker cannot read", errUnmaskable, name)
	}
	return nil
}

// refuseEncoded returns the error that refuses a body found (by a
// packed.Scanner) to hold packed data encoded in its text, or nil.
func refuseEncoded(found string) error {
	if found == "" {
		return nil
	}
	return fmt.Errorf("%w: the body holds encoded %s data, which holds values the masker cannot read", errUnmaskable, found)
}

// refuseEmbedded returns the error that refuses a body found (by a
// packed.Embedded) to hold packed data past its start, or nil.
func refuseEmbedded(found string) error {
	if found == "" {
		return nil
	}
	return fmt.Errorf("%w: the body holds %s data, which holds values the masker cannot read", errUnmaskable, found)
}

// binaryUnderMask judges, under a rule's mask, a body that is not text by
// its type, from head, its first bytes: media pass (to be judged whole,
// see checkMedia), as do bytes the
// server would sniff as text (sniffed: the rest of the body must stay
// text, see streamed.ctl); anything else is binary data the masker cannot
// read.
func binaryUnderMask(head []byte) (sniffed bool, err error) {
	switch dt := http.DetectContentType(head); {
	case strings.HasPrefix(dt, "text/"):
		return true, nil
	case strings.HasPrefix(dt, "image/"), strings.HasPrefix(dt, "audio/"), strings.HasPrefix(dt, "video/"),
		strings.HasPrefix(dt, "font/"), dt == "application/ogg":
		return false, nil
	}
	return false, fmt.Errorf("%w: binary data (neither text nor media) holds values the masker cannot read", errUnmaskable)
}
