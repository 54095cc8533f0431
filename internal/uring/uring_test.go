package uring_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/airlock-sdk/airlock/internal/uring"
)

func newSyncer(t testing.TB) *uring.Syncer {
	t.Helper()
	s, err := uring.New()
	if err != nil {
		t.Skipf("io_uring unavailable on this machine (CI has it): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSyncFile(t *testing.T) {
	s := newSyncer(t)
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < 20; i++ {
		if _, err := f.Write([]byte("a line of the record\n")); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(f); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || len(got) != 20*21 {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
}

// A descriptor fsync(2) refuses gets the same error through the ring as
// through f.Sync.
func TestSyncErrorsAsFileSync(t *testing.T) {
	s := newSyncer(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	want := w.Sync()
	if !errors.Is(want, syscall.EINVAL) {
		t.Fatalf("f.Sync of a pipe: %v, want EINVAL", want)
	}
	got := s.Sync(w)
	var pe *os.PathError
	if !errors.Is(got, syscall.EINVAL) || !errors.As(got, &pe) || pe.Path != w.Name() {
		t.Fatalf("Sync of a pipe: %v, want a PathError with EINVAL like %v", got, want)
	}
	// The ring still works after a failed fsync.
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.Sync(f); err != nil {
		t.Fatalf("sync after a failure: %v", err)
	}
}

func TestSyncClosedFile(t *testing.T) {
	s := newSyncer(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := s.Sync(f); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Sync of a closed file: %v, want os.ErrClosed", err)
	}
}

func TestSyncAfterClose(t *testing.T) {
	s, err := uring.New()
	if err != nil {
		t.Skipf("io_uring unavailable on this machine (CI has it): %v", err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s.Close()
	if err := s.Sync(f); !errors.Is(err, uring.ErrClosed) {
		t.Fatalf("Sync after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// Concurrent fsyncs through one ring each get their own completion, while
// files are closed under them.
func TestSyncConcurrent(t *testing.T) {
	s := newSyncer(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				f, err := os.CreateTemp(dir, "f")
				if err != nil {
					errs <- err
					return
				}
				f.WriteString("x")
				err = s.Sync(f)
				f.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func BenchmarkSync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("uring", func(b *testing.B) {
		s := newSyncer(b)
		for b.Loop() {
			f.WriteString("x")
			if err := s.Sync(f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("file", func(b *testing.B) {
		for b.Loop() {
			f.WriteString("x")
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
