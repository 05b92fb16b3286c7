package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles cmd/paylinks once per test binary run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "paylinks-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "paylinks")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a paylinks server running as its own OS process.
type process struct {
	cmd    *exec.Cmd
	url    string
	skey   string
	stdout *lineWriter
}

func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{stdout: newLineWriter()}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = newLineWriter()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	p.url = p.stdout.wait(t, listenRe)
	if strings.Contains(p.stdout.String(), "secret key:") {
		p.skey = p.stdout.wait(t, secretKeyRe)
	}
	return p
}

// TestAcknowledgedLinksSurviveSIGKILL creates links from many clients,
// kills the server with SIGKILL while requests are in flight, restarts it,
// and finds every link whose creation was acknowledged.
func TestAcknowledgedLinksSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server process; skipped with -short")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "durable.db")
	first := startProcess(t, "--db", db)
	key := first.skey

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	stop := make(chan struct{})
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				select {
				case <-stop:
					return
				default:
				}
				form := url.Values{"amount": {"5000"}, "currency": {"thb"}, "title": {fmt.Sprintf("w%d-%d", w, i)}, "description": {"durable"}}
				req, _ := http.NewRequest("POST", first.url+"/links", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(key, "")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				var body struct{ ID string }
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == 200 && body.ID != "" {
					mu.Lock()
					acked = append(acked, body.ID)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of writes were acknowledged, mid-stream.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	second := startProcess(t, "--db", db)
	for _, id := range acked {
		req, _ := http.NewRequest("GET", second.url+"/links/"+id, nil)
		req.SetBasicAuth(key, "")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("acknowledged link %s lost after SIGKILL: %d %s", id, resp.StatusCode, b.String())
		}
	}
	t.Logf("%d acknowledged links, all found after SIGKILL and restart", len(acked))
}
