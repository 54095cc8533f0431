package packed

import (
	"encoding/base64"
	"encoding/hex"
)

// Packed data travels in text too: an export tool returns an xlsx or a
// gzip file as base64 (in a JSON string, a data: URI, a text block), a
// debugging endpoint dumps one in hex. The masker reads base64 and hex
// text, not what they unpack to. A Scanner reads text as it streams and
// finds a run of base64 (standard or URL alphabet) or hexadecimal digits
// whose decoded bytes start with a packed format's magic (Magic), where
// the run starts: after a character that is neither a letter nor a
// digit, or at the start of the text.

// encodedPrefix is how many characters of a run are decoded: 24 of base64
// hold 18 bytes, enough for every magic.
const encodedPrefix = 24

// minEncoded is the shortest run judged (12 characters of base64 are 9
// bytes; 12 hex digits are 6): shorter words that happen to decode to a
// magic ("H4sI") are not packed data.
const minEncoded = 12

// maxRuns bounds the runs a Scanner follows at once (a run is followed
// for encodedPrefix characters, and one starts at most at every second
// character: "a/b/c").
const maxRuns = encodedPrefix

// Scanner finds encoded packed data in text written to it in pieces.
type Scanner struct {
	runs  [][]byte // the open runs' first characters, oldest first
	prev  byte     // the last byte written
	found string   // what was found, once found
}

// Found returns the name of the packed format found so far ("" if none).
func (s *Scanner) Found() string { return s.found }

// Write scans p; it never fails. Found reports what it found.
func (s *Scanner) Write(p []byte) (int, error) {
	for _, c := range p {
		if s.found != "" {
			break
		}
		if !encodedChar(c) {
			s.endRuns()
			s.prev = c
			continue
		}
		if !alnum(s.prev) {
			// A run may start after any character but a letter or a
			// digit: '/', '+', '-' and '_' are base64's but also end a
			// word (/files/H4sI...).
			if len(s.runs) == maxRuns {
				s.judge(s.runs[0])
				s.runs = s.runs[1:]
			}
			s.runs = append(s.runs, make([]byte, 0, encodedPrefix))
		}
		kept := s.runs[:0]
		for _, r := range s.runs {
			r = append(r, c)
			if len(r) == encodedPrefix {
				s.judge(r)
				continue
			}
			kept = append(kept, r)
		}
		s.runs = kept
		s.prev = c
	}
	return len(p), nil
}

// Close ends the text: the runs still open are judged.
func (s *Scanner) Close() error {
	s.endRuns()
	return nil
}

// endRuns judges the open runs and closes them.
func (s *Scanner) endRuns() {
	for _, r := range s.runs {
		s.judge(r)
	}
	s.runs = s.runs[:0]
}

// judge decodes a run's characters (as hex, base64 and base64url) and
// notes the packed format they start with.
func (s *Scanner) judge(run []byte) {
	if len(run) < minEncoded || s.found != "" {
		return
	}
	for _, decode := range []func([]byte) []byte{decodeHex, decodeBase64(base64.StdEncoding), decodeBase64(base64.URLEncoding)} {
		head := decode(run)
		if len(head) == 0 {
			continue
		}
		if name := Magic(head, true); name != "" {
			s.found = name
			return
		}
		if len(run) == encodedPrefix && zlibHeader(head) {
			s.found = "zlib"
			return
		}
	}
}

// zlibHeader reports whether head starts with the header zlib writes (a
// 32 KiB window, one of the four levels): in text, where two bytes of
// any header are too likely by chance (a camelCase word decodes to one
// in about 2000), only these, at the start of a long run, are zlib.
func zlibHeader(head []byte) bool {
	if len(head) < 2 || head[0] != 0x78 {
		return false
	}
	switch head[1] {
	case 0x01, 0x5e, 0x9c, 0xda:
		return true
	}
	return false
}

// Encoded returns the name of the packed format that text holds encoded
// (see Scanner), or "".
func Encoded(text string) string {
	var s Scanner
	_, _ = s.Write([]byte(text))
	_ = s.Close()
	return s.found
}

// decodeHex decodes the even prefix of run when it is all hex digits.
func decodeHex(run []byte) []byte {
	n := len(run) &^ 1
	b := make([]byte, n/2)
	if _, err := hex.Decode(b, run[:n]); err != nil {
		return nil
	}
	return b
}

// decodeBase64 decodes the prefix of run in whole quanta (4 characters)
// with enc, padding dropped.
func decodeBase64(enc *base64.Encoding) func([]byte) []byte {
	return func(run []byte) []byte {
		n := len(run) &^ 3
		for n > 0 && run[n-1] == '=' {
			n -= 4
		}
		if n <= 0 {
			return nil
		}
		b := make([]byte, enc.DecodedLen(n))
		m, err := enc.Decode(b, run[:n])
		if err != nil {
			return nil
		}
		return b[:m]
	}
}

// encodedChar reports whether c is a character of base64 (either
// alphabet), padding aside, or of hex.
func encodedChar(c byte) bool {
	return alnum(c) || c == '+' || c == '/' || c == '-' || c == '_'
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
