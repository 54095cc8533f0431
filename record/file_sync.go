package record

import (
	"cmp"
	"time"
)

// syncIdle is how long the background fsync loop waits for another write
// before it ends (a later write starts it again): a File that is never
// closed does not keep a goroutine for ever.
const syncIdle = time.Second

// syncLoop runs a File's background fsyncs (DurabilityWrite) on one
// goroutine that lives as long as writes keep coming. A write that leaves
// bytes unsynced kicks it with its deadline (the write's time plus
// SyncInterval); it waits for the deadline and fsyncs, so every write is
// fsynced at most SyncInterval after it, or, on a disk slower than that,
// as soon as the fsync before it ends. A goroutine of its own per fsync
// (time.AfterFunc) would start each time with a small stack and could
// grow it in the fsync path, a copy of the stack every interval; this one
// keeps the stack it grew. Its fields are guarded by the File's flushMu.
type syncLoop struct {
	// kick carries the deadline of the oldest write not yet fsynced.
	// Buffered: a deadline waits while an fsync runs; a later write's
	// deadline is never needed while an earlier one waits.
	kick    chan time.Time
	running bool          // a loop goroutine runs (it reads kick)
	stopped bool          // Close: no more loops; kick is closed
	idle    time.Duration // syncIdle unless a test sets it
}

// startSync hands the background loop the deadline of a write that has
// just left bytes unsynced, starting the loop if none runs. The caller
// holds flushMu and has just set unsynced.
func (fs *File) startSync() {
	l := &fs.bg
	if l.stopped {
		return // closed: Close fsyncs what is left
	}
	deadline := time.Now().Add(fs.syncInterval())
	if l.kick == nil {
		l.kick = make(chan time.Time, 1)
	}
	if !l.running {
		l.running = true
		go fs.syncLoop(l.kick, cmp.Or(l.idle, syncIdle))
	}
	select {
	case l.kick <- deadline:
	default: // an earlier deadline waits: its fsync takes these bytes too
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

// syncLoop waits for a deadline on kick, then for the deadline on a timer
// it reuses, and fsyncs what was written (backgroundSync); again an
// interval later while an fsync of rotation or Close holds the file. It
// ends when kick is closed (Close), which ends a wait at once, or when no
// write has come for idle (syncIdle).
func (fs *File) syncLoop(kick chan time.Time, idle time.Duration) {
	t := time.NewTimer(idle)
	for {
		var deadline time.Time
		select {
		case d, open := <-kick:
			if !open {
				t.Stop()
				return
			}
			deadline = d
		case <-t.C:
			if fs.endIdleLoop(kick) {
				return
			}
			t.Reset(idle)
			continue
		}
		t.Reset(time.Until(deadline))
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
				// A deadline during a wait is later than the one
				// waited for, whose fsync takes its bytes too.
			}
		}
		t.Reset(idle)
	}
}

// endIdleLoop ends the loop when no deadline waits for it: it reports
// whether the loop is to return. A write's startSync then starts another.
func (fs *File) endIdleLoop(kick chan time.Time) bool {
	fs.flushMu.Lock()
	defer fs.flushMu.Unlock()
	if len(kick) > 0 {
		return false
	}
	fs.bg.running = false
	return true
}
