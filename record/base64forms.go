package record

import "encoding/base64"

// minBase64Middle is the shortest stable middle of a secret's base64 that
// is remembered: shorter runs of base64 letters are common in ordinary
// text and identifiers.
const minBase64Middle = 12

// appendBase64Forms appends the base64 spellings of s that survive inside a
// longer base64 text (an HTTP Basic credential is base64("user:" +
// password); a token may sit anywhere in an encoded blob). Whatever comes
// before s, its first byte starts at offset 0, 1 or 2 of a 3-byte group;
// for each offset the letters that depend on s alone are the encoding of
// s from the next group boundary to the last whole group. Each is
// appended in the standard and URL alphabets (padding never falls inside
// the middle), when it is at least minBase64Middle letters long. The
// encoding of s from its start, as a whole text of its own, is appended
// too, with and without padding.
func appendBase64Forms(out []string, s string) []string {
	b := []byte(s)
	out = append(out, base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b))
	for off := range 3 {
		skip := (3 - off) % 3
		if skip >= len(b) {
			continue
		}
		mid := b[skip:]
		mid = mid[:len(mid)/3*3]
		if base64.RawStdEncoding.EncodedLen(len(mid)) < minBase64Middle {
			continue
		}
		out = append(out, base64.RawStdEncoding.EncodeToString(mid), base64.RawURLEncoding.EncodeToString(mid))
	}
	return out
}
