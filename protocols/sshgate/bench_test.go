package sshgate

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkCat256MB measures the throughput of `cat` of a 256 MiB file with
// the real OpenSSH client, straight to sshd and through the gateway, in the
// same run. Run: go test -run '^$' -bench Cat256MB -benchtime 5x -count 3 ./protocols/sshgate
func BenchmarkCat256MB(b *testing.B) {
	const size = 256 << 20
	up := startSSHD(b)
	g := startGateway(b, up, testRules)
	dir := b.TempDir()
	file := filepath.Join(dir, "data.bin")
	maskedFile := filepath.Join(dir, "mask-data.bin")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte('a' + i%26)
	}
	for range size / len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	if err := os.Link(file, maskedFile); err != nil {
		b.Fatal(err)
	}

	cat := func(b *testing.B, addr string, key keyPair, user, path string) {
		args := append(sshArgs(addr, key, "-p"), "-l", user, "--", "cat "+path)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "ssh", args...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, out)
		if err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	// The three transfers alternate inside each iteration, so load from
	// other processes falls on all of them alike.
	var direct, gw, masked []time.Duration
	timed := func(addr string, key keyPair, path string) time.Duration {
		t0 := time.Now()
		cat(b, addr, key, up.user, path)
		return time.Since(t0)
	}
	b.SetBytes(size)
	for b.Loop() {
		direct = append(direct, timed(up.addr, up.userKey, file))
		gw = append(gw, timed(g.addr, g.agent, file))
		masked = append(masked, timed(g.addr, g.agent, maskedFile))
	}
	mbps := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(size) / 1e6 / ds[len(ds)/2].Seconds()
	}
	d, w, m := mbps(direct), mbps(gw), mbps(masked)
	b.ReportMetric(d, "direct-MB/s")
	b.ReportMetric(w, "gateway-MB/s")
	b.ReportMetric(m, "masked-MB/s")
	b.ReportMetric(w/d, "gateway/direct")
	b.ReportMetric(m/d, "masked/direct")
}
