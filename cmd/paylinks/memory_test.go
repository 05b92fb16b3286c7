package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"40MiB", 40 << 20}, {"64 MiB", 64 << 20}, {"1GiB", 1 << 30}, {"100MB", 100e6}, {"20000KiB", 20000 << 10},
		{"33554432", 32 << 20}, {"33554432B", 32 << 20}, {"off", 0}, {"OFF", 0}, {"0", 0},
	} {
		got, err := parseBytes(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "MiB", "-40MiB", "40XB", "4.5GiB", "1MiB", "15MiB", "99999999999GiB", "forty"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
}

// restoreMemory puts back Go's settings after a test changed them.
func restoreMemory(t *testing.T) {
	limit, percent := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	})
}

func TestApplyMemory(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	gcPercent := func() int {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}

	t.Run("budget", func(t *testing.T) {
		restoreMemory(t)
		s, err := applyMemory("40MiB", env())
		if err != nil {
			t.Fatal(err)
		}
		if got := debug.SetMemoryLimit(-1); got != 40<<20 || s.limit != 40<<20 {
			t.Errorf("memory limit %d (reported %d), want 40 MiB", got, s.limit)
		}
		if got := gcPercent(); got != budgetGCPercent || s.gcPercent != budgetGCPercent {
			t.Errorf("GOGC %d (reported %d), want %d", got, s.gcPercent, budgetGCPercent)
		}
	})
	t.Run("environment wins", func(t *testing.T) {
		restoreMemory(t)
		debug.SetMemoryLimit(math.MaxInt64)
		debug.SetGCPercent(100)
		s, err := applyMemory("40MiB", env("GOGC", "150", "GOMEMLIMIT", "1GiB"))
		if err != nil {
			t.Fatal(err)
		}
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 || s.limit != 0 {
			t.Errorf("memory limit changed to %d (reported %d) although GOMEMLIMIT is set", got, s.limit)
		}
		if got := gcPercent(); got != 100 || s.gcPercent != 0 {
			t.Errorf("GOGC changed to %d (reported %d) although GOGC is set", got, s.gcPercent)
		}
	})
	t.Run("off", func(t *testing.T) {
		restoreMemory(t)
		debug.SetMemoryLimit(math.MaxInt64)
		debug.SetGCPercent(100)
		if _, err := applyMemory("off", env()); err != nil {
			t.Fatal(err)
		}
		if debug.SetMemoryLimit(-1) != math.MaxInt64 || gcPercent() != 100 {
			t.Error("--memory-limit off changed Go's settings")
		}
	})
	t.Run("bad", func(t *testing.T) {
		restoreMemory(t)
		_, err := applyMemory("lots", env())
		if err == nil || !strings.Contains(err.Error(), "--memory-limit") {
			t.Errorf("applyMemory(lots) = %v, want an error naming --memory-limit", err)
		}
	})
}

// TestServeAppliesMemoryLimit starts serve with --memory-limit and finds the
// budget in force and in the start-up log.
func TestServeAppliesMemoryLimit(t *testing.T) {
	restoreMemory(t)
	srv := startRun(t, "sqlite:"+filepath.Join(t.TempDir(), "paylinks.db"), "--memory-limit", "64MiB")
	srv.stderr.wait(t, regexp.MustCompile(`memory_limit=(67108864)`))
	// The budget is applied as given (the log line above says so); from
	// then on the keeper may raise the limit above it, by design, when more
	// than half the budget is live: this test process's heap, after the
	// package's other tests and under -race, can be. So the limit in force
	// is the budget or more, never Go's unlimited default.
	if got := debug.SetMemoryLimit(-1); got < 64<<20 || got == math.MaxInt64 {
		t.Errorf("memory limit in force %d, want 64 MiB or what the keeper raised it to", got)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--memory-limit", "ten",
		"--db", "sqlite:" + filepath.Join(t.TempDir(), "x.db")}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), `--memory-limit "ten"`) {
		t.Errorf("serve --memory-limit ten: %v, want an error naming the flag", err)
	}
}

func TestMemoryLimitFor(t *testing.T) {
	const base = 40 << 20
	for _, c := range []struct{ live, besides, want int64 }{
		{13 << 20, 6 << 20, base},           // little live: the budget
		{100 << 20, 8 << 20, 208 << 20},     // much live: room to double it
		{(base - 4<<20) / 2, 4 << 20, base}, // at the edge
		{(base - 4<<20) / 2, 5 << 20, base + 1<<20},
	} {
		if got := memoryLimitFor(base, c.live, c.besides); got != c.want {
			t.Errorf("memoryLimitFor(40MiB, live %d, besides %d) = %d, want %d", c.live, c.besides, got, c.want)
		}
	}
}

// TestMemoryBudgetFollowsLive holds 96 MiB live, more than the budget: the
// limit rises above twice that (the collector keeps Go's default pace, not
// a constant run), and comes back to the budget once it is garbage.
func TestMemoryBudgetFollowsLive(t *testing.T) {
	restoreMemory(t)
	const base = 40 << 20
	hold := make([]byte, 96<<20)
	runtime.GC()
	if got := adjustMemoryLimit(base); got < 2*int64(len(hold)) || debug.SetMemoryLimit(-1) != got {
		t.Errorf("limit with 96 MiB live: %d (in force %d), want at least 192 MiB", got, debug.SetMemoryLimit(-1))
	}
	runtime.KeepAlive(hold)
	hold = nil
	runtime.GC()
	if got := adjustMemoryLimit(base); got != base {
		t.Errorf("limit once the 96 MiB are garbage: %d, want the budget %d", got, base)
	}
}

// TestFailedServeStopsKeepingBudget: a serve that fails after applying the
// budget leaves nothing behind that adjusts the process's memory limit (a
// keeper left running once made TestServeAppliesMemoryLimit flaky).
func TestFailedServeStopsKeepingBudget(t *testing.T) {
	restoreMemory(t)
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--memory-limit", "40MiB",
		"--db", "mysql://nowhere"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve with a mysql:// database succeeded")
	}
	const mark = 1<<40 + 12345 // no keeper would pick this
	debug.SetMemoryLimit(mark)
	time.Sleep(1500 * time.Millisecond) // the keeper ticks every second
	if got := debug.SetMemoryLimit(-1); got != mark {
		t.Errorf("memory limit changed to %d after serve returned", got)
	}
}
