package mask

// Encodings nested deeper than the readings go. The encoded runs and code
// lists of a decoded view are decoded in turn up to maxUnwrap deep (base64
// of hex of base64 of a hex list of base64 ...); a view that deep that
// still holds one more layer decoding to text is not read but fails
// closed: the bytes it comes from are an overlong candidate, and masking
// them returns ErrLimit. Text seldom holds two layers of encoded text;
// five is an agent hiding a value.

// maxUnwrap bounds how many encodings and code lists are read one inside
// the other (base64 of hex, a hex list of base64, base64 of base64).
const maxUnwrap = 5

// tooDeep appends an overlong span over the original bytes of src (a view
// maxUnwrap layers deep, mapped by st and en) when it holds one more
// layer of encoded runs (when encoded) or code lists (when codes) that
// reads as text; enc and codes are scratch layers.
func tooDeep(enc, codesL *layer, sc *codeScratch, src []byte, st, en []int, encoded, codes bool, out []span) []span {
	if encoded && enc.readEncoded(src, st, en) {
		return append(out, layerExtent(enc))
	}
	if codes && codesL.readCodes(src, st, en, sc) {
		return append(out, layerExtent(codesL))
	}
	return out
}

// layerExtent is the overlong span of the original text that the view l
// comes from.
func layerExtent(l *layer) span {
	s, e := l.st[0], l.en[0]
	for i := range l.st {
		s, e = min(s, l.st[i]), max(e, l.en[i])
	}
	return span{start: s, end: e, overlong: true}
}
