package httpgate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/mask"
)

// The fourth red-team round's families: protobuf whose every byte is
// printable; values framed inside image structures; raw deflate of
// binary data; ASCII85 and PDF fragments outside a PDF.

// luhnCard is a random card number of an issuer's prefix and length that
// passes the Luhn check.
func luhnCard(r *rand.Rand) string {
	var d []byte
	switch r.IntN(4) {
	case 0:
		d, _ = append(d, '4'), 0
		for len(d) < 15 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	case 1:
		d = append(d, '5', byte('1'+r.IntN(5)))
		for len(d) < 15 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	case 2:
		d = append(d, '3', "47"[r.IntN(2)])
		for len(d) < 14 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	default:
		d = append(d, "6011"...)
		for len(d) < 15 {
			d = append(d, byte('0'+r.IntN(10)))
		}
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if (len(d)-1-i)%2 == 0 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

// printableOf is n random printable characters: letters and digits, or
// any printable ASCII.
func printableOf(r *rand.Rand, n int, alnumOnly bool) []byte {
	const an = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		if alnumOnly {
			b[i] = an[r.IntN(len(an))]
		} else {
			b[i] = byte(0x20 + r.IntN(0x5f))
		}
	}
	return b
}

// printableValue is a card, an e-mail address or an SSN as a protobuf
// string field's value might hold it: alone, glued to letters or digits,
// or among printable characters.
func printableValue(r *rand.Rand) (value string) {
	switch r.IntN(6) {
	case 0, 1, 2:
		return luhnCard(r)
	case 3:
		return fmt.Sprintf("%s-%s-%s-%s", "4111", "1111", "1111", "1111")[:19]
	case 4:
		return "ann" + strconv.Itoa(r.IntN(1000)) + "@example.com"
	}
	return fmt.Sprintf("%03d-%02d-%04d", 100+r.IntN(600), 10+r.IntN(89), 1000+r.IntN(8999))
}

// printableField is a protobuf field of wire type 2 whose tag and length
// are printable bytes: field numbers 4 to 15, lengths 32 to 126. The
// value is glued to the framing: it starts the field, ends it, or both
// (the rest of the field's text set apart by a space, as words are);
// inside (glued to random letters within the field) when inside is set.
func printableField(r *rand.Rand, payload []byte, inside bool) []byte {
	field := 4 + r.IntN(12)
	n := max(32+r.IntN(20), len(payload))
	if n > 126 {
		n = len(payload)
	}
	pad := n - len(payload)
	var data []byte
	switch {
	case pad == 0:
		data = payload
	case inside:
		before := r.IntN(pad + 1)
		data = append(printableOf(r, before, true), payload...)
		data = append(data, printableOf(r, pad-before, true)...)
	case r.IntN(2) == 0:
		data = append(append(append([]byte(nil), payload...), ' '), printableOf(r, pad-1, true)...)
	default:
		data = append(append(printableOf(r, pad-1, true), ' '), payload...)
	}
	return append([]byte{byte(field<<3 | 2), byte(len(data))}, data...)
}

// printableProtobufCases: all-printable protobuf messages (tags and
// lengths printable, values glued to them) holding a card, an e-mail
// address or an SSN, nested or not, alone or after text, under text, JSON
// and binary types; the client decodes the message and reads the field.
func printableProtobufCases(r *rand.Rand, n int, inside bool) []packedCase {
	var cases []packedCase
	ctypes := []string{"text/plain", "application/octet-stream", "", "application/json", "text/csv", "application/x-ndjson"}
	for k := range n {
		v := printableValue(r)
		var msg []byte
		for range r.IntN(3) {
			msg = append(msg, printableField(r, printableOf(r, 32+r.IntN(40), r.IntN(2) == 0), inside)...)
		}
		f := printableField(r, []byte(v), inside)
		if k%4 == 3 {
			// Nested: the field is a message within a message.
			f = printableField(r, f, false)
		}
		msg = append(msg, f...)
		for range r.IntN(2) {
			msg = append(msg, printableField(r, printableOf(r, 32+r.IntN(40), r.IntN(2) == 0), inside)...)
		}
		switch k % 3 {
		case 1:
			msg = append(textHeader(r, 10+r.IntN(100)), msg...)
		case 2:
			msg = append(msg, textHeader(r, 10+r.IntN(100))...)
		}
		value := []byte(v)
		cases = append(cases, packedCase{fmt.Sprintf("printable protobuf %d", k), ctypes[k%len(ctypes)], msg, func(got []byte) bool { return bytes.Contains(got, value) }})
	}
	return cases
}

// TestPrintableProtobufUnderMask: all-printable protobuf holding a value
// glued to its fields' framing never reaches the client with it, through
// net/http and curl.
func TestPrintableProtobufUnderMask(t *testing.T) {
	total, through := servedUnderMask(t, printableProtobufCases(rand.New(rand.NewPCG(401, 402)), 120, false))
	t.Logf("net/http: %d of %d bodies reached the client with the value", through, total)
	total, through = servedUnderMaskCurl(t, printableProtobufCases(rand.New(rand.NewPCG(403, 404)), 60, false))
	t.Logf("curl: %d of %d bodies reached the client with the value", through, total)
}

// TestPrintableProtobufGluedInside measures (does not fail on) values
// glued to random letters inside a field: "ann@example.comP0gs" is the
// masker's glued-value family, whatever frames it.
func TestPrintableProtobufGluedInside(t *testing.T) {
	cases := printableProtobufCases(rand.New(rand.NewPCG(405, 406)), 120, true)
	left := 0
	for _, c := range cases {
		if c.leaks([]byte(maskedText(t, c.body))) {
			left++
		}
	}
	t.Logf("%d of %d values glued inside a field are left by the masker", left, len(cases))
}

// servedUnderMaskCurl serves each case under leakRules' mask through the
// proxy and the middleware and fetches it with the real curl (decoding
// what it accepts): none may reach curl with the value.
func servedUnderMaskCurl(t *testing.T, cases []packedCase) (total, through int) {
	t.Helper()
	bin := gatetest.NeedTool(t, "curl")
	cur := make(chan packedCase, 1)
	h := func(w http.ResponseWriter, r *http.Request) {
		c := <-cur
		if c.ctype != "" {
			w.Header().Set("Content-Type", c.ctype)
		} else {
			w.Header()["Content-Type"] = nil
		}
		w.Write(c.body)
	}
	dir := t.TempDir()
	srvs := leakEnv(t, http.HandlerFunc(h))
	for _, c := range cases {
		for name, srv := range srvs {
			cur <- c
			out := filepath.Join(dir, "out")
			os.Remove(out)
			_ = exec.Command(bin, "-sS", "--compressed", "--max-time", "10", "-o", out, "-H", "Authorization: Bearer "+agentToken, srv.URL+"/export").Run()
			got, _ := os.ReadFile(out)
			total++
			if c.leaks(got) {
				through++
				t.Errorf("curl via %s: %s body (Content-Type %q) reached the client with the value", name, c.name, c.ctype)
			}
		}
	}
	return total, through
}

// maskedText is s masked as text by leakRules' detectors.
func maskedText(t *testing.T, s []byte) string {
	t.Helper()
	eng, err := mask.New(mask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Policy([]string{"credit_card", "email", "us_ssn"})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := p.Value("", string(s))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
