package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// idleBurst is how many idle keep-alive connections BenchmarkIdleConns
// opens: the review's finding took an uncapped server to 262 MB with it.
const idleBurst = 12000

// BenchmarkIdleConns starts the real paylinks binary on a fresh SQLite
// database and opens idleBurst keep-alive connections to it on 127.0.0.1,
// each making one request and then staying open, idle; then it closes them
// all. It reports the server's resident memory (VmRSS) before the burst,
// with every connection open, its high-water mark (VmHWM), and after the
// burst (when the server has seen its connections close, and the lowest
// within the next 30 s), once at the default --max-conns and once with the
// cap off. Run it alone:
//
//	go test ./cmd/paylinks -run '^$' -bench IdleConns -benchtime 1x
func BenchmarkIdleConns(b *testing.B) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	// Go raises the soft limit to the hard one at start; the child is
	// paylinks, a Go program too.
	if lim.Cur < idleBurst+500 {
		b.Skipf("RLIMIT_NOFILE is %d; %d connections need more (raise the hard limit: ulimit -Hn)", lim.Cur, idleBurst)
	}
	for _, cap := range []string{defaultMaxConns, "off"} {
		b.Run("max-conns="+cap, func(b *testing.B) {
			p := startBenchProcess(b, "--max-conns", cap)
			addr := strings.TrimPrefix(p.url, "http://")
			pid := p.cmd.Process.Pid
			for range b.N {
				before := procStatus(b, pid, "VmRSS")
				conns, served := openIdle(b, addr, idleBurst)
				time.Sleep(time.Second) // let the server settle its connections' states
				open := procStatus(b, pid, "VmRSS")
				peak := procStatus(b, pid, "VmHWM")
				for _, c := range conns {
					c.Close()
				}
				after, lowest := 0.0, open
				for i := 0; i < 60; i++ {
					time.Sleep(500 * time.Millisecond)
					rss := procStatus(b, pid, "VmRSS")
					if i == 1 {
						after = rss
					}
					lowest = min(lowest, rss)
				}
				b.ReportMetric(before, "MB-rss-before")
				b.ReportMetric(open, "MB-rss-open")
				b.ReportMetric(peak, "MB-rss-peak")
				b.ReportMetric(after, "MB-rss-after-1s")
				b.ReportMetric(lowest, "MB-rss-after-30s")
				b.ReportMetric(float64(served), "served")
			}
		})
	}
}

// startBenchProcess starts the paylinks binary for a benchmark.
func startBenchProcess(b *testing.B, args ...string) *process {
	b.Helper()
	bin, err := buildBinary()
	if err != nil {
		b.Fatal(err)
	}
	p := &process{stdout: newLineWriter()}
	db := "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = io.Discard
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	p.url = p.stdout.wait(b, listenRe)
	return p
}

// openIdle opens n connections to addr, each sending one GET /healthz and
// reading its answer, and returns them open; served is how many were
// answered (under a cap, the server closes the connections idle longest to
// make room, so some early ones are closed by then).
func openIdle(b *testing.B, addr string, n int) (conns []net.Conn, served int) {
	b.Helper()
	conns = make([]net.Conn, n)
	var (
		next, ok atomic.Int64
		wg       sync.WaitGroup
		failed   atomic.Value
	)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := net.DialTimeout("tcp", addr, 30*time.Second)
				if err != nil {
					failed.Store(fmt.Errorf("connection %d: %w", i, err))
					return
				}
				conns[i] = c
				c.SetDeadline(time.Now().Add(30 * time.Second))
				io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: paylinks\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok.Add(1)
				}
				c.SetDeadline(time.Time{})
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		b.Fatal(err)
	}
	return conns, int(ok.Load())
}

// procStatus reads a memory figure of /proc/PID/status (kB there), in MB.
func procStatus(b *testing.B, pid int, field string) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("%s: %q", field, line)
			}
			return kb / 1000
		}
	}
	b.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}
