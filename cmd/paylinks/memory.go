package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Go's collector runs by default whenever the heap has doubled since the
// last collection. paylinks keeps little live (about 13 MB under load, 8 of
// them the hosted-page cache), so at the default it collects every ~13 MB
// of garbage: under list load that was a quarter of the server's CPU
// (BENCHMARKS.md). serve instead gives the Go runtime a memory budget
// (--memory-limit, a soft limit on everything the runtime holds) and lets
// the heap grow within it (GOGC=400): collections are rarer, and the
// process stays inside the budget. SQLite's page caches (about 16 MiB) and
// the binary are outside it. A fixed limit would make the collector run
// without pause once more is live than fits (thousands of connections at
// once), so keepMemoryBudget raises the limit with what is live: never
// below Go's default pace (the heap may double what is live).
const (
	defaultMemoryLimit = "40MiB"
	budgetGCPercent    = 400
)

// memorySettings is what applyMemory did, for the start-up log.
type memorySettings struct {
	limit     int64 // bytes; 0: left to Go (GOMEMLIMIT, or none)
	gcPercent int   // 0: left to Go (GOGC, or 100)
}

// applyMemory sets the memory limit and collector pace from --memory-limit
// unless the environment's GOMEMLIMIT or GOGC (which the runtime has already
// applied) say otherwise: each of those wins over the flag.
func applyMemory(flag string, getenv func(string) string) (memorySettings, error) {
	limit, err := parseBytes(flag)
	if err != nil {
		return memorySettings{}, fmt.Errorf("--memory-limit %q: %w", flag, err)
	}
	var s memorySettings
	if limit == 0 {
		return s, nil // off: Go's defaults
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
		s.limit = limit
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(budgetGCPercent)
		s.gcPercent = budgetGCPercent
	}
	return s, nil
}

// parseBytes reads a size: a number of bytes with an optional unit, B, KiB,
// MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000); 0 or "off" is
// none. Below 16 MiB is refused: the runtime would collect without pause.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "0" || strings.EqualFold(t, "off") {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 40MiB, or off")
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	if n*mult < 16<<20 {
		return 0, fmt.Errorf("below the least budget of 16MiB")
	}
	return n * mult, nil
}

// keepMemoryBudget adjusts the memory limit every second until ctx ends
// (see adjustMemoryLimit), and returns memory to the OS once a burst of
// connections has passed (see burstWatch).
func keepMemoryBudget(ctx context.Context, base int64) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var burst burstWatch
	goroutines := []metrics.Sample{{Name: "/sched/goroutines:goroutines"}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			adjustMemoryLimit(base)
			metrics.Read(goroutines)
			if goroutines[0].Value.Kind() == metrics.KindUint64 && burst.passed(int(goroutines[0].Value.Uint64())) {
				releaseMemory()
			}
		}
	}
}

// releaseMemory collects twice and returns the free memory to the OS. The
// first collection only moves what sync.Pools hold to their victim caches
// (net/http pools every closed connection's 8 KiB of read and write
// buffers: 100 MB after 12,000 connections); the second
// (debug.FreeOSMemory) frees it.
func releaseMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// burstGoroutines is how many goroutines (one per open connection) must
// have come and gone for burstWatch to call it a burst.
const burstGoroutines = 512

// burstWatch tells when a burst of connections has passed, by the number of
// goroutines (each open connection has one). An idle server collects
// nothing (nothing allocates), so the memory thousands of connections held
// would stay garbage, and resident, for minutes: 12,000 idle connections
// left an uncapped server at 240 MB 30 s after they closed
// (BenchmarkIdleConns; 40 MB with this release).
// Once half of a burst of at least burstGoroutines has gone, serve
// collects and returns the free memory to the OS at once (releaseMemory:
// two full collections, some tens of milliseconds of CPU at this heap
// size, once per burst).
type burstWatch struct{ peak int }

// passed records the number of goroutines now and reports whether a burst
// has just passed.
func (w *burstWatch) passed(n int) bool {
	if n > w.peak {
		w.peak = n
		return false
	}
	if w.peak-n >= burstGoroutines && n <= w.peak/2 {
		w.peak = n
		return true
	}
	return false
}

// memorySamples are the runtime's figures adjustMemoryLimit reads.
var memorySamples = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

// adjustMemoryLimit sets the memory limit to the budget base, or, when more
// is live, to twice the live heap plus what the runtime holds besides the
// heap (stacks, metadata), and returns it.
func adjustMemoryLimit(base int64) int64 {
	samples := make([]metrics.Sample, len(memorySamples))
	for i, name := range memorySamples {
		samples[i].Name = name
	}
	metrics.Read(samples)
	v := func(i int) int64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(samples[i].Value.Uint64())
	}
	live, total := v(0), v(1)
	besidesHeap := max(0, total-v(2)-v(3)-v(4)-v(5))
	limit := memoryLimitFor(base, live, besidesHeap)
	debug.SetMemoryLimit(limit)
	return limit
}

// memoryLimitFor is the limit for a budget of base bytes when live bytes of
// heap are live and the runtime holds besidesHeap bytes besides the heap.
func memoryLimitFor(base, live, besidesHeap int64) int64 {
	return max(base, 2*live+besidesHeap)
}
