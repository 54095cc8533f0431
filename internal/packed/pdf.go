package packed

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// A PDF keeps its text in streams, each under a chain of filters a viewer
// undoes: FlateDecode (zlib, found by its header anyway), LZWDecode,
// ASCII85Decode, ASCIIHexDecode, RunLengthDecode, with PNG or TIFF
// predictors. Unpack reads every stream of a PDF through its chain, from
// the dictionary before its "stream" keyword. Image codecs (DCT, JPX,
// CCITT fax, JBIG2) end a chain: their bytes are searched as they are.
// A filter or parameter given by reference, an unknown or encryption
// filter, or an encrypted document cannot be read: ErrOpaque.

// maxPDFDict bounds how far before a "stream" keyword its dictionary is
// looked for.
const maxPDFDict = 8 << 10

var (
	pdfStreamKw  = []byte("stream")
	pdfNameEsc   = regexp.MustCompile(`#[0-9A-Fa-f]{2}`)
	pdfFilterRe  = regexp.MustCompile(`/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+|\d+\s+\d+\s+R)`)
	pdfParmsRe   = regexp.MustCompile(`/DecodeParms\s*(\d+\s+\d+\s+R|\[|<<|null)`)
	pdfLengthRe  = regexp.MustCompile(`/Length\s+(\d+)(\s+\d+\s+R)?`)
	pdfNameRe    = regexp.MustCompile(`/[^\s/\[\]<>()]+`)
	pdfIntRe     = regexp.MustCompile(`/(Predictor|Columns|Colors|BitsPerComponent|EarlyChange)\s+(\d+)`)
	pdfEncryptKw = regexp.MustCompile(`/Encrypt\s+(\d+\s+\d+\s+R|<<)`)
)

// pdfStreams calls each with the data of every stream of the PDF doc
// starts, through its filters.
func (u *unpacker) pdfStreams(doc []byte, each func([]byte) error) error {
	if pdfEncryptKw.Match(doc) {
		return fmt.Errorf("%w: an encrypted PDF", ErrOpaque)
	}
	for off := 0; ; {
		i := bytes.Index(doc[off:], pdfStreamKw)
		if i < 0 {
			return nil
		}
		kw := off + i
		off = kw + len(pdfStreamKw)
		start := off
		switch {
		case bytes.HasPrefix(doc[start:], []byte("\r\n")):
			start += 2
		case start < len(doc) && (doc[start] == '\n' || doc[start] == '\r'):
			start++
		default:
			continue // "endstream", or a word
		}
		dict := pdfDict(doc[max(0, kw-maxPDFDict):kw])
		if dict == nil {
			continue
		}
		dict = pdfNameEsc.ReplaceAllFunc(dict, func(m []byte) []byte {
			v, _ := strconv.ParseUint(string(m[1:]), 16, 8)
			return []byte{byte(v)}
		})
		end := bytes.Index(doc[start:], []byte("endstream"))
		if end < 0 {
			end = len(doc) - start
		}
		data := doc[start : start+end]
		if m := pdfLengthRe.FindSubmatch(dict); m != nil && m[2] == nil {
			if n, err := strconv.Atoi(string(m[1])); err == nil && n >= 0 && start+n <= len(doc) && n > len(data) {
				data = doc[start : start+n]
			}
		}
		out, err := u.pdfDecode(dict, data)
		if err != nil {
			return err
		}
		if out != nil {
			if err := each(out); err != nil {
				return err
			}
		}
		off = start + len(data)
	}
}

// pdfDict returns the dictionary that before, the bytes up to a
// "stream" keyword, ends with, or nil.
func pdfDict(before []byte) []byte {
	e := len(bytes.TrimRight(before, " \t\r\n\f\x00"))
	if e < 2 || string(before[e-2:e]) != ">>" {
		return nil
	}
	depth := 0
	for i := e - 2; i >= 1; i-- {
		switch {
		case before[i] == '>' && before[i+1] == '>':
			depth++
			i--
		case before[i-1] == '<' && before[i] == '<':
			if depth--; depth == 0 {
				return before[i-1 : e]
			}
			i--
		}
	}
	return nil
}

// pdfDecode undoes a stream's filters, as its dictionary names them: nil
// when it has none (its bytes are searched where they are).
func (u *unpacker) pdfDecode(dict, data []byte) ([]byte, error) {
	m := pdfFilterRe.FindSubmatch(dict)
	if m == nil {
		return nil, nil
	}
	if bytes.HasSuffix(m[1], []byte("R")) {
		return nil, fmt.Errorf("%w: a PDF stream's filters given by reference", ErrOpaque)
	}
	filters := pdfNameRe.FindAll(m[1], -1)
	var parms [][]byte
	if p := pdfParmsRe.FindSubmatchIndex(dict); p != nil {
		val := dict[p[2]:]
		switch val[0] {
		case '[', '<':
			parms = pdfParmDicts(val)
		case 'n':
		default:
			return nil, fmt.Errorf("%w: a PDF stream's parameters given by reference", ErrOpaque)
		}
	}
	out := data
	for k, f := range filters {
		var p []byte
		if k < len(parms) {
			p = parms[k]
		}
		params := map[string]int{"Predictor": 1, "Columns": 1, "Colors": 1, "BitsPerComponent": 8, "EarlyChange": 1}
		for _, q := range pdfIntRe.FindAllSubmatch(p, -1) {
			params[string(q[1])], _ = strconv.Atoi(string(q[2]))
		}
		var err error
		switch string(f) {
		case "/FlateDecode", "/Fl":
			out, err = u.pdfInflate(out)
		case "/LZWDecode", "/LZW":
			out, err = lzwDecode(out, params["EarlyChange"], u.budget)
		case "/ASCII85Decode", "/A85":
			out, err = ascii85Decode(out)
		case "/ASCIIHexDecode", "/AHx":
			out = asciiHexDecode(out)
		case "/RunLengthDecode", "/RL":
			out = runLengthDecode(out, u.budget)
		case "/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode":
			return out, nil // an image: its bytes as they are
		default:
			return nil, fmt.Errorf("%w: a PDF stream under the %s filter", ErrOpaque, f)
		}
		if err != nil {
			return nil, err
		}
		if u.over(len(out)) {
			return nil, fmt.Errorf("%w: a PDF stream decodes to more than the bytes searched", ErrOpaque)
		}
		if (string(f) == "/FlateDecode" || string(f) == "/Fl" || string(f) == "/LZWDecode" || string(f) == "/LZW") && params["Predictor"] > 1 {
			if out, err = unpredict(out, params); err != nil {
				return nil, err
			}
		}
	}
	u.charge(len(out))
	return out, nil
}

// pdfParmDicts splits a DecodeParms value (a dictionary, or an array of
// dictionaries and nulls) into one entry per filter.
func pdfParmDicts(v []byte) [][]byte {
	if v[0] == '<' {
		if d := pdfDictAt(v); d != nil {
			return [][]byte{d}
		}
		return nil
	}
	var out [][]byte
	for i := 1; i < len(v) && v[i] != ']'; i++ {
		switch {
		case v[i] == '<':
			d := pdfDictAt(v[i:])
			if d == nil {
				return out
			}
			out = append(out, d)
			i += len(d) - 1
		case bytes.HasPrefix(v[i:], []byte("null")):
			out = append(out, nil)
			i += 3
		}
	}
	return out
}

// pdfDictAt returns the dictionary v starts with, or nil.
func pdfDictAt(v []byte) []byte {
	depth := 0
	for i := 0; i+1 < len(v); i++ {
		switch {
		case v[i] == '<' && v[i+1] == '<':
			depth++
			i++
		case v[i] == '>' && v[i+1] == '>':
			if depth--; depth == 0 {
				return v[:i+2]
			}
			i++
		}
	}
	return nil
}

// pdfInflate reads FlateDecode: zlib, or raw deflate as some writers
// leave it; a stream cut short yields what it held.
func (u *unpacker) pdfInflate(b []byte) ([]byte, error) {
	var r io.Reader
	if zr, err := zlib.NewReader(bytes.NewReader(b)); err == nil {
		r = zr
	} else {
		r = flate.NewReader(bytes.NewReader(b))
	}
	out, _ := io.ReadAll(io.LimitReader(r, int64(u.budget)+1))
	return out, nil
}

// lzwDecode reads LZWDecode: codes of 9 to 12 bits, most significant
// bit first, widths growing one code early when early is 1.
func lzwDecode(b []byte, early, limit int) ([]byte, error) {
	if early != 0 {
		early = 1
	}
	var out []byte
	table := make([][]byte, 258, 4096)
	reset := func() {
		table = table[:258]
		for c := range 256 {
			table[c] = []byte{byte(c)}
		}
	}
	reset()
	width := uint(9)
	var acc uint32
	var nacc uint
	var prev []byte
	for i := 0; ; {
		for nacc < width && i < len(b) {
			acc = acc<<8 | uint32(b[i])
			nacc += 8
			i++
		}
		if nacc < width {
			return out, nil // no end code: what was read
		}
		code := int(acc >> (nacc - width) & (1<<width - 1))
		nacc -= width
		switch {
		case code == 256:
			reset()
			width, prev = 9, nil
			continue
		case code == 257:
			return out, nil
		}
		var entry []byte
		switch {
		case code < len(table) && code != 256 && code != 257:
			entry = table[code]
		case code == len(table) && prev != nil:
			entry = append(append([]byte(nil), prev...), prev[0])
		default:
			return out, nil // corrupt: what was read
		}
		out = append(out, entry...)
		if len(out) > limit {
			return nil, fmt.Errorf("%w: a PDF stream decodes to more than the bytes searched", ErrOpaque)
		}
		if prev != nil && len(table) < 4096 {
			table = append(table, append(append([]byte(nil), prev...), entry[0]))
		}
		prev = entry
		if len(table)+early >= 1<<width && width < 12 {
			width++
		}
	}
}

// ascii85Decode reads ASCII85Decode, up to its "~>".
func ascii85Decode(b []byte) ([]byte, error) {
	if i := bytes.Index(b, []byte("~>")); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimLeft(b, " \t\r\n\f\x00")
	b = bytes.TrimPrefix(b, []byte("<~"))
	out := make([]byte, 4*len(b)/5+4)
	n, _, err := ascii85.Decode(out, b, true)
	if err != nil {
		return nil, fmt.Errorf("%w: a PDF stream's ASCII85 does not decode: %v", ErrOpaque, err)
	}
	return out[:n], nil
}

// asciiHexDecode reads ASCIIHexDecode, up to its ">"; white space and
// other bytes are skipped, an odd last digit is followed by 0.
func asciiHexDecode(b []byte) []byte {
	var out []byte
	half, have := byte(0), false
	for _, c := range b {
		var v byte
		switch {
		case c == '>':
			if have {
				out = append(out, half<<4)
			}
			return out
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if have {
			out = append(out, half<<4|v)
		} else {
			half = v
		}
		have = !have
	}
	return out
}

// runLengthDecode reads RunLengthDecode.
func runLengthDecode(b []byte, limit int) []byte {
	var out []byte
	for i := 0; i < len(b) && len(out) <= limit; {
		n := int(b[i])
		i++
		switch {
		case n < 128:
			e := min(len(b), i+n+1)
			out = append(out, b[i:e]...)
			i = e
		case n == 128:
			return out
		default:
			if i < len(b) {
				out = append(out, bytes.Repeat(b[i:i+1], 257-n)...)
				i++
			}
		}
	}
	return out
}

// unpredict undoes a TIFF (2) or PNG (10 to 15) predictor of 8-bit
// components; others cannot be read.
func unpredict(b []byte, p map[string]int) ([]byte, error) {
	if p["BitsPerComponent"] != 8 || p["Colors"] < 1 || p["Colors"] > 32 || p["Columns"] < 1 || p["Columns"] > 1<<16 {
		return nil, fmt.Errorf("%w: a PDF predictor of %d-bit components", ErrOpaque, p["BitsPerComponent"])
	}
	bpp := p["Colors"]
	row := bpp * p["Columns"]
	switch pr := p["Predictor"]; {
	case pr == 2:
		out := append([]byte(nil), b...)
		for r := 0; r < len(out); r += row {
			for i := r + bpp; i < min(len(out), r+row); i++ {
				out[i] += out[i-bpp]
			}
		}
		return out, nil
	case pr >= 10 && pr <= 15:
		var out []byte
		prior := make([]byte, row)
		for r := 0; r < len(b); r += row + 1 {
			ft := b[r]
			cur := append([]byte(nil), b[r+1:min(len(b), r+1+row)]...)
			for i := range cur {
				var a, c byte
				if i >= bpp {
					a, c = cur[i-bpp], prior[i-bpp]
				}
				up := prior[i]
				switch ft {
				case 1:
					cur[i] += a
				case 2:
					cur[i] += up
				case 3:
					cur[i] += byte((int(a) + int(up)) / 2)
				case 4:
					cur[i] += paeth(a, up, c)
				}
			}
			out = append(out, cur...)
			copy(prior, cur)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: PDF predictor %d", ErrOpaque, p["Predictor"])
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
