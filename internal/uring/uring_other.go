//go:build !linux

package uring

import (
	"errors"
	"os"
)

// Syncer fsyncs files through io_uring; on this system New always fails.
type Syncer struct{}

// ErrClosed is returned by Sync after Close.
var ErrClosed = errors.New("uring: syncer closed")

// New fails: io_uring is Linux's.
func New() (*Syncer, error) { return nil, errors.ErrUnsupported }

// Sync is f.Sync.
func (s *Syncer) Sync(f *os.File) error { return f.Sync() }

// Close does nothing.
func (s *Syncer) Close() error { return nil }
