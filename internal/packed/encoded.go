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

// maxRuns bounds the runs a Scanner follows at once: a run is followed
// for encodedPrefix characters, and one starts at most at every character.
const maxRuns = encodedPrefix

// Scanner finds encoded packed data in text written to it in pieces. The
// open runs are suffixes of one stretch of encoded characters: the
// scanner keeps that stretch's last characters and where each run starts,
// so that it allocates nothing as it reads.
type Scanner struct {
	win    [2 * encodedPrefix]byte // the stretch from the oldest open run
	nwin   int                     // bytes held in win
	starts [maxRuns]int            // offsets in win of the open runs, oldest first
	nruns  int
	prev   byte                // the last byte written
	found  string              // what was found, once found
	dec    [encodedPrefix]byte // where a run is decoded
	// long holds the first characters of the current stretch of encoded
	// characters, judged whole as raw deflate (see judgeLong).
	long  [longRun]byte
	nlong int
	ldec  [longRun]byte
}

// longRun is how many characters of a stretch are judged as raw deflate:
// base64 of RawDeflateSniffLen bytes.
const longRun = RawDeflateSniffLen / 3 * 4

// Found returns the name of the packed format found so far ("" if none).
func (s *Scanner) Found() string { return s.found }

// Write scans p; it never fails. Found reports what it found.
func (s *Scanner) Write(p []byte) (int, error) {
	for _, c := range p {
		if s.found != "" {
			break
		}
		if !encodedChar(c) {
			if s.nruns > 0 {
				s.endRuns()
			}
			s.endLong()
			s.prev = c
			continue
		}
		if s.nlong >= 0 && s.nlong < longRun {
			s.long[s.nlong] = c
			if s.nlong++; s.nlong == longRun {
				s.endLong()
				s.nlong = -1 // judged: not again until the stretch ends
			}
		}
		if !alnum(s.prev) {
			// A run may start after any character but a letter or a
			// digit: '/', '+', '-' and '_' are base64's but also end a
			// word (/files/H4sI...).
			if s.nruns == maxRuns {
				s.judgeOldest()
			}
			s.starts[s.nruns] = s.nwin
			s.nruns++
		}
		if s.nruns > 0 {
			s.push(c)
		}
		s.prev = c
	}
	return len(p), nil
}

// push appends c to the stretch; the oldest run that reaches
// encodedPrefix characters is judged and closed.
func (s *Scanner) push(c byte) {
	if s.nwin == len(s.win) {
		s.shift()
	}
	s.win[s.nwin] = c
	s.nwin++
	if s.nwin-s.starts[0] == encodedPrefix {
		s.judgeOldest()
	}
}

// judgeOldest judges the oldest open run and closes it.
func (s *Scanner) judgeOldest() {
	st := s.starts[0]
	s.judge(s.win[st:min(s.nwin, st+encodedPrefix)])
	copy(s.starts[:], s.starts[1:s.nruns])
	s.nruns--
	if s.nruns == 0 {
		s.nwin = 0
	}
}

// shift drops the characters before the oldest open run.
func (s *Scanner) shift() {
	d := s.starts[0]
	copy(s.win[:], s.win[d:s.nwin])
	s.nwin -= d
	for i := range s.nruns {
		s.starts[i] -= d
	}
}

// Close ends the text: the runs still open are judged.
func (s *Scanner) Close() error {
	s.endRuns()
	s.endLong()
	return nil
}

// endLong judges the start of the stretch of encoded characters that
// ends, or that reached longRun characters: base64 or hex of raw deflate
// has no magic, and is known by inflating to text (RawDeflate). Only a
// stretch's start is judged, as base64 is written after a quote, a
// space, a comma or an equals sign.
func (s *Scanner) endLong() {
	n := s.nlong
	s.nlong = 0
	if n < minRawRun || s.found != "" {
		return
	}
	run := s.long[:n]
	for i := range 3 {
		var d []byte
		switch i {
		case 0:
			d = decodeHex(s.ldec[:], run)
		case 1:
			d = decodeBase64(base64.StdEncoding, s.ldec[:], run)
		default:
			d = decodeBase64(base64.URLEncoding, s.ldec[:], run)
		}
		if len(d) > 0 && RawDeflate(d) {
			s.found = "raw deflate"
			return
		}
	}
}

// endRuns judges the open runs and closes them.
func (s *Scanner) endRuns() {
	for s.nruns > 0 && s.found == "" {
		s.judgeOldest()
	}
	s.nruns, s.nwin = 0, 0
}

// judge decodes a run's characters (as hex, base64 and base64url) and
// notes the packed format they start with.
func (s *Scanner) judge(run []byte) {
	if len(run) < minEncoded || s.found != "" {
		return
	}
	for i := range 3 {
		var head []byte
		switch i {
		case 0:
			head = decodeHex(s.dec[:], run)
		case 1:
			head = decodeBase64(base64.StdEncoding, s.dec[:], run)
		default:
			head = decodeBase64(base64.URLEncoding, s.dec[:], run)
		}
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
func Encoded(text []byte) string {
	var s Scanner
	_, _ = s.Write(text)
	_ = s.Close()
	return s.found
}

// decodeHex decodes into dst the even prefix of run when it is all hex
// digits.
func decodeHex(dst, run []byte) []byte {
	n := len(run) &^ 1
	if _, err := hex.Decode(dst[:n/2], run[:n]); err != nil {
		return nil
	}
	return dst[:n/2]
}

// decodeBase64 decodes into dst the prefix of run in whole quanta (4
// characters) with enc, padding dropped.
func decodeBase64(enc *base64.Encoding, dst, run []byte) []byte {
	n := len(run) &^ 3
	for n > 0 && run[n-1] == '=' {
		n -= 4
	}
	if n <= 0 {
		return nil
	}
	m, err := enc.Decode(dst, run[:n])
	if err != nil {
		return nil
	}
	return dst[:m]
}

// encodedChar reports whether c is a character of base64 (either
// alphabet), padding aside, or of hex.
func encodedChar(c byte) bool {
	return alnum(c) || c == '+' || c == '/' || c == '-' || c == '_'
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
