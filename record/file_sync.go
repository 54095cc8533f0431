package record

import "time"

// syncLoop runs a File's background fsyncs (DurabilityWrite) on one
// long-lived goroutine, started by the first write that leaves bytes
// unsynced and ended by Close. A write that leaves bytes unsynced kicks
// it; it waits SyncInterval and fsyncs. A goroutine of its own per fsync
// (time.AfterFunc) would start each time with a small stack and could
// grow it in the fsync path, a copy of the stack every interval; this one
// keeps the stack it grew. Its fields are guarded by the File's flushMu.
type syncLoop struct {
	kick    chan struct{} // buffered: a kick waits while an fsync runs
	stopped bool          // kick is closed (or was never made): no loop
}

// startSync asks the background loop for an fsync SyncInterval from now
// (or, if an fsync is running, SyncInterval after it ends), starting the
// loop on first use. The caller holds flushMu and has just set unsynced.
func (fs *File) startSync() {
	l := &fs.bg
	if l.stopped {
		return // closed: Close fsyncs what is left
	}
	if l.kick == nil {
		l.kick = make(chan struct{}, 1)
		go fs.syncLoop(l.kick)
	}
	select {
	case l.kick <- struct{}{}:
	default: // a kick is already pending
	}
}

// stopSync ends the background loop (Close); bytes left unsynced are the
// closer's to fsync. The caller holds flushMu.
func (fs *File) stopSync() {
	l := &fs.bg
	if !l.stopped && l.kick != nil {
		close(l.kick)
	}
	l.stopped = true
}

// syncLoop waits for a kick, then SyncInterval on a timer it reuses, and
// fsyncs what was written (backgroundSync), again an interval later while
// an fsync of rotation or Close holds the file, until kick is closed
// (Close), which ends a wait at once. A kick during a wait asks nothing
// more: the bytes it stands for are unsynced when the wait ends, and its
// fsync takes them, sooner than an interval after their write.
func (fs *File) syncLoop(kick <-chan struct{}) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for range kick {
		t.Reset(fs.syncInterval())
		for waiting := true; waiting; {
			select {
			case <-t.C:
				if waiting = !fs.backgroundSync(); waiting {
					t.Reset(fs.syncInterval())
				}
			case _, open := <-kick:
				if !open {
					t.Stop()
					return
				}
			}
		}
	}
}
