package httpgate

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestReadAllSized: readAllSized gives the first limit+1 bytes of any
// reader (whatever the hint, however the reader cuts its data, EOF with
// the last bytes or after them) and the reader's error.
func TestReadAllSized(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 19))
	readers := []func(io.Reader) io.Reader{
		func(x io.Reader) io.Reader { return x },
		iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader,
	}
	for range 3000 {
		data := make([]byte, r.IntN(3000))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		limit := int64(r.IntN(3000))
		hint := r.IntN(4000)
		src := readers[r.IntN(len(readers))](bytes.NewReader(data))
		got, err := readAllSized(src, limit, hint)
		if err != nil {
			t.Fatal(err)
		}
		if want := data[:min(int64(len(data)), limit+1)]; !bytes.Equal(got, want) {
			t.Fatalf("%d bytes, limit %d, hint %d: read %d bytes, want %d", len(data), limit, hint, len(got), len(want))
		}
	}
	boom := errors.New("boom")
	if _, err := readAllSized(iotest.ErrReader(boom), 10, 0); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
}
