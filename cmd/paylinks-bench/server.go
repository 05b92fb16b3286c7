package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// serverProc is a server process the harness started (or, with --url
// --pid, one it only watches).
type serverProc struct {
	cmd   *exec.Cmd // nil when only watched
	pid   int
	base  string        // http://127.0.0.1:PORT
	pprof string        // the pprof listener of a profiled server, else ""
	ready time.Duration // from start to the first 200 of /readyz (or /)
	done  chan struct{} // closed when the process has exited
	out   io.Closer     // the server log file, if any

	mu   sync.Mutex
	peak uint64 // highest VmHWM seen, in kB
}

// buildPaylinks builds cmd/paylinks of the module the harness runs in.
func buildPaylinks(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "paylinks")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=auto", "-o", bin, "github.com/paylinks/paylinks/cmd/paylinks")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/paylinks (run from inside the module, or pass --bin): %w\n%s", err, out)
	}
	return bin, nil
}

// startPaylinks starts the paylinks binary on the database and waits until
// /readyz answers 200. With profiled, it also serves pprof on a loopback
// port (serve --pprof-addr), which the harness reads profiles from.
func startPaylinks(ctx context.Context, bin, db, logFile string, profiled bool) (*serverProc, error) {
	// The harness is also the payers' proxy (pay-proxied): 127.0.0.1 is
	// trusted to name them in X-Forwarded-For.
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db, "--trusted-proxies", "127.0.0.1/32"}
	if profiled {
		args = append(args, "--pprof-addr", "127.0.0.1:0")
	}
	return startProcess(ctx, exec.Command(bin, args...), logFile, "/readyz")
}

// startBaseline starts this command as the baseline server answering body.
func startBaseline(ctx context.Context, dir string, body []byte) (*serverProc, error) {
	path := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return nil, err
	}
	cmd, err := selfCommand(roleBaseline, "--body", path)
	if err != nil {
		return nil, err
	}
	return startProcess(ctx, cmd, "", "/")
}

// selfCommand runs this executable again in a child role.
func selfCommand(role string, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+role)
	return cmd, nil
}

// startProcess starts cmd, reads the address it prints ("listening on
// http://ADDR") and polls readyPath until it answers 200.
func startProcess(ctx context.Context, cmd *exec.Cmd, logFile, readyPath string) (*serverProc, error) {
	// The server must not outlive the harness.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var logOut *os.File
	if logFile != "" {
		logOut, err = os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	} else {
		logOut, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logOut.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &serverProc{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{}), out: logOut}
	addrs := make(chan [2]string, 1)
	go func() {
		// Read the announced addresses, then keep draining stdout so the
		// server never blocks on it.
		var base, pprof string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "pprof on http://"); i >= 0 {
				pprof = strings.TrimSpace(line[i+len("pprof on "):])
			} else if i := strings.Index(line, "listening on http://"); i >= 0 && base == "" {
				base = strings.TrimSpace(line[i+len("listening on "):])
				addrs <- [2]string{base, pprof}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		cmd.Wait()
		close(p.done)
	}()

	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	select {
	case a := <-addrs:
		p.base, p.pprof = a[0], a[1]
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v", cmd.Path, cmd.ProcessState)
	case <-deadline.C:
		p.stop()
		return nil, fmt.Errorf("%s did not print its address within 60 s", cmd.Path)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	if err := checkLoopback(p.base); err != nil {
		p.stop()
		return nil, err
	}
	c := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < 12000; i++ { // 60 s at 5 ms
		resp, err := c.Get(p.base + readyPath)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Since(start)
				c.CloseIdleConnections()
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before it was ready: %v", cmd.Path, cmd.ProcessState)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	p.stop()
	return nil, fmt.Errorf("%s was not ready within 60 s", cmd.Path)
}

// stop asks the process to finish (SIGTERM) and kills it after 15 s. A
// watched process (--url --pid) is left alone.
func (p *serverProc) stop() {
	if p == nil || p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	if p.out != nil {
		p.out.Close()
	}
}

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 for user space on every architecture Go supports.
const userHZ = 100

// cpuSeconds returns the user+system CPU time the process has used.
func (p *serverProc) cpuSeconds() (float64, bool) {
	if p == nil {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis start at field 3 (state).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64) // field 14
	st, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(ut+st) / userHZ, true
}

// status returns a kB field (VmHWM, VmRSS) of /proc/PID/status.
func (p *serverProc) status(field string) (uint64, bool) {
	if p == nil {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// resetPeak records the peak RSS so far and resets the kernel's peak
// (VmHWM) to the current RSS, so that the next reading is the peak of the
// next scenario alone. It reports whether the reset worked.
func (p *serverProc) resetPeak() bool {
	if p == nil {
		return false
	}
	p.notePeak()
	err := os.WriteFile("/proc/"+strconv.Itoa(p.pid)+"/clear_refs", []byte("5"), 0)
	return err == nil
}

// notePeak reads VmHWM and returns it in MB, remembering the highest.
func (p *serverProc) notePeak() float64 {
	if p == nil {
		return 0
	}
	kb, ok := p.status("VmHWM")
	if !ok {
		return 0
	}
	p.mu.Lock()
	p.peak = max(p.peak, kb)
	p.mu.Unlock()
	return float64(kb) / 1024
}

// peakRSS returns the highest VmHWM seen over the whole run, in MB.
func (p *serverProc) peakRSS() float64 {
	p.notePeak()
	p.mu.Lock()
	defer p.mu.Unlock()
	return float64(p.peak) / 1024
}

// rssSplit returns VmRSS and its parts, or nil when unreadable.
func (p *serverProc) rssSplit() *RSSSplit {
	var v [4]float64
	for i, f := range []string{"VmRSS", "RssAnon", "RssFile", "RssShmem"} {
		kb, ok := p.status(f)
		if !ok {
			return nil
		}
		v[i] = float64(kb) / 1024
	}
	return &RSSSplit{Total: v[0], Anon: v[1], File: v[2], Shmem: v[3]}
}

// cpuProfile fetches a CPU profile of d from a profiled server into path.
func (p *serverProc) cpuProfile(ctx context.Context, d time.Duration, path string) error {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	return p.fetchProfile(ctx, "/debug/pprof/profile?seconds="+strconv.Itoa(secs), time.Duration(secs)*time.Second+30*time.Second, path)
}

// heapProfile fetches a heap profile of a profiled server into path.
func (p *serverProc) heapProfile(ctx context.Context, path string) error {
	return p.fetchProfile(ctx, "/debug/pprof/heap?gc=1", 30*time.Second, path)
}

func (p *serverProc) fetchProfile(ctx context.Context, pathQuery string, timeout time.Duration, path string) error {
	if p.pprof == "" {
		return errors.New("the server has no pprof listener")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", p.pprof+pathQuery, nil)
	if err != nil {
		return err
	}
	b, err := send(http.DefaultClient, req, http.StatusOK)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
