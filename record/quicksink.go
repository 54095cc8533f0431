package record

// quickSink is a Sink whose Write waits on nothing but this machine (a
// File without GroupCommit, whatever its durability; Memory). A Recorder
// lets its callers write their own events to it (see Recorder.combine):
// each saves two goroutine switches, and under DurabilityFsync a lone
// client saves the hand-offs around the writer goroutine's blocking
// fsync (a sixth of the gateway's CPU per statement, measured). The first
// caller writes and fsyncs at once; callers arriving during its fsync
// queue, and the writer goroutine writes them together, one fsync for
// all. A caller inside Write cannot give up when its context ends: a disk
// that hangs holds that one caller (whose request is not let through
// either way), while the callers queued behind it give up at their
// contexts' ends. Other sinks are written by the writer goroutine only: a
// Write that waits on a network could stall past a caller's context, and
// a group commit's wait is better spent by one goroutine for all.
type quickSink interface {
	Sink
	quick() bool
}

func (fs *File) quick() bool {
	return fs.opts.GroupCommit <= 0
}

func (m *Memory) quick() bool { return true }

// quick: a Tee is quick when every sink of it is.
func (t *Tee) quick() bool {
	for _, s := range t.sinks {
		if !isQuick(s) {
			return false
		}
	}
	return true
}

// isQuick reports whether s is a quickSink.
func isQuick(s Sink) bool {
	q, ok := s.(quickSink)
	return ok && q.quick()
}
