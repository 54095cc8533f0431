// Package packed recognises data that holds its values in a form a
// masker cannot read but a client unpacks: compressed (gzip, zlib, bzip2,
// xz, zstd, ...), archived with compressed members (zip and the formats
// built on it: jar, docx, xlsx, epub), in a document whose streams are
// compressed (PDF), or serialized with numbers in binary (MessagePack,
// CBOR, BSON, protobuf, Avro, an OLE2 spreadsheet, a SQLite file). A card
// number sent as a MessagePack uint64, inside a gzip file, or in the
// base64 of one reaches the client whole, since the masker sees no digit
// of it. The gateways refuse such data under a mask: by its declared
// media type (Type), by the magic bytes it starts with (Magic), and, in
// text, by the base64 or hexadecimal encoding of those bytes (Scanner).
//
// The one thing not to forget: raw deflate has no signature. Magic and
// Type judge a body's start; Embedded and Unpack find raw deflate (and
// zlib of any window) at any offset by its blocks' structure
// (deflatestart.go) and what it inflates to.
package packed

import "strings"

// types are the media types of packed data.
var types = map[string]bool{
	// Compression and archives.
	"application/gzip": true, "application/x-gzip": true, "application/x-gunzip": true,
	"application/zlib": true, "application/x-deflate": true, "application/x-compress": true,
	"application/x-compressed": true, "application/x-bzip": true, "application/x-bzip2": true,
	"application/x-xz": true, "application/x-lzma": true, "application/x-lzip": true,
	"application/x-lz4": true, "application/x-lzop": true, "application/zstd": true,
	"application/x-zstd": true, "application/x-brotli": true, "application/brotli": true,
	"application/zip": true, "application/x-zip": true, "application/x-zip-compressed": true,
	"application/x-7z-compressed": true, "application/vnd.rar": true, "application/x-rar-compressed": true,
	"application/x-rar": true, "application/x-tar+gzip": true, "application/x-gtar": true,
	"application/java-archive": true, "application/x-java-archive": true,
	"application/vnd.android.package-archive": true, "application/x-cpio": true,
	"application/x-iso9660-image": true, "application/vnd.ms-cab-compressed": true,
	// Documents with compressed streams or binary numbers.
	"application/pdf": true, "application/x-pdf": true, "application/msword": true,
	"application/vnd.ms-excel": true, "application/vnd.ms-powerpoint": true,
	"application/vnd.ms-outlook": true, "application/x-ole-storage": true,
	// Binary serializations.
	"application/msgpack": true, "application/x-msgpack": true, "application/vnd.msgpack": true,
	"application/cbor": true, "application/cbor-seq": true, "application/bson": true,
	"application/vnd.bson": true, "application/protobuf": true, "application/x-protobuf": true,
	"application/vnd.google.protobuf": true, "application/x-google-protobuf": true,
	"application/grpc": true, "application/grpc+proto": true, "application/grpc-web": true,
	"application/grpc-web+proto": true, "application/avro": true, "application/avro-binary": true,
	"application/vnd.apache.avro+binary": true, "avro/binary": true, "application/x-avro-binary": true,
	"application/x-jackson-smile": true, "application/ion": true, "application/vnd.amazon.ion": true,
	"application/x-thrift": true, "application/vnd.apache.thrift.binary": true,
	"application/vnd.apache.thrift.compact": true, "application/vnd.apache.arrow.file": true,
	"application/vnd.apache.arrow.stream": true, "application/vnd.apache.parquet": true,
	"application/x-parquet": true, "application/x-java-serialized-object": true,
	"application/x-python-pickle": true, "application/python-pickle": true,
	"application/vnd.sqlite3": true, "application/x-sqlite3": true, "application/x-hdf5": true,
	"application/x-hdf": true, "application/x-netcdf": true, "application/x-capnp": true,
	"application/x-flatbuffers": true, "application/x-bplist": true,
}

// prefixes are families of media types whose bodies are packed: the
// OOXML and OpenDocument formats are zip files.
var prefixes = []string{
	"application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
	"application/vnd.ms-excel.", "application/vnd.ms-word.", "application/vnd.ms-powerpoint.",
	"application/x-iwork-", "application/vnd.apple.",
}

// suffixes are structured syntax suffixes of packed bodies.
var suffixes = []string{"+zip", "+gzip", "+zstd", "+cbor", "+cbor-seq", "+msgpack", "+proto", "+protobuf", "+bson", "+avro"}

// Type reports whether data of media type mt (lower case, without
// parameters) is packed.
func Type(mt string) bool {
	if types[mt] {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	for _, s := range suffixes {
		if strings.HasSuffix(mt, s) {
			return true
		}
	}
	return false
}

// SniffLen is how many bytes Magic reads.
const SniffLen = 16

// magics are the signatures packed formats start with.
var magics = []struct {
	name  string
	magic string
}{
	{"gzip", "\x1f\x8b\x08"},
	{"compress", "\x1f\x9d"},
	{"lzh", "\x1f\xa0"},
	{"xz", "\xfd7zXZ\x00"},
	{"lzma", "\x5d\x00\x00"},
	{"lzip", "LZIP"},
	{"lz4", "\x04\x22\x4d\x18"},
	{"lz4 (legacy)", "\x02\x21\x4c\x18"},
	{"lzop", "\x89LZO\x00\r\n\x1a\n"},
	{"zstd", "\x28\xb5\x2f\xfd"},
	{"brotli framing", "\xce\xb2\xcf\x81"},
	{"zip", "PK\x03\x04"},
	{"zip", "PK\x05\x06"},
	{"zip", "PK\x07\x08"},
	{"7z", "7z\xbc\xaf\x27\x1c"},
	{"rar", "Rar!\x1a\x07"},
	{"cab", "MSCF\x00\x00\x00\x00"},
	{"PDF", "%PDF-"},
	{"OLE2", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"},
	{"SQLite", "SQLite format 3\x00"},
	{"HDF5", "\x89HDF\r\n\x1a\n"},
	{"Avro", "Obj\x01"},
	{"Parquet", "PAR1"},
	{"Arrow", "ARROW1"},
	{"Java serialization", "\xac\xed\x00\x05"},
	{"CBOR", "\xd9\xd9\xf7"},
	{"binary plist", "bplist0"},
	{"xar", "xar!"},
}

// magicsByFirst are the indexes in magics of the signatures starting
// with each byte, in magics' order: Magic reads only those a head's
// first byte may start.
var magicsByFirst = func() (t [256][]uint8) {
	for k, m := range magics {
		t[m.magic[0]] = append(t[m.magic[0]], uint8(k))
	}
	return t
}()

// Magic returns the name of the packed format head (the first bytes of
// the data, content codings decoded) starts with, or "". text says the
// data is read as text, where two-byte signatures (compress, zlib) are
// too likely by chance. bzip2 is known
// by its block or end-of-stream magic after the level; zstd's skippable
// frames by their magic's range; a zlib stream, in a body that is not text
// (its two-byte header is also "HK" or "x^"), by that header: deflate, a
// window of at most 32 KiB, the check bits, no preset dictionary.
func Magic(head []byte, text bool) string {
	if len(head) == 0 {
		return ""
	}
	for _, k := range magicsByFirst[head[0]] {
		m := &magics[k]
		if text && len(m.magic) < 3 {
			continue // too likely by chance in text
		}
		if len(head) >= len(m.magic) && string(head[:len(m.magic)]) == m.magic {
			return m.name
		}
	}
	if len(head) >= 10 && string(head[:3]) == "BZh" && head[3] >= '1' && head[3] <= '9' &&
		(string(head[4:10]) == "1AY&SY" || string(head[4:10]) == "\x17rE8P\x90") {
		return "bzip2"
	}
	if !text && len(head) >= 2 && head[0]&0x0f == 8 && head[0]>>4 <= 7 && (uint(head[0])<<8|uint(head[1]))%31 == 0 && head[1]&0x20 == 0 {
		return "zlib"
	}
	if len(head) >= 4 && head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18 {
		return "zstd (skippable frame)"
	}
	return ""
}
