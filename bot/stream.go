package bot

import (
	"strings"
	"sync"
	"time"
)

// streamer turns the pieces of a streaming answer into throttled previews:
// every edit of every interaction shares one Discord rate-limit bucket, so
// one answer edits at most once per interval, always with the latest text.
type streamer struct {
	interval time.Duration
	send     func(text string)

	mu  sync.Mutex
	buf strings.Builder

	dirty   chan struct{} // new text since the last preview (capacity 1)
	done    chan struct{} // closed by stop
	stopped chan struct{} // closed when run has returned
	once    sync.Once
}

// newStreamer starts a streamer; stop must be called to end it.
func newStreamer(interval time.Duration, send func(text string)) *streamer {
	st := &streamer{
		interval: interval,
		send:     send,
		dirty:    make(chan struct{}, 1),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	go st.run()
	return st
}

// add appends a piece of the answer. It never blocks on Discord.
func (st *streamer) add(delta string) {
	st.mu.Lock()
	st.buf.WriteString(delta)
	st.mu.Unlock()
	select {
	case st.dirty <- struct{}{}:
	default:
	}
}

func (st *streamer) text() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.buf.String()
}

func (st *streamer) run() {
	defer close(st.stopped)
	var last time.Time
	for {
		select {
		case <-st.done:
			return
		case <-st.dirty:
		}
		if wait := st.interval - time.Since(last); !last.IsZero() && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-st.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		st.send(st.text())
		last = time.Now()
	}
}

// stop ends the streamer and waits until no preview is being sent, so that
// the caller's final edit cannot be overtaken by a late preview.
func (st *streamer) stop() {
	st.once.Do(func() { close(st.done) })
	<-st.stopped
}
