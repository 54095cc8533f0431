package packed

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// An adversarial input: a family's name and a body of it.
type advInput struct {
	family string
	data   []byte
}

// repeatTo repeats unit to n bytes.
func repeatTo(unit []byte, n int) []byte {
	b := bytes.Repeat(unit, n/len(unit)+1)
	return b[:n]
}

// acceptedStarts counts the offsets of b where raw deflate may start.
func acceptedStarts(b []byte) int {
	k := 0
	for i := range b {
		if !printableHead(b[i:]) && deflateStart(b[i:], false) {
			k++
		}
	}
	return k
}

// bestUnit is, of tries random units of length l (bytes from alpha, or
// any byte when alpha is empty), the one whose repetition holds the most
// accepted raw deflate starts, read as it is or through enc.
func bestUnit(r *rand.Rand, l, tries int, alpha string, enc func([]byte) []byte) []byte {
	var best []byte
	most := -1
	for range tries {
		u := make([]byte, l)
		for i := range u {
			if alpha == "" {
				u[i] = byte(r.Uint32())
			} else {
				u[i] = alpha[r.IntN(len(alpha))]
			}
		}
		b := repeatTo(u, 256)
		if enc != nil {
			b = enc(b)
		}
		if k := acceptedStarts(b); k > most {
			best, most = u, k
		}
	}
	return best
}

// b64url is what the walk reads a base64url stretch as.
func b64dec(b []byte) []byte {
	if d := decodeAll(2, b); d != nil {
		return d
	}
	return decodeAll(1, b)
}

const (
	b64Alphabet  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/"
	textAlphabet = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n\t"
)

// advUnits are, for each length 1 to 16, the units of the base64
// alphabet (as decoded), of text and of bytes whose repetition holds the
// most accepted raw deflate starts, of a few tried.
type advUnits struct {
	b64, text, binary [17][]byte
}

func newAdvUnits(r *rand.Rand) *advUnits {
	var u advUnits
	for l := 1; l <= 16; l++ {
		u.b64[l] = bestUnit(r, l, 12, b64Alphabet, b64dec)
		u.text[l] = bestUnit(r, l, 12, textAlphabet, nil)
		u.binary[l] = bestUnit(r, l, 12, "", nil)
	}
	return &u
}

// adversarialInputs are bodies of n bytes of every family that makes
// Unpack work: one unit repeated (lengths 1 to 16, printable, in the
// encoded alphabets, binary, and the units that hold the most accepted
// raw deflate starts, as they are and in base64), near-periodic text,
// long runs with rare changes, tiny deflate streams back to back, and
// raw deflate starts each followed by empty blocks up to the next.
func adversarialInputs(units *advUnits, r *rand.Rand, n int) []advInput {
	var in []advInput
	add := func(f string, b []byte) { in = append(in, advInput{f, b}) }
	for _, u := range []string{"a-", "a+", "a/", "a-b_", "-", "=", "ab", "x\x9c", "\x00", "\xff", "a\x00", "A", "AB", "/+"} {
		add(fmt.Sprintf("unit %q", u), repeatTo([]byte(u), n))
	}
	for l := 1; l <= 16; l++ {
		add(fmt.Sprintf("best base64 unit, length %d", l), repeatTo(units.b64[l], n))
		add(fmt.Sprintf("best text unit, length %d", l), repeatTo(units.text[l], n))
		add(fmt.Sprintf("best binary unit, length %d", l), repeatTo(units.binary[l], n))
		// The base64 of a periodic binary body.
		add(fmt.Sprintf("base64 of best binary unit, length %d", l),
			[]byte(base64.StdEncoding.EncodeToString(repeatTo(units.binary[l], n*3/4)))[:n])
	}
	// Near-periodic: a unit repeated, a byte changed every k.
	for _, k := range []int{64, 512, 4096} {
		for _, u := range []string{"a-", "a-b_", string(units.binary[3]), string(units.b64[4])} {
			b := repeatTo([]byte(u), n)
			for i := r.IntN(k); i < n; i += k {
				b[i] = b64Alphabet[r.IntN(len(b64Alphabet))]
			}
			add(fmt.Sprintf("unit %q, a change every %d", u, k), b)
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = 0x5a
			if r.IntN(k) == 0 {
				b[i] = byte(r.Uint32())
			}
		}
		add(fmt.Sprintf("a run, a random byte 1 in %d", k), b)
	}
	// Tiny deflate streams back to back, and tiny zlib.
	for _, s := range []string{"abc", "hello hello hello hello hello", "name,card\nann,4111\n", strings.Repeat("x", 300)} {
		add(fmt.Sprintf("deflate of %.10q back to back", s), repeatTo(deflated(s), n))
		add(fmt.Sprintf("zlib of %.10q back to back", s), repeatTo(zl(s), n))
	}
	// Raw deflate starts, each a fixed block of text then empty stored
	// blocks up to the next start: each start's stream runs to the end.
	for _, gap := range []int{64, 512} {
		unit := nonFinalFixed("some text, then a start 0123456789abcdefghij")
		for k := 0; k < gap/5; k++ {
			unit = append(unit, 0x00, 0x00, 0x00, 0xff, 0xff) // an empty stored block
		}
		add(fmt.Sprintf("starts every %d bytes, empty blocks between", gap), repeatTo(unit, n))
	}
	return in
}

// nonFinalFixed is s deflated as one non-final fixed block, ending at a
// byte boundary (a sync flush: an empty stored block).
func nonFinalFixed(s string) []byte {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.HuffmanOnly)
	w.Write([]byte(s))
	w.Flush()
	return b.Bytes()
}
