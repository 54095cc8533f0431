package httpgate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"

	"github.com/airlock-sdk/airlock/internal/packed"
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

// checkMedia judges a whole body that sniffs as media.
func checkMedia(b []byte) error {
	var err error
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		err = checkPNG(b[8:])
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		err = checkGIF(b)
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		err = checkJPEG(b[2:])
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		err = checkWebP(b)
	default:
		return fmt.Errorf("%w: %s data cannot be judged under a mask (PNG, GIF, JPEG and WebP images can)", errUnmaskable, http.DetectContentType(b))
	}
	if err != nil {
		return fmt.Errorf("%w: the body is not the image its first bytes announce: %v", errUnmaskable, err)
	}
	return nil
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

// pngChunks are the chunk types a PNG may hold under a mask.
var pngChunks = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true, "tRNS": true, "cHRM": true, "gAMA": true,
	"iCCP": true, "sBIT": true, "sRGB": true, "cICP": true, "mDCV": true, "mDCv": true, "cLLI": true,
	"cLLi": true, "tEXt": true, "zTXt": true, "iTXt": true, "bKGD": true, "hIST": true, "pHYs": true,
	"sPLT": true, "eXIf": true, "tIME": true, "acTL": true, "fcTL": true, "fdAT": true, "oFFs": true,
	"pCAL": true, "sCAL": true, "sTER": true, "iDOT": true,
}

func checkPNG(b []byte) error {
	for first := true; ; first = false {
		if len(b) < 12 {
			return fmt.Errorf("PNG cut short")
		}
		n := binary.BigEndian.Uint32(b)
		if n > uint32(len(b)-12) {
			return fmt.Errorf("PNG chunk longer than the body")
		}
		typ, data := string(b[4:8]), b[8:8+n]
		if crc32.ChecksumIEEE(b[4:8+n]) != binary.BigEndian.Uint32(b[8+n:]) {
			return fmt.Errorf("PNG chunk %q with a wrong checksum", typ)
		}
		if !pngChunks[typ] || first != (typ == "IHDR") {
			return fmt.Errorf("PNG chunk %q", typ)
		}
		switch typ {
		case "tEXt":
			if !textWithNULs(data, 1) {
				return fmt.Errorf("PNG tEXt chunk that is not text")
			}
		case "iTXt":
			if k := bytes.IndexByte(data, 0); k >= 0 && k+1 < len(data) && data[k+1] == 0 && !textWithNULs(data[k+3:], 2) {
				return fmt.Errorf("PNG iTXt chunk that is not text")
			}
		}
		b = b[12+n:]
		if typ == "IEND" {
			if len(b) > 0 {
				return fmt.Errorf("%d bytes after a PNG's end", len(b))
			}
			return nil
		}
	}
}

// textWithNULs reports whether b is text but for at most nuls NUL
// separators.
func textWithNULs(b []byte, nuls int) bool {
	if bytes.Count(b, []byte{0}) > nuls {
		return false
	}
	return !packed.Binary(bytes.ReplaceAll(b, []byte{0}, []byte{'\n'}))
}

func checkGIF(b []byte) error {
	if len(b) < 13 {
		return fmt.Errorf("GIF cut short")
	}
	i := 13
	if b[10]&0x80 != 0 {
		i += 3 << (b[10]&7 + 1)
	}
	for i < len(b) {
		switch b[i] {
		case 0x3b:
			if i+1 != len(b) {
				return fmt.Errorf("%d bytes after a GIF's end", len(b)-i-1)
			}
			return nil
		case 0x2c:
			if i+10 > len(b) {
				return fmt.Errorf("GIF cut short")
			}
			flags := b[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&7 + 1)
			}
			if i >= len(b) || b[i] < 1 || b[i] > 11 {
				return fmt.Errorf("GIF image without a code size")
			}
			data, next, err := gifBlocks(b, i+1)
			if err != nil {
				return err
			}
			_ = data
			i = next
		case 0x21:
			if i+2 > len(b) {
				return fmt.Errorf("GIF cut short")
			}
			label := b[i+1]
			data, next, err := gifBlocks(b, i+2)
			if err != nil {
				return err
			}
			switch label {
			case 0xf9:
				if len(data) != 4 {
					return fmt.Errorf("GIF graphic control of %d bytes", len(data))
				}
			case 0xfe:
				if packed.Binary(data) || bytes.IndexByte(data, 0) >= 0 {
					return fmt.Errorf("GIF comment that is not text")
				}
			case 0x01:
				if len(data) < 12 || packed.Binary(data[12:]) || bytes.IndexByte(data[12:], 0) >= 0 {
					return fmt.Errorf("GIF plain text that is not text")
				}
			case 0xff:
				if len(data) < 11 || (string(data[:11]) != "NETSCAPE2.0" && string(data[:11]) != "ANIMEXTS1.0") || len(data) > 16 {
					return fmt.Errorf("GIF application extension %q", data[:min(len(data), 11)])
				}
			default:
				return fmt.Errorf("GIF extension %#x", label)
			}
			i = next
		default:
			return fmt.Errorf("GIF block %#x", b[i])
		}
	}
	return fmt.Errorf("GIF without its trailer")
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

// jpegApps are the application segments a JPEG may hold under a mask, by
// the identifier their data starts with; text ones must be text.
var jpegApps = []struct {
	marker byte
	id     string
	text   bool
}{
	{0xe0, "JFIF\x00", false}, {0xe0, "JFXX\x00", false},
	{0xe1, "Exif\x00", false}, {0xe1, "http://ns.adobe.com/xap/1.0/\x00", true},
	{0xe1, "http://ns.adobe.com/xmp/extension/\x00", false},
	{0xe2, "ICC_PROFILE\x00", false}, {0xe2, "MPF\x00", false},
	{0xed, "Photoshop 3.0\x00", false}, {0xee, "Adobe", false},
}

func checkJPEG(b []byte) error {
	i := 0
	for {
		if i >= len(b) || b[i] != 0xff {
			return fmt.Errorf("JPEG marker expected at %d", i+2)
		}
		for i < len(b) && b[i] == 0xff {
			i++
		}
		if i >= len(b) {
			return fmt.Errorf("JPEG cut short")
		}
		m := b[i]
		i++
		switch {
		case m == 0xd9:
			if i != len(b) {
				return fmt.Errorf("%d bytes after a JPEG's end", len(b)-i)
			}
			return nil
		case m >= 0xd0 && m <= 0xd7, m == 0x01:
			continue
		}
		if i+2 > len(b) {
			return fmt.Errorf("JPEG cut short")
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return fmt.Errorf("JPEG segment longer than the body")
		}
		data := b[i+2 : i+n]
		i += n
		switch {
		case m >= 0xe0 && m <= 0xef:
			ok := false
			for _, a := range jpegApps {
				if a.marker == m && bytes.HasPrefix(data, []byte(a.id)) {
					ok = !a.text || !packed.Binary(data[len(a.id):]) && bytes.IndexByte(data[len(a.id):], 0) < 0
					break
				}
			}
			if !ok {
				return fmt.Errorf("JPEG application segment %#x %.12q", m, data)
			}
		case m == 0xfe:
			if packed.Binary(data) || bytes.IndexByte(data, 0) >= 0 {
				return fmt.Errorf("JPEG comment that is not text")
			}
		case m == 0xda:
			// The entropy-coded data runs to the next marker: 0xff is
			// followed by 0 (a data byte) or a restart marker.
			for {
				k := bytes.IndexByte(b[i:], 0xff)
				if k < 0 || i+k+1 >= len(b) {
					return fmt.Errorf("JPEG scan without its end")
				}
				i += k + 1
				if c := b[i]; c != 0 && (c < 0xd0 || c > 0xd7) && c != 0xff {
					i--
					break
				}
			}
		case m >= 0xc0 && m <= 0xcf && m != 0xc8, m >= 0xdb && m <= 0xdf:
		default:
			return fmt.Errorf("JPEG marker %#x", m)
		}
	}
}

// webpChunks are the chunks a WebP may hold under a mask; XMP must be
// text.
var webpChunks = map[string]bool{"VP8 ": true, "VP8L": true, "VP8X": true, "ALPH": true, "ANIM": true, "ANMF": true, "ICCP": true, "EXIF": true, "XMP ": true}

func checkWebP(b []byte) error {
	if n := binary.LittleEndian.Uint32(b[4:]); uint64(n)+8 != uint64(len(b)) {
		return fmt.Errorf("WebP of %d bytes in a body of %d", uint64(n)+8, len(b))
	}
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return fmt.Errorf("WebP cut short")
		}
		typ := string(b[i : i+4])
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return fmt.Errorf("WebP chunk longer than the body")
		}
		if !webpChunks[typ] {
			return fmt.Errorf("WebP chunk %q", typ)
		}
		if typ == "XMP " && (packed.Binary(b[i+8:i+8+n]) || bytes.IndexByte(b[i+8:i+8+n], 0) >= 0) {
			return fmt.Errorf("WebP XMP chunk that is not text")
		}
		i += 8 + n + n&1
	}
	return nil
}
