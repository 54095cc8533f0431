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
// dec, or nil: a value in what it decodes to, or in what packed data
// starting at any of its groups unpacks to (packed.DecodedFinds).
func refuseDecoded(p *mask.Policy, dec []byte) error {
	found, err := packed.DecodedFinds(dec, maxBase85Unpacked, func(b []byte) bool { return findsIn(p, b) })
	switch {
	case found:
		return fmt.Errorf("%w: base85 text decodes to a value the masker reads, or to compressed data with one", errUnmaskable)
	case err != nil:
		return fmt.Errorf("%w: base85 text decodes to %w", errUnmaskable, err)
	}
	return nil
}
