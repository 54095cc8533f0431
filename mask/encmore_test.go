package mask

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The notations TestEncodingGapsGenerator left open: hex dumps with
// separators and dump lines with offsets and ASCII columns, an encoding of
// an encoding, base32 in lower case, base64 split into joined strings,
// decimal code points, spelled digits, a spelled dot in any case, and a
// value split across the leaves of one JSON array or object. Each spelling
// comes with the decoder a reader would apply to the masked output.

// hexByteRE is one byte of a hex list: two hex digits, perhaps after 0x
// or \x, standing alone.
var hexByteRE = regexp.MustCompile(`(?i)(?:0x|\\x)?\b([0-9a-f]{2})\b`)

// hexListDec decodes every hex byte of a list.
func hexListDec(x string) string {
	return hexByteRE.ReplaceAllStringFunc(x, func(m string) string {
		v, _ := strconv.ParseUint(hexByteRE.FindStringSubmatch(m)[1], 16, 8)
		return string(rune(v))
	})
}

// dumpLine is one line of a hex dump: its offset, its bytes as hex and
// its ASCII column, each format's way.
type dumpFormat struct {
	name string
	line func(off int, b []byte) string
}

func printable(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= ' ' && c < 0x7F {
			s.WriteByte(c)
		} else {
			s.WriteByte('.')
		}
	}
	return s.String()
}

var dumpFormats = []dumpFormat{
	{"xxd", func(off int, b []byte) string {
		var h strings.Builder
		for i := 0; i < 16; i += 2 {
			switch {
			case i+1 < len(b):
				fmt.Fprintf(&h, "%02x%02x ", b[i], b[i+1])
			case i < len(b):
				fmt.Fprintf(&h, "%02x   ", b[i])
			default:
				h.WriteString("     ")
			}
		}
		return fmt.Sprintf("%08x: %s %s", off, h.String(), printable(b))
	}},
	{"hexdump-C", func(off int, b []byte) string {
		var h strings.Builder
		for i := 0; i < 16; i++ {
			if i == 8 {
				h.WriteByte(' ')
			}
			if i < len(b) {
				fmt.Fprintf(&h, "%02x ", b[i])
			} else {
				h.WriteString("   ")
			}
		}
		return fmt.Sprintf("%08x  %s |%s|", off, h.String(), printable(b))
	}},
	{"od-tx1", func(off int, b []byte) string {
		var h strings.Builder
		for _, c := range b {
			fmt.Fprintf(&h, " %02x", c)
		}
		return fmt.Sprintf("%07o%s", off, h.String())
	}},
	{"od-An", func(_ int, b []byte) string {
		var h strings.Builder
		for _, c := range b {
			fmt.Fprintf(&h, " %02x", c)
		}
		return h.String()
	}},
}

// dump writes v inside a sentence as a hex dump of 16 bytes a line.
func dump(f dumpFormat, v string) string {
	b := []byte("the value is " + v + ", kept on file.")
	var lines []string
	for off := 0; off < len(b); off += 16 {
		lines = append(lines, f.line(off, b[off:min(off+16, len(b))]))
	}
	return strings.Join(lines, "\n") + "\n"
}

var (
	dumpOffRE  = regexp.MustCompile(`(?m)^[0-9a-f]{7,8}:?`)
	dumpAscRE  = regexp.MustCompile(`(?m)(?:  |\|)([^|\n]{1,16})\|?$`)
	dumpPairRE = regexp.MustCompile(`(?i)\b([0-9a-f]{2}|[0-9a-f]{4})\b`)
)

// dumpHexDec decodes the hex columns of a dump, offsets and ASCII
// columns left out.
func dumpHexDec(x string) string {
	var out strings.Builder
	for _, ln := range strings.Split(x, "\n") {
		ln = dumpOffRE.ReplaceAllString(ln, "")
		if i := strings.Index(ln, "|"); i >= 0 {
			ln = ln[:i]
		}
		if i := strings.LastIndex(ln, "  "); i >= 0 && strings.Count(ln, " ") > 8 && !strings.HasPrefix(ln, " ") {
			ln = ln[:i]
		}
		for _, m := range dumpPairRE.FindAllString(ln, -1) {
			if b, err := hex.DecodeString(m); err == nil {
				out.Write(b)
			}
		}
	}
	return out.String()
}

// dumpASCIIDec joins the ASCII columns of a dump.
func dumpASCIIDec(x string) string {
	var out strings.Builder
	for _, m := range dumpAscRE.FindAllStringSubmatch(x, -1) {
		out.WriteString(m[1])
	}
	return out.String()
}

var (
	decListRE  = regexp.MustCompile(`\b\d{1,3}\b`)
	chrCallRE  = regexp.MustCompile(`(?i)(?:chr|char|\[char\])\(?(\d{1,3})\)?\s*(?:\+|\|\||&|\.)?\s*`)
	fromCodeRE = regexp.MustCompile(`(?i)(?:fromCharCode|char)\(([\d,\s]+)\)`)
)

// decList turns every decimal number of a list into its character and
// drops the list's separators.
func decList(x string) string {
	var out strings.Builder
	last := 0
	for _, m := range decListRE.FindAllStringIndex(x, -1) {
		v, _ := strconv.Atoi(x[m[0]:m[1]])
		gap := x[last:m[0]]
		if last == 0 || strings.Trim(gap, " ,;[]") != "" {
			out.WriteString(gap)
		}
		out.WriteRune(rune(v))
		last = m[1]
	}
	out.WriteString(x[last:])
	return out.String()
}

func chrDec(x string) string {
	x = fromCodeRE.ReplaceAllStringFunc(x, func(m string) string { return decList(fromCodeRE.FindStringSubmatch(m)[1]) })
	return chrCallRE.ReplaceAllStringFunc(x, func(m string) string {
		v, _ := strconv.Atoi(chrCallRE.FindStringSubmatch(m)[1])
		return string(rune(v))
	})
}

var digitWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

var digitWordRE = regexp.MustCompile(`(?i)\b(zero|one|two|three|four|five|six|seven|eight|nine)\b[\s,;/-]*`)

func unspell(x string) string {
	return digitWordRE.ReplaceAllStringFunc(x, func(m string) string {
		w := strings.ToLower(digitWordRE.FindStringSubmatch(m)[1])
		for d, dw := range digitWords {
			if dw == w {
				return strconv.Itoa(d)
			}
		}
		return m
	})
}

var (
	b32LowerRE = regexp.MustCompile(`[a-z2-7]{8,}=*`)
	leafJoinRE = regexp.MustCompile(`"\s*,\s*(?:"[^"]*"\s*:\s*)?"`)
	// structJoinRE is leafJoinRE across the brackets of JSON containers.
	// fillerRE is a join of JSON pieces with a literal or an empty
	// container between.
	fillerRE     = regexp.MustCompile(`"\s*[\]}\s]*,\s*(?:null|true|false|\{\s*\}|\[\s*\])\s*,(?:[\[{\s]*"[^"]*"\s*:)*[\[{\s]*"`)
	structJoinRE = regexp.MustCompile(`"\s*[\]}\s]*,(?:[\[{\s]*"[^"]*"\s*:)*[\[{\s]*"`)
)

func unB32Lower(m string) ([]byte, error) { return unB32(strings.ToUpper(m)) }

func chain(fs ...func(string) string) func(string) string {
	return func(x string) string {
		for _, f := range fs {
			x = f(x)
		}
		return x
	}
}

// splitEvery cuts s into pieces of n characters.
func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// pieces splits a sample into the groups of its digits, or in halves.
func pieces(s encSample) []string {
	if s.groups != nil {
		var out []string
		d := s.digits
		for _, g := range s.groups {
			out = append(out, d[:g])
			d = d[g:]
		}
		return out
	}
	v := s.value
	return []string{v[:len(v)/2], v[len(v)/2:]}
}

func moreSpellings() []encSpelling {
	var sp []encSpelling
	add := func(name string, kinds func(encSample) bool, enc func(encSample) string, dec func(string) string) {
		sp = append(sp, encSpelling{name, kinds, enc, dec})
	}
	b64 := func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }
	hx := func(v string) string { return hex.EncodeToString([]byte(v)) }
	b32 := func(v string) string { return base32.StdEncoding.EncodeToString([]byte(v)) }
	deB64 := decodeRuns(b64RunRE, unB64)
	deHex := decodeRuns(hexRunRE, unHex)
	deB32 := decodeRuns(b32RunRE, unB32)
	// Hex lists: every byte as two hex digits, with a separator.
	for _, f := range []struct{ name, pre, sep string }{
		{"space", "", " "}, {"colon", "", ":"}, {"dash", "", "-"}, {"comma", "", ","}, {"comma-space", "", ", "},
		{"0x-comma", "0x", ","}, {"0x-comma-space", "0x", ", "}, {"0x-space", "0x", " "}, {"upper-space", "", " "},
		{"cx-in-text", `\x`, ""}, {"newline-every-8", "", " "},
	} {
		add("hex-list/"+f.name, nil, func(s encSample) string {
			var parts []string
			for _, c := range []byte(s.value) {
				h := fmt.Sprintf("%02x", c)
				if f.name == "upper-space" {
					h = strings.ToUpper(h)
				}
				parts = append(parts, f.pre+h)
			}
			if f.name == "newline-every-8" {
				var lines []string
				for i := 0; i < len(parts); i += 8 {
					lines = append(lines, strings.Join(parts[i:min(i+8, len(parts))], f.sep))
				}
				return strings.Join(lines, "\n")
			}
			if f.name == "cx-in-text" {
				return "buf=b'" + strings.Join(parts, "") + "' ok"
			}
			return strings.Join(parts, f.sep)
		}, hexListDec)
	}
	// Hex dumps with offsets and ASCII columns: read by their hex and by
	// their ASCII columns.
	for _, f := range dumpFormats {
		add("dump/"+f.name+"/hex", nil, func(s encSample) string { return dump(f, s.value) }, dumpHexDec)
		if f.name == "xxd" || f.name == "hexdump-C" {
			add("dump/"+f.name+"/ascii", nil, func(s encSample) string { return dump(f, s.value) }, dumpASCIIDec)
		}
	}
	// Encodings of encodings.
	add("b64-of-hex", nil, func(s encSample) string { return b64(hx(s.value)) }, chain(deB64, deHex))
	add("hex-of-b64", nil, func(s encSample) string { return hx(b64(s.value)) }, chain(deHex, deB64))
	add("b64-of-b64", nil, func(s encSample) string { return b64(b64(s.value)) }, chain(deB64, deB64))
	add("b64-of-b64-of-b64", nil, func(s encSample) string { return b64(b64(b64(s.value))) }, chain(deB64, deB64, deB64))
	add("b32-of-b64", nil, func(s encSample) string { return b32(b64(s.value)) }, chain(deB32, deB64))
	add("b64-of-b32", nil, func(s encSample) string { return b64(b32(s.value)) }, chain(deB64, deB32))
	add("url-of-b64", nil, func(s encSample) string { return url.QueryEscape(b64(s.value + "?>")) }, chain(unPct, deB64))
	add("b64-of-json", nil, func(s encSample) string { return b64(`{"v":"` + quoteJSON(s.value) + `"}`) }, deB64)
	add("b64-of-json-u", nil, func(s encSample) string {
		return b64(`{"v":"` + perChar(s.value, everyOther, func(r rune) string { return fmt.Sprintf(`\u%04x`, r) }) + `"}`)
	}, chain(deB64, unJSON))
	add("b64-of-hex-list", nil, func(s encSample) string {
		return b64(hexListOf(s.value))
	}, chain(deB64, hexListDec))
	// Base32 in lower case, padded or not.
	add("b32-lower", nil, func(s encSample) string { return strings.ToLower(b32(s.value)) }, decodeRuns(b32LowerRE, unB32Lower))
	add("b32-lower-raw", nil, func(s encSample) string { return strings.ToLower(strings.TrimRight(b32(s.value), "=")) },
		decodeRuns(b32LowerRE, unB32Lower))
	add("b32-raw", nil, func(s encSample) string { return strings.TrimRight(b32(s.value), "=") }, deB32)
	// Base64 split into strings that code joins.
	for _, j := range []string{`" + "`, `"+"`, `' || '`, "\" +\n  \"", `" "`, `", "`, `"."`} {
		for _, n := range []int{4, 7} {
			add(fmt.Sprintf("b64-joined/%d%s", n, j), nil, func(s encSample) string {
				q := j[:1]
				return q + strings.Join(splitEvery(b64(s.value), n), j) + q
			}, func(x string) string { return deB64(concatRE.ReplaceAllString(x, "")) })
		}
	}
	add("b64-lines-joined", nil, func(s encSample) string {
		return "s = (\n  \"" + strings.Join(splitEvery(b64("the value is "+s.value), 12), "\"\n  \"") + "\"\n)"
	}, func(x string) string { return deB64(regexp.MustCompile(`"\s*"`).ReplaceAllString(x, "")) })
	// Decimal code points.
	codes := func(v, sep, pre, post string) string {
		var parts []string
		for _, c := range []byte(v) {
			parts = append(parts, pre+strconv.Itoa(int(c))+post)
		}
		return strings.Join(parts, sep)
	}
	for _, f := range []struct{ name, sep, pre, post, open, close string }{
		{"comma", ",", "", "", "", ""}, {"comma-space", ", ", "", "", "", ""}, {"space", " ", "", "", "", ""},
		{"array", ",", "", "", "[", "]"}, {"semicolon", ";", "", "", "", ""},
		{"chr-plus", "+", "chr(", ")", "", ""}, {"chr-plus-spaces", " + ", "chr(", ")", "", ""},
		{"sql-char", "||", "CHAR(", ")", "", ""}, {"char-concat", " & ", "Chr(", ")", "", ""},
		{"php-chr-dot", ".", "chr(", ")", "", ""}, {"ps-char", "+", "[char]", "", "", ""},
		{"fromCharCode", ",", "", "", "String.fromCharCode(", ")"}, {"fromCharCode-space", ", ", "", "", "String.fromCharCode(", ")"},
		{"mysql-char", ",", "", "", "CHAR(", ")"},
	} {
		add("codes/"+f.name, nil, func(s encSample) string {
			return f.open + codes(s.value, f.sep, f.pre, f.post) + f.close
		}, func(x string) string {
			if f.pre != "" || f.open != "" {
				return chrDec(x)
			}
			return decList(x)
		})
	}
	add("codes/html-mixed", nil, func(s encSample) string {
		return perChar(s.value, everyOther, func(r rune) string { return fmt.Sprintf("&#%d;", r) })
	}, chain(decodeMixed))
	// Spelled digits.
	notPhone := func(s encSample) bool { return s.numeric && s.kind != "phone" }
	for _, f := range []struct{ name, sep string }{
		{"comma", ", "}, {"space", " "}, {"dash", "-"}, {"comma-only", ","}, {"slash", " / "},
	} {
		for _, cs := range []string{"lower", "upper", "title"} {
			add("spelled/"+f.name+"/"+cs, notPhone, func(s encSample) string {
				var ws []string
				for _, d := range s.digits {
					w := digitWords[d-'0']
					switch cs {
					case "upper":
						w = strings.ToUpper(w)
					case "title":
						w = strings.ToUpper(w[:1]) + w[1:]
					}
					ws = append(ws, w)
				}
				return strings.Join(ws, f.sep)
			}, unspell)
		}
	}
	// Spelled dots and at signs in any case.
	isEmail := func(s encSample) bool { return s.kind == "email" }
	for _, f := range []struct{ at, dot string }{{" at ", " dOt "}, {" aT ", " dOT "}, {" AT ", " doT "}, {" At ", " dOt "}} {
		add(fmt.Sprintf("email-words%+q%+q", f.at, f.dot), isEmail, func(s encSample) string {
			local, dom, _ := strings.Cut(s.value, "@")
			return strings.ReplaceAll(local, ".", f.dot) + f.at + strings.ReplaceAll(dom, ".", f.dot)
		}, nil)
	}
	// A value split across the leaves of one array or object; the client
	// reads it back with the JSON between its pieces removed.
	unLeaf := func(x string) string { return leafJoinRE.ReplaceAllString(x, "") }
	unStruct := func(x string) string { return structJoinRE.ReplaceAllString(x, "") }
	add("json-array-leaves", nil, func(s encSample) string {
		return `["` + strings.Join(pieces(s), `","`) + `"]`
	}, unLeaf)
	add("json-array-leaves-spaced", nil, func(s encSample) string {
		return `[ "` + strings.Join(pieces(s), `", "`) + `" ]`
	}, unLeaf)
	// object writes the pieces as the members of one object, the i-th
	// formatted by member, sep between them.
	object := func(s encSample, sep string, member func(i int, p string) string) string {
		ms := make([]string, 0, 4)
		for i, p := range pieces(s) {
			ms = append(ms, member(i, p))
		}
		return "{" + strings.Join(ms, sep) + "}"
	}
	add("json-object-leaves", nil, func(s encSample) string {
		return object(s, ",", func(i int, p string) string { return fmt.Sprintf(`"%c":"%s"`, 'a'+i, p) })
	}, unLeaf)
	// One piece per object of an array, or per nested array.
	add("json-objects-leaves", nil, func(s encSample) string {
		return `[{"n":"` + strings.Join(pieces(s), `"},{"n":"`) + `"}]`
	}, unStruct)
	add("json-objects-leaves-spaced", nil, func(s encSample) string {
		return `{"rows": [ {"n": "` + strings.Join(pieces(s), `"} , {"n": "`) + `"} ]}`
	}, unStruct)
	add("json-nested-leaves", nil, func(s encSample) string {
		return `[{"a":{"n":"` + strings.Join(pieces(s), `"}},{"a":{"n":"`) + `"}}]`
	}, unStruct)
	add("json-filler-leaves", nil, func(s encSample) string {
		fill := []string{"null", "{}", "true", "[ ]", "false"}
		var b strings.Builder
		for i, p := range pieces(s) {
			if i > 0 {
				fmt.Fprintf(&b, `,%s,{"n":`, fill[i%len(fill)])
			}
			fmt.Fprintf(&b, `"%s"`, p)
			if i > 0 {
				b.WriteString("}")
			}
		}
		return "[" + b.String() + "]"
	}, func(x string) string { return fillerRE.ReplaceAllString(unStruct(x), "") })
	add("json-arrays-leaves", nil, func(s encSample) string {
		return `[["` + strings.Join(pieces(s), `"],["`) + `"]]`
	}, unStruct)
	add("json-object-leaves-spaced", nil, func(s encSample) string {
		return object(s, ", ", func(i int, p string) string { return fmt.Sprintf(`"part%d": "%s"`, i+1, p) })
	}, unLeaf)
	return sp
}

// hexListOf writes v as hex bytes separated by spaces.
func hexListOf(v string) string {
	var parts []string
	for _, c := range []byte(v) {
		parts = append(parts, fmt.Sprintf("%02x", c))
	}
	return strings.Join(parts, " ")
}

// runMore masks every combination of the spellings above with the
// wrappers, and returns the probes that leak.
func runMore(t *testing.T, p *Policy, stream bool) (leaks []encLeak, probes int) {
	t.Helper()
	utf8 := wides[0]
	var ps []encProbe
	for _, sp := range moreSpellings() {
		for _, s := range encSamples {
			if sp.kinds != nil && !sp.kinds(s) {
				continue
			}
			ev := sp.enc(s)
			for _, w := range gapWrappers {
				ps = append(ps, encProbe{s, sp, w, utf8, []byte(w.wrap(ev))})
			}
		}
	}
	return maskProbes(t, p, ps, stream), len(ps)
}

// TestMoreNotationsGenerator: no sample, in any of the notations above
// and any wrapper, can be read back from the masked output, by Value or
// by the stream masker.
func TestMoreNotationsGenerator(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	for _, stream := range []bool{false, true} {
		leaks, probes := runMore(t, p, stream)
		if len(leaks) > 0 {
			reportLeaks(t, stream, leaks, probes, func(l encLeak) string { return l.spelling })
		}
	}
}

// TestMoreNotationsLeaveCleanTextAlone: the code lists, the unwrapped
// encodings, the comma joins and the spelled dot in any case mask nothing
// in common text that holds none of the values.
func TestMoreNotationsLeaveCleanTextAlone(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	bin := make([]byte, 64)
	for i := range bin {
		bin[i] = byte(i*37 + 11)
	}
	var binList, binDec []string
	for _, c := range bin {
		binList = append(binList, fmt.Sprintf("0x%02x", c))
		binDec = append(binDec, strconv.Itoa(int(c)))
	}
	var binDump strings.Builder
	for off := 0; off < len(bin); off += 16 {
		binDump.WriteString(dumpFormats[1].line(off, bin[off:off+16]) + "\n")
	}
	clean := []string{
		// hashes, UUIDs, MAC addresses (IPv6 addresses are a detector's)
		"sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 md5 d41d8cd98f00b204e9800998ecf8427e",
		"ids 550e8400-e29b-41d4-a716-446655440000, 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		"mac 00:1a:2b:3c:4d:5e and 00-1A-2B-3C-4D-5E, aa:bb:cc:dd:ee:ff",
		"fingerprint 43:51:43:a1:b5:fc:8b:b7:0a:3a:a9:b1:0f:66:73:a8",
		// version lists and number lists
		"versions 1.2.3, 1.2.4, 1.3.0, 2.0.0, 2.0.1, 2.1.0, 3.0.0, 3.1.4, 3.2.0, 4.0.0",
		`{"n":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"m":[10,20,30,40,50,60,70,80,90,100,110,120]}`,
		"[4, 8, 15, 16, 23, 42, 4, 8, 15, 16, 23, 42, 4, 8, 15, 16, 23, 42]",
		"scores 12 7 3 19 4 11 2 9 14 6 1 8 and 300 400 500 600",
		"ports 22, 80, 443, 5432, 6379, 8080, 8443, 9090, 9200, 27017",
		// bytes of binary, as lists, a dump, base64 and base32
		"key = [" + strings.Join(binList, ", ") + "]",
		"bytes " + strings.Join(binDec, ",") + " end",
		binDump.String(),
		"blob " + base64.StdEncoding.EncodeToString(bin) + " and " + base32.StdEncoding.EncodeToString(bin[:40]),
		"raw " + strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(bin[:40]), "=")),
		"nested " + base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(bin))),
		// lists that decode to text that holds no value
		"greeting 72,101,108,108,111,44,32,119,111,114,108,100,33 sent",
		"hex 68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 and " + base64.StdEncoding.EncodeToString([]byte("68656c6c6f2c20776f726c6421")),
		"String.fromCharCode(104,101,108,108,111,32,116,104,101,114,101)",
		// prose, digit words, calls and JSON of words
		"one two three, then four and five; six or seven, eight nine ten. Not one dot at all.",
		"it is nOt a dot. I got a lot of dots here. Rot lot cot.",
		"chr(10) + chr(13) is a line break; String.fromCharCode(9) a tab",
		`{"status":"ok","id":"x","tags":["a","bb","ccc"],"name":"Ann Lee"}`,
		`["red","green","blue"] and {"a":"yes","b":"no","c":"maybe"}`,
		`{"v":"v1.2.3","w":"build-7","at":"2026-11-05T12:30:45Z"}`,
		"cafe babe dead beef face feed bead fade 1234 abcd",
		"ab cd ef 01 23 45 67 89 be ad",
	}
	for _, c := range clean {
		out, f, err := p.Value("", c)
		if err != nil || out != c || f != nil {
			t.Errorf("clean text %q became %q (%v, %v)", c, out, f, err)
		}
		if got, err := maskBytes(p, []byte(c), true); err != nil || string(got) != c {
			t.Errorf("stream: clean text %q became %q (%v)", c, got, err)
		}
	}
}

// TestMoreNotationsStreamAgrees: on a value in each notation, with clean
// text around it so that the stream masker holds and rescans, the stream
// masker cut anywhere gives Value's output.
func TestMoreNotationsStreamAgrees(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	pad := strings.Repeat("clean words 2026-11-05 ", 40)
	for _, sp := range moreSpellings() {
		for _, s := range encSamples[:4] {
			if sp.kinds != nil && !sp.kinds(s) {
				continue
			}
			in := []byte(pad + sp.enc(s) + " " + pad)
			checkStream(t, p, in, []int{len(pad) - 3, len(pad) + 5, len(pad) + 11, len(pad) + 40})
		}
	}
}

// TestMoreNotationsShortInputs masks every string of up to four bytes over
// the bytes that start or end the new readings: no panic, and the stream
// masker agrees with Value.
func TestMoreNotationsShortInputs(t *testing.T) {
	checkEveryShortInput(t, "3x0 ,:\"|\n:a")
}
