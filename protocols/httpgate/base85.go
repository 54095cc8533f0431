package httpgate

import (
	"fmt"

	"github.com/airlock-sdk/airlock/internal/jsontext"
	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// Under a rule's mask, text in a base85 alphabet (ASCII85 with or
// without a PDF around it, Z85, RFC 1924's) is decoded as a client
// decodes it (packed.Base85Runs): what it decodes to, and what a
// compressed stream in that unpacks to, is read by the detectors, and a
// value found refuses the body. The masked text is judged before it is
// sent (protoWatch holds the window), and a JSON body whole.

// maxBase85Unpacked bounds what a decoded run's compressed streams are
// unpacked to; a run whose streams unpack to more is refused.
const maxBase85Unpacked = 16 << 20

// base85Behind is how much text already judged is read again before the
// next: an encoded value (up to 80 characters) that starts in it.
const base85Behind = 100

// refuseBase85 returns the error that refuses text holding a value in a
// base85 run, or nil. passed holds the decodes judged to hold nothing
// (the judgement depends on nothing else).
func refuseBase85(p *mask.Policy, text []byte, passed *verdicts) error {
	var err error
	packed.Base85Runs(text, func(dec []byte) bool {
		if _, ok := passed.get(dec); ok {
			return false
		}
		if err = refuseDecoded(p, dec); err == nil {
			passed.put(dec, false)
		}
		return err != nil
	})
	return err
}

// refuseBase85Strings returns the error that refuses a JSON text one of
// whose strings, decoded and read alone (as a client that takes it out
// of the document reads it), holds a value in a base85 run, or nil. In
// ASCII85 a string's quotes, its key and the members before it are
// characters of one run, and packed data is probed for near a run's
// start only (packedNearStart): read whole, a string after 25 such
// characters is not probed where it starts. Strings shorter than a run
// decoded (packed.MinBase85Run) are not read again.
func refuseBase85Strings(p *mask.Policy, doc []byte) error {
	var buf []byte
	var passed verdicts
	for i := 0; i < len(doc); {
		if doc[i] != '"' {
			i++
			continue
		}
		s, escaped, next, err := jsontext.ReadString(buf, doc, i)
		if err != nil {
			// Not a JSON text from here: it was read whole as text.
			return nil
		}
		if len(s) >= packed.MinBase85Run {
			if err := refuseBase85(p, s, &passed); err != nil {
				return err
			}
		}
		if escaped {
			buf = s[:0]
		}
		i = next
	}
	return nil
}

// refuseDecoded returns the error that refuses a base85 run decoding to
// dec, or nil.
func refuseDecoded(p *mask.Policy, dec []byte) error {
	if hasTextRun(dec, minValueRun) && findsIn(p, dec) {
		return fmt.Errorf("%w: base85 text decodes to a value the masker reads", errUnmaskable)
	}
	if !packedNearStart(dec) {
		return nil
	}
	found := false
	uerr := packed.Unpack(dec, maxBase85Unpacked, func(in []byte) bool {
		found = findsIn(p, in)
		return found
	})
	switch {
	case found:
		return fmt.Errorf("%w: base85 text decodes to compressed data with a value the masker reads", errUnmaskable)
	case uerr != nil && packed.Magic(dec, false) != "":
		// Packed data from its first byte that cannot be searched;
		// elsewhere in decoded bytes (a token read as base85 is random
		// bytes) a signature is chance.
		return fmt.Errorf("%w: base85 text decodes to %w", errUnmaskable, uerr)
	}
	return nil
}

// packedNearStart reports whether compressed data may start dec, or one
// of its first groups (after a keyword's groups: "stream"): a decoded
// run elsewhere is a token's random bytes, not unpacked.
func packedNearStart(dec []byte) bool {
	for i := 0; i <= 16 && i < len(dec); i += 4 {
		if packed.MayStart(dec[i:]) {
			return true
		}
	}
	return false
}

// minValueRun is the fewest characters in a row a value the detectors
// find takes: bytes decoded from a run in the wrong alphabet or offset
// (random bytes) seldom hold as many printable ones.
const minValueRun = 8

// hasTextRun reports whether b holds n printable characters (or white
// space) in a row.
func hasTextRun(b []byte, n int) bool {
	k := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' {
			if k++; k >= n {
				return true
			}
		} else {
			k = 0
		}
	}
	return false
}
