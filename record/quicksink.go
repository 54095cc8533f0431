package record

// quickSink is a Sink whose Write returns without waiting on a network or
// a disk flush (a File with DurabilityWrite and no GroupCommit, Memory):
// a Recorder lets its callers write their own events to it (see
// Recorder.combine), which saves each of them two goroutine switches.
// Other sinks are written by the writer goroutine only: a Write that
// waits on a network could stall past a caller's context, and one that
// waits for an fsync is better shared by everyone queued meanwhile.
type quickSink interface {
	Sink
	quick() bool
}

func (fs *File) quick() bool {
	return fs.opts.Durability == DurabilityWrite && fs.opts.GroupCommit <= 0
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
