package packed

import (
	"bytes"
	"compress/lzw"
	"encoding/ascii85"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestLZWDecodeReadsCompressLZW: LZWDecode with EarlyChange 0 reads what
// compress/lzw writes (most significant bit first, 8-bit literals), at
// every code width and across table resets.
func TestLZWDecodeReadsCompressLZW(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 10, 300, 5000, 70000} {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefgh \n0123"[r.IntN(14)]
			if i%3 == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		var buf bytes.Buffer
		w := lzw.NewWriter(&buf, lzw.MSB, 8)
		w.Write(b)
		w.Close()
		got, err := lzwDecode(buf.Bytes(), 0, 1<<20)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
}

// TestUnpackReadsPDFFilters: a value in a PDF stream under each filter
// chain is visited.
func TestUnpackReadsPDFFilters(t *testing.T) {
	for _, c := range []struct{ filter, data string }{
		{"/ASCIIHexDecode", "48656c6c6f2c2073656372657420746f6b656e20313233343536373839>"},
		{"/AHx", "4 8656c6c6f2c2073656372657420746f6b656e2031323334353637383>"},
		{"/ASCII85Decode", a85("Hello, secret token 123456789")},
		{"/RunLengthDecode", "\x1fHello, secret token 123456789\x80"},
		{"[/A#48x]", "48656c6c6f2c2073656372657420746f6b656e20313233343536373839>"},
	} {
		doc := fmt.Sprintf("%%PDF-1.7\n5 0 obj\n<< /Length %d /Filter %s >>\nstream\n%s\nendstream\nendobj\n", len(c.data), c.filter, c.data)
		found := false
		err := Unpack([]byte("junk before "+doc), 1<<20, func(u []byte) bool {
			found = bytes.Contains(u, []byte("secret token 12345678"))
			return found
		})
		if err != nil || !found {
			t.Errorf("%s: found %v, %v", c.filter, found, err)
		}
	}
	for _, c := range []string{"/Crypt", "5 0 R", "/Unknown"} {
		doc := "%PDF-1.7\n<< /Filter " + c + " >>\nstream\nabc\nendstream\n"
		if err := Unpack([]byte(doc), 1<<20, func([]byte) bool { return false }); err == nil {
			t.Errorf("a stream under %s was not opaque", c)
		}
	}
}

func a85(s string) string {
	out := make([]byte, ascii85.MaxEncodedLen(len(s)))
	return string(out[:ascii85.Encode(out, []byte(s))]) + "~>"
}

// FuzzUnpackPDF: PDF streams and filters of any bytes never panic.
func FuzzUnpackPDF(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n<< /Filter [/AHx /LZW] /DecodeParms [null << /EarlyChange 0 >>] >>\nstream\n8010>\nendstream\n"))
	f.Add([]byte("%PDF-1.7\n<< /Filter /Fl /DecodeParms << /Predictor 12 /Columns 3 >> >>\nstream\nx\x9c\nendstream\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Unpack(b, 1<<16, func([]byte) bool { return false })
	})
}
