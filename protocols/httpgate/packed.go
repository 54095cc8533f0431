package httpgate

import (
	"fmt"

	"github.com/airlock-sdk/airlock/internal/packed"
)

// Under a rule's mask, a body that packs its values where the masker
// cannot read them (see internal/packed: compressed, archived, binary
// serializations) is refused (502, errUnmaskable): by its declared type,
// by the magic bytes its decoded content starts with, and by packed data
// encoded in its text (base64 or hex of a gzip or xlsx file, anywhere in
// the body: the stream is cut there). The secrets-only masking of a
// proxy's own credential does not refuse them: downloads keep working
// where no rule masks.

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
