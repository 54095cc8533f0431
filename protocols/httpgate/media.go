package httpgate

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"

	"github.com/airlock-sdk/airlock/internal/packed"
	"github.com/airlock-sdk/airlock/mask"
)

// Under a rule's mask, a body that is not text passes only as media, and
// media was judged by its first bytes: "GIF89a" and a MessagePack record
// after it, a whole PNG and a CBOR document behind its end, passed as an
// image. An upstream that lets its caller set a prefix (or a tool result
// that starts with one) made binary numbers and packed data opaque
// media. A body that passes as media is now read whole (up to
// MaxResponseBytes) and must be, from its first byte to its last, an
// image the gateway can walk: a PNG (chunks with their checksums, IEND
// last), a GIF (blocks to the trailer), a JPEG (segments to EOI) or a
// WebP (chunks of known kinds filling its RIFF length).
// Metadata must be what its kind holds: comments and uncompressed
// textual chunks text, PNG chunks and JPEG application segments of known
// kinds. Other media (audio, video, fonts, other image formats) cannot
// be judged and are refused under a mask.

// Under a mask, an image is also read as a client that parses it reads
// it: a value split across a GIF's sub-blocks, JPEG segments, scans
// between restart markers and stuffed bytes, PNG or WebP chunks, reaches
// it whole once the framing is taken out. judgeMedia joins the data of
// every structure the image keeps, framing taken out (a JPEG scan
// unstuffed, PNG image data inflated), and refuses the image when the
// detectors find a value there (mask.Policy.Finds), or in what a
// compressed stream in that data unpacks to (packed.Unpack: raw deflate
// and zlib at any offset, whatever their first inflated bytes are).
// Metadata, which
// writes values as text or binary numbers in formats of their own (Exif,
// ICC profiles, XMP, comments, PNG text chunks), is taken out of the
// image sent: the image shows the same.

// judgeMedia judges a whole body that sniffs as media under the mask p:
// the image to send (metadata taken out), or an error.
func judgeMedia(b []byte, p *mask.Policy) ([]byte, error) {
	var (
		out, view []byte
		err       error
	)
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		out, view, err = checkPNG(b)
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		out, view, err = checkGIF(b)
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		out, view, err = checkJPEG(b)
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		out, view, err = checkWebP(b)
	default:
		return nil, fmt.Errorf("%w: %s data cannot be judged under a mask (PNG, GIF, JPEG and WebP images can)", errUnmaskable, http.DetectContentType(b))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the body is not the image its first bytes announce: %v", errUnmaskable, err)
	}
	if p == nil {
		return out, nil
	}
	if findsIn(p, view) {
		return nil, fmt.Errorf("%w: the image's data, its framing taken out, holds a value the masker reads", errUnmaskable)
	}
	// Compressed streams in it, at any offset, whatever they inflate to
	// first (binary bytes, then text).
	found := false
	err = packed.Unpack(view, maxInflatedImage, func(in []byte) bool {
		found = findsIn(p, in)
		return found
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: the image's data: %w", errUnmaskable, err)
	case found:
		return nil, fmt.Errorf("%w: the image's data holds compressed data with a value the masker reads", errUnmaskable)
	}
	return out, nil
}

// checkMedia judges b as judgeMedia does without a mask's detectors.
func checkMedia(b []byte) error {
	_, err := judgeMedia(b, nil)
	return err
}

// findsWindow is how much of a view Finds reads at once; windows overlap
// by findsOverlap, longer than a value.
const (
	findsWindow  = 64 << 10
	findsOverlap = 1 << 10
)

// findsIn reports whether p's detectors find a value in view, read in
// overlapping windows (Finds refuses a value above its size bound).
func findsIn(p *mask.Policy, view []byte) bool {
	if p == nil {
		return false
	}
	for i := 0; ; i += findsWindow - findsOverlap {
		if p.Finds(view[i:min(len(view), i+findsWindow)]) {
			return true
		}
		if i+findsWindow >= len(view) {
			return false
		}
	}
}

// readMedia reads a body that sniffs as media whole, at most limit bytes.
func readMedia(r io.Reader, limit int64) ([]byte, error) {
	b, err := readAllSized(r, limit, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the body: %w", errUnmaskable, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: media above %d bytes is not judged under a mask", errUnmaskable, limit)
	}
	return b, nil
}

// pngChunks are the chunk types a PNG may hold under a mask; those
// marked true are kept in the image sent, the rest are metadata.
var pngChunks = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true, "cHRM": true, "gAMA": true,
	"iCCP": false, "sBIT": true, "sRGB": true, "cICP": true, "mDCV": true, "mDCv": true, "cLLI": true,
	"cLLi": true, "tEXt": false, "zTXt": false, "iTXt": false, "bKGD": true, "hIST": false, "pHYs": true,
	"sPLT": false, "eXIf": false, "tIME": false, "acTL": true, "fcTL": true, "fdAT": true, "oFFs": false,
	"pCAL": false, "sCAL": false, "sTER": false, "iDOT": false,
}

// maxInflatedImage bounds what a PNG's image data inflates to when it is
// judged; a PNG whose data inflates to more is refused.
const maxInflatedImage = 64 << 20

// checkPNG walks a PNG: the PNG without its metadata, and its kept
// chunks' data joined, the image data inflated.
func checkPNG(png []byte) (out, view []byte, err error) {
	b := png[8:]
	out = append(out, png[:8]...)
	var z [][]byte // the zlib streams: IDAT's, then each frame's fdAT
	for first := true; ; first = false {
		if len(b) < 12 {
			return nil, nil, fmt.Errorf("PNG cut short")
		}
		n := binary.BigEndian.Uint32(b)
		if n > uint32(len(b)-12) {
			return nil, nil, fmt.Errorf("PNG chunk longer than the body")
		}
		typ, data := string(b[4:8]), b[8:8+n]
		if crc32.ChecksumIEEE(b[4:8+n]) != binary.BigEndian.Uint32(b[8+n:]) {
			return nil, nil, fmt.Errorf("PNG chunk %q with a wrong checksum", typ)
		}
		keep, known := pngChunks[typ]
		if !known || first != (typ == "IHDR") {
			return nil, nil, fmt.Errorf("PNG chunk %q", typ)
		}
		if keep {
			out = append(out, b[:12+n]...)
			switch typ {
			case "IDAT":
				if len(z) == 0 {
					z = append(z, nil)
				}
				z[0] = append(z[0], data...)
			case "fcTL":
				z = append(z, nil)
				view = append(view, data...)
			case "fdAT":
				if len(z) == 0 || len(data) < 4 {
					return nil, nil, fmt.Errorf("PNG fdAT chunk out of place")
				}
				z[len(z)-1] = append(z[len(z)-1], data[4:]...)
			default:
				view = append(view, data...)
			}
		}
		b = b[12+n:]
		if typ == "IEND" {
			if len(b) > 0 {
				return nil, nil, fmt.Errorf("%d bytes after a PNG's end", len(b))
			}
			break
		}
	}
	budget := maxInflatedImage
	for _, zs := range z {
		view = append(view, zs...)
		zr, err := zlib.NewReader(bytes.NewReader(zs))
		if err != nil {
			continue // the image shows nothing: its bytes are in the view
		}
		in, _ := io.ReadAll(io.LimitReader(zr, int64(budget)+1))
		if len(in) > budget {
			return nil, nil, fmt.Errorf("PNG image data inflates to more than %d bytes", maxInflatedImage)
		}
		budget -= len(in)
		view = append(view, in...)
	}
	return out, view, nil
}

// gifBlocks reads the sub-blocks from b[i], to their terminator: their
// data joined, and where the next block starts.
func gifBlocks(b []byte, i int) ([]byte, int, error) {
	var data []byte
	for {
		if i >= len(b) {
			return nil, 0, fmt.Errorf("GIF cut short")
		}
		n := int(b[i])
		if n == 0 {
			return data, i + 1, nil
		}
		if i+1+n > len(b) {
			return nil, 0, fmt.Errorf("GIF cut short")
		}
		data = append(data, b[i+1:i+1+n]...)
		i += 1 + n
	}
}

// checkGIF walks a GIF: the GIF without comments and plain text, and the
// data of what it keeps (colour tables, image data, extensions), its
// sub-blocks joined.
func checkGIF(b []byte) (out, view []byte, err error) {
	if len(b) < 13 {
		return nil, nil, fmt.Errorf("GIF cut short")
	}
	i := 13
	if b[10]&0x80 != 0 {
		i += 3 << (b[10]&7 + 1)
	}
	if i > len(b) {
		return nil, nil, fmt.Errorf("GIF cut short")
	}
	out = append(out, b[:i]...)
	view = append(view, b[6:i]...)
	for i < len(b) {
		start := i
		switch b[i] {
		case 0x3b:
			if i+1 != len(b) {
				return nil, nil, fmt.Errorf("%d bytes after a GIF's end", len(b)-i-1)
			}
			return append(out, 0x3b), view, nil
		case 0x2c:
			if i+10 > len(b) {
				return nil, nil, fmt.Errorf("GIF cut short")
			}
			flags := b[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&7 + 1)
			}
			if i >= len(b) || b[i] < 1 || b[i] > 11 {
				return nil, nil, fmt.Errorf("GIF image without a code size")
			}
			view = append(view, b[start+1:i]...)
			data, next, err := gifBlocks(b, i+1)
			if err != nil {
				return nil, nil, err
			}
			view = append(view, data...)
			out = append(out, b[start:next]...)
			i = next
		case 0x21:
			if i+2 > len(b) {
				return nil, nil, fmt.Errorf("GIF cut short")
			}
			label := b[i+1]
			data, next, err := gifBlocks(b, i+2)
			if err != nil {
				return nil, nil, err
			}
			keep := true
			switch label {
			case 0xf9:
				if len(data) != 4 {
					return nil, nil, fmt.Errorf("GIF graphic control of %d bytes", len(data))
				}
			case 0xfe, 0x01:
				// A comment, plain text: metadata.
				keep = false
			case 0xff:
				if len(data) < 11 || (string(data[:11]) != "NETSCAPE2.0" && string(data[:11]) != "ANIMEXTS1.0") || len(data) > 16 {
					return nil, nil, fmt.Errorf("GIF application extension %q", data[:min(len(data), 11)])
				}
			default:
				return nil, nil, fmt.Errorf("GIF extension %#x", label)
			}
			if keep {
				out = append(out, b[start:next]...)
				view = append(view, data...)
			}
			i = next
		default:
			return nil, nil, fmt.Errorf("GIF block %#x", b[i])
		}
	}
	return nil, nil, fmt.Errorf("GIF without its trailer")
}

// jpegApps are the application segments a JPEG keeps under a mask, by
// the identifier their data starts with: JFIF's and Adobe's, which say
// how to decode it. Other application segments and comments are
// metadata.
var jpegApps = []struct {
	marker byte
	id     string
}{
	{0xe0, "JFIF\x00"}, {0xe0, "JFXX\x00"}, {0xee, "Adobe"},
}

// checkJPEG walks a JPEG: the JPEG without its metadata, and the data of
// the segments it keeps joined with its scans' data, unstuffed and
// without restart markers.
func checkJPEG(jpg []byte) (out, view []byte, err error) {
	b := jpg[2:]
	out = append(out, jpg[:2]...)
	i := 0
	for {
		if i >= len(b) || b[i] != 0xff {
			return nil, nil, fmt.Errorf("JPEG marker expected at %d", i+2)
		}
		start := i
		for i < len(b) && b[i] == 0xff {
			i++
		}
		if i >= len(b) {
			return nil, nil, fmt.Errorf("JPEG cut short")
		}
		m := b[i]
		i++
		switch {
		case m == 0xd9:
			if i != len(b) {
				return nil, nil, fmt.Errorf("%d bytes after a JPEG's end", len(b)-i)
			}
			return append(out, 0xff, 0xd9), view, nil
		case m >= 0xd0 && m <= 0xd7, m == 0x01:
			out = append(out, 0xff, m)
			continue
		}
		if i+2 > len(b) {
			return nil, nil, fmt.Errorf("JPEG cut short")
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, nil, fmt.Errorf("JPEG segment longer than the body")
		}
		data := b[i+2 : i+n]
		i += n
		keep := true
		switch {
		case m >= 0xe0 && m <= 0xef, m == 0xfe:
			keep = false
			for _, a := range jpegApps {
				if a.marker == m && bytes.HasPrefix(data, []byte(a.id)) {
					keep = true
					break
				}
			}
		case m == 0xda:
			// The entropy-coded data runs to the next marker: 0xff is
			// followed by 0 (a data byte) or a restart marker.
			out = append(out, b[start:i]...)
			view = append(view, data...)
			for {
				k := bytes.IndexByte(b[i:], 0xff)
				if k < 0 || i+k+1 >= len(b) {
					return nil, nil, fmt.Errorf("JPEG scan without its end")
				}
				view = append(view, b[i:i+k]...)
				out = append(out, b[i:i+k+1]...)
				i += k + 1
				c := b[i]
				if c != 0 && (c < 0xd0 || c > 0xd7) && c != 0xff {
					out = out[:len(out)-1]
					i--
					break
				}
				if c == 0 {
					view = append(view, 0xff)
				}
				if c != 0xff {
					out = append(out, c)
					i++
				}
			}
			continue
		case m >= 0xc0 && m <= 0xcf && m != 0xc8, m >= 0xdb && m <= 0xdf:
		default:
			return nil, nil, fmt.Errorf("JPEG marker %#x", m)
		}
		if keep {
			out = append(out, 0xff, m)
			out = append(out, b[i-n:i]...)
			view = append(view, data...)
		}
	}
}

// webpChunks are the chunks a WebP may hold under a mask; those marked
// true are kept in the image sent, the rest (an ICC profile, Exif, XMP)
// are metadata.
var webpChunks = map[string]bool{"VP8 ": true, "VP8L": true, "VP8X": true, "ALPH": true, "ANIM": true, "ANMF": true, "ICCP": false, "EXIF": false, "XMP ": false}

// checkWebP walks a WebP: the WebP without its metadata (and the flags
// that announce it), and its kept chunks' data joined.
func checkWebP(b []byte) (out, view []byte, err error) {
	if n := binary.LittleEndian.Uint32(b[4:]); uint64(n)+8 != uint64(len(b)) {
		return nil, nil, fmt.Errorf("WebP of %d bytes in a body of %d", uint64(n)+8, len(b))
	}
	out = append(out, b[:12]...)
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, nil, fmt.Errorf("WebP cut short")
		}
		typ := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return nil, nil, fmt.Errorf("WebP chunk longer than the body")
		}
		keep, known := webpChunks[typ]
		if !known {
			return nil, nil, fmt.Errorf("WebP chunk %q", typ)
		}
		end := min(len(b), i+8+n+n&1)
		if keep {
			at := len(out)
			out = append(out, b[i:end]...)
			if typ == "VP8X" && n > 0 {
				out[at+8] &^= 0x20 | 0x08 | 0x04 // ICC, Exif, XMP
			}
			view = append(view, b[i+8:i+8+n]...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, view, nil
}
