package mask

import "bytes"

// Keys named in free text. "*key" names a secret in a field (SecretNames),
// but "key" in text is mostly no secret's name: a primary key, a sort
// key, a keyboard's. A name holding the word "key" (or a word ending in
// it: signingKey, privatekey, MASTER_KEY) names a secret when its value
// looks like one, drawn at random and long, and the name is none of a
// kind of key that is no secret (public, primary, sort) nor one of a
// key's attributes (key_id, key_path, key_name).

// minKeyValue is the shortest value a key's name is taken for.
const minKeyValue = 16

// notSecretKeyWords are the words before "key" of keys that are no
// secrets, and English words ending in "key".
var notSecretKeyWords = []string{
	"public", "pub", "primary", "foreign", "sort", "partition", "cache", "map", "lookup", "unique", "group",
	"routing", "row", "index", "hash", "object", "dedup", "idempotency", "composite", "shard", "range", "host",
	"monkey", "donkey", "turkey", "whiskey", "hockey", "jockey", "hotkey", "keykey",
}

// keyAttributeWords are the words after "key" of a key's attributes.
var keyAttributeWords = []string{
	"id", "name", "type", "path", "file", "size", "len", "length", "count", "version", "alias", "ref", "field",
	"column", "format", "alg", "algorithm", "usage", "spec", "fingerprint", "board", "word", "words", "code", "s",
}

// matchKeyAssignment matches the value after a name holding "key" when
// the name and the value are a secret key's (see above).
func matchKeyAssignment(s *scan, h kwHit) (span, bool) {
	t := s.t
	if is(at(t, h.end), clLower) {
		return span{}, false // keyboard, keys, keyword
	}
	b := identStart(t, h.start)
	e := h.end
	for e < len(t) && e-h.end <= 32 && (is(t[e], clWord) || t[e] == '-' && at(t, e+1) != '>') {
		e++
	}
	if !secretKeyName(t[b:e]) {
		return span{}, false
	}
	sp, ok := assignmentAt(s, b, h.end)
	if !ok || sp.overlong || !secretLooking(t[sp.start:sp.end]) {
		return span{}, false
	}
	return sp, true
}

// secretKeyName reports whether name holds a word "key", or ending in
// "key", after no word of notSecretKeyWords and before no word of
// keyAttributeWords.
func secretKeyName(name []byte) bool {
	var prev, w []byte
	var buf, pbuf [maxNameBack + 40]byte
	found := false
	for i := 0; i < len(name); {
		w, i = nameWord(name, i, buf[:])
		if len(w) == 0 {
			continue
		}
		if found {
			return !inWords(w, keyAttributeWords)
		}
		if bytes.HasSuffix(w, []byte("key")) && !inWords(w, notSecretKeyWords) && !(len(w) == 3 && inWords(prev, notSecretKeyWords)) {
			found = true
		}
		prev = append(pbuf[:0], w...)
	}
	return found
}

// inWords reports whether w is one of words.
func inWords(w []byte, words []string) bool {
	for _, x := range words {
		if string(w) == x {
			return true
		}
	}
	return false
}

// secretLooking reports whether v looks like a key: minKeyValue bytes or
// more without a space, letters and digits both, eight different bytes
// or more.
func secretLooking(v []byte) bool {
	if len(v) < minKeyValue {
		return false
	}
	var letter, digit bool
	var seen [256]bool
	n := 0
	for _, c := range v {
		switch {
		case c == ' ' || c == '\t':
			return false
		case is(c, clUpper|clLower):
			letter = true
		case isDigit(c):
			digit = true
		}
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return letter && digit && n >= 8
}
