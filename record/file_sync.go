package record

import (
	"sync"
	"time"
)

// syncLoop runs a File's background fsyncs (DurabilityWrite) on one
// long-lived goroutine, started by the first write that leaves bytes
// unsynced and ended by Close. A write that leaves bytes unsynced kicks
// it; it waits SyncInterval on a timer it reuses and fsyncs. A goroutine
// of its own per fsync (time.AfterFunc) would start each time with a
// small stack and grow it in the fsync path, a copy of the stack every
// interval; this one keeps the stack it grew.
type syncLoop struct {
	once sync.Once
	kick chan struct{} // buffered: a kick waits while an fsync runs
	quit chan struct{} // closed by stop
	stop sync.Once
}

// startSync asks the background loop for an fsync SyncInterval from now
// (or, if an fsync is running, SyncInterval after it ends), starting the
// loop on first use. The caller holds flushMu and has just set unsynced.
func (fs *File) startSync() {
	l := &fs.bg
	l.once.Do(func() {
		l.kick = make(chan struct{}, 1)
		l.quit = make(chan struct{})
		go fs.syncLoop(l.kick, l.quit)
	})
	select {
	case l.kick <- struct{}{}:
	default: // a kick is already pending
	}
}

// stopSync ends the background loop (Close); bytes left unsynced are the
// closer's to fsync.
func (fs *File) stopSync() {
	l := &fs.bg
	l.once.Do(func() {}) // no loop starts after this
	l.stop.Do(func() {
		if l.quit != nil {
			close(l.quit)
		}
	})
}

// syncLoop waits for a kick, then SyncInterval, then fsyncs what was
// written (backgroundSync), again an interval later while an fsync of
// rotation or Close holds the file, until quit is closed.
func (fs *File) syncLoop(kick, quit <-chan struct{}) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-kick:
		}
		for {
			t.Reset(fs.syncInterval())
			select {
			case <-quit:
				t.Stop()
				return
			case <-t.C:
			}
			if fs.backgroundSync() {
				break
			}
		}
	}
}
