package mask

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuMetric reports the process CPU time per operation as "cpu-ns/op" and
// the throughput it implies as "cpu-MB/s". On a shared machine wall time
// includes waiting for a core; CPU time does not. Use:
// defer cpuMetric(b, size)().
func cpuMetric(b *testing.B, size int64) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N == 0 {
			return
		}
		ns := float64(cpu()-start) / float64(b.N)
		b.ReportMetric(ns, "cpu-ns/op")
		if size > 0 && ns > 0 {
			b.ReportMetric(float64(size)/ns*1e3, "cpu-MB/s")
		}
	}
}

var benchWords = strings.Fields(`the a of and to in is for on that with as by this be are from at or an
request response server client handled retry cache user session query table row column index update
select insert value result error warning info debug timeout connection closed opened latency ms bytes
agent tool call gate rule allow deny review approval record event replay chain hash verified ok status
quickly slowly new old large small first last next previous because however although while during`)

// benchText returns n bytes of clean text: prose and log lines with
// timestamps, paths, counters and versions, but nothing any detector takes.
func benchText(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		switch r.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "2026-11-%02dT%02d:%02d:%02dZ INFO path=/api/v1/users/%d status=%d duration=%dms v%d.%d.%d\n",
				1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(100000), 200+r.IntN(300), r.IntN(5000), r.IntN(9), r.IntN(20), r.IntN(100))
		default:
			k := 8 + r.IntN(12)
			for i := 0; i < k; i++ {
				if i > 0 {
					b.WriteByte(' ')
				}
				w := benchWords[r.IntN(len(benchWords))]
				if i == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b.WriteString(w)
			}
			b.WriteString(". ")
			if r.IntN(3) == 0 {
				b.WriteByte('\n')
			}
		}
	}
	return b.Bytes()[:n]
}

var dirtyBits = []string{
	"4111 1111 1111 1111", "ann.lee@example.com", "123-45-6789", "(415) 555-2671",
	"GB82 WEST 1234 5698 7654 32", "10.20.30.40", "2001:db8::ff00:42:8329", "AKIAIOSFODNN7EXAMPLE",
	"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "password=hunter2", "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
}

// benchDirty returns n bytes with a sensitive value about every 200 bytes.
func benchDirty(n int, seed uint64) []byte {
	clean := benchText(n, seed)
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		end := min((i+1)*200, len(clean))
		b.Write(clean[i*200 : end])
		b.WriteByte(' ')
		b.WriteString(dirtyBits[i%len(dirtyBits)])
		b.WriteByte(' ')
		if end == len(clean) {
			break
		}
	}
	return b.Bytes()[:n]
}

// baselineRegexps are the built-in detectors written as plain regular
// expressions, without prefilters or checksums: the naive implementation.
var baselineRegexps = []*regexp.Regexp{
	regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`),
	regexp.MustCompile(`[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,}`),
	regexp.MustCompile(`\b\d{3}[- ]?\d{2}[- ]?\d{4}\b`),
	regexp.MustCompile(`\+[1-9][\d ().-]{7,20}\d|\(?\b[2-9]\d{2}\)?[-. ]?[2-9]\d{2}[-. ]\d{4}\b`),
	regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`),
	regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`),
	regexp.MustCompile(`(?i)\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f:.]*`),
	regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`),
	regexp.MustCompile(`(?i)secret_?access_?key["' ]*[:=]["' ]*[A-Za-z0-9/+]{40}`),
	regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,251}\b|github_pat_\w{22,255}`),
	regexp.MustCompile(`\bgl(?:pat|dt|rt|ptt|ft|soat|cbt|oas)-[\w.-]{20,}`),
	regexp.MustCompile(`xox[bpares]-[A-Za-z0-9-]{10,}|hooks\.slack\.com/services/[\w/]+`),
	regexp.MustCompile(`\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{16,}`),
	regexp.MustCompile(`\bAIza[\w-]{35}\b`),
	regexp.MustCompile(`\beyJ[\w-]+\.[\w-]+\.[\w-]*`),
	regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*-----`),
	regexp.MustCompile(`(?i)(?:password|passwd|pwd|secret|token|api_?key|access_?key|private_?key|authorization|credential)[\w-]*["'` + "`" + `]?\s*(?::=|=>|:|=)\s*["']?[^\s"',;&]+`),
}

func benchPolicy(b *testing.B) *Policy {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := e.Policy([]string{"all"})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchValue measures masking s as one value with p.
func benchValue(b *testing.B, p *Policy, s string) {
	b.SetBytes(int64(len(s)))
	defer cpuMetric(b, int64(len(s)))()
	for b.Loop() {
		if _, _, err := p.Value("", s); err != nil {
			b.Fatal(err)
		}
	}
}

// benchInput is n bytes of text with seed: with sensitive values in it
// ("dirty") or without ("clean").
func benchInput(kind string, n int, seed uint64) []byte {
	if kind == "dirty" {
		return benchDirty(n, seed)
	}
	return benchText(n, seed)
}

var benchSizes = []struct {
	name string
	n    int
}{{"1KB", 1 << 10}, {"64KB", 64 << 10}, {"4MB", 4 << 20}}

func BenchmarkValue(b *testing.B) {
	p := benchPolicy(b)
	for _, kind := range []string{"clean", "dirty"} {
		for _, sz := range benchSizes {
			s := string(benchInput(kind, sz.n, 1))
			b.Run(kind+"/"+sz.name, func(b *testing.B) { benchValue(b, p, s) })
		}
	}
}

func BenchmarkRegexpBaseline(b *testing.B) {
	for _, kind := range []string{"clean", "dirty"} {
		for _, sz := range benchSizes {
			in := benchInput(kind, sz.n, 1)
			b.Run(kind+"/"+sz.name, func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				defer cpuMetric(b, int64(len(in)))()
				for b.Loop() {
					for _, re := range baselineRegexps {
						re.FindAllIndex(in, -1)
					}
				}
			})
		}
	}
}

// BenchmarkDirty4KB is the latency of masking one 4 KB result with about
// twenty sensitive values in it.
func BenchmarkDirty4KB(b *testing.B) {
	p := benchPolicy(b)
	benchValue(b, p, string(benchDirty(4<<10, 2)))
}

func BenchmarkStream(b *testing.B) {
	p := benchPolicy(b)
	for _, kind := range []string{"clean", "dirty"} {
		in := benchInput(kind, 4<<20, 3)
		b.Run(kind+"/4MB/32KBwrites", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			defer cpuMetric(b, int64(len(in)))()
			for b.Loop() {
				w := p.NewWriter(io.Discard)
				for i := 0; i < len(in); i += 32 << 10 {
					if _, err := w.Write(in[i:min(i+32<<10, len(in))]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSON(b *testing.B) {
	p := benchPolicy(b)
	var doc bytes.Buffer
	doc.WriteString(`{"rows":[`)
	for i := 0; doc.Len() < 64<<10; i++ {
		if i > 0 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `{"id":%d,"name":"user %d","email":"u%d@example.com","card":4111111111111111,"note":"%s"}`, i, i, i, bytes.ReplaceAll(benchText(80, uint64(i)), []byte("\n"), []byte(" ")))
	}
	doc.WriteString(`]}`)
	in := doc.Bytes()
	b.SetBytes(int64(len(in)))
	defer cpuMetric(b, int64(len(in)))()
	for b.Loop() {
		if _, _, err := p.JSON(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchCorporaAreClean guards the benchmark: the clean corpus must have
// no findings, the dirty one many.
func TestBenchCorporaAreClean(t *testing.T) {
	e, _ := New(Config{})
	p, _ := e.Policy([]string{"all"})
	_, f, err := p.Value("", string(benchText(256<<10, 1)))
	if err != nil || f != nil {
		t.Fatalf("clean corpus has findings %v (%v)", f, err)
	}
	_, f, _ = p.Value("", string(benchDirty(4<<10, 2)))
	if countOf(f) < 15 {
		t.Fatalf("dirty corpus has only %v", f)
	}
}

// BenchmarkValueTokenRuns masks short strings without spaces, as a token
// stream's joined deltas, identifiers and encoded bytes are: the
// encoded-run readings' worst case (every run is decoded in three
// alphabets from each of its first characters).
func BenchmarkValueTokenRuns(b *testing.B) {
	p := benchPolicy(b)
	for _, tc := range []struct{ name, s string }{
		{"joined-deltas", strings.Repeat("widget", 16)},
		{"base64-noise", "q83vEjRWeJqrze8SNFZ4mqvN7xI0VniaoM3vEjRWeJqrze8SNFZ4mg"},
		{"uuids", "3f2504e0-4f89-11d3-9a0c-0305e82c3301,6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
		{"identifier", "customer_account_reference_number_2024"},
	} {
		b.Run(tc.name, func(b *testing.B) { benchValue(b, p, tc.s) })
	}
}
