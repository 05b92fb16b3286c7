//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid: a write past
// limit bytes into any file fails, as on a full disk (SQLite then fails
// the write: a short write is its SQLITE_FULL). unix.RLIM_INFINITY lifts it.
func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
		t.Skipf("prlimit is not allowed here, so no full disk can be made: %v", err)
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: limit, Max: old.Max}, nil); err != nil {
		t.Skipf("prlimit is not allowed here, so no full disk can be made: %v", err)
	}
}

// TestFullDisk fills the disk under a real server process (its files may
// not grow: RLIMIT_FSIZE set from outside) while clients write, and checks
// that each refused write is a 503 in its dialect's shape, that writes
// succeed again once space returns, and that after a SIGKILL and restart
// every acknowledged link is there and no refused one is.
func TestFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server process; skipped with -short")
	}
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "full.db")
	p := startProcess(t, "--db", db)
	c := &http.Client{Timeout: 30 * time.Second}
	create := func(title string) (int, string) {
		t.Helper()
		r := send(t, c, apiRequest(p.skey, "POST", p.url+"/links", url.Values{"amount": {"25000"}, "currency": {"thb"},
			"title": {title}, "description": {"d"}}))
		return r.status, r.body
	}
	acked := map[string]bool{}
	for i := range 20 {
		title := fmt.Sprintf("before-%d", i)
		if st, body := create(title); st != 200 {
			t.Fatalf("create before the disk fills: %d %s", st, body)
		}
		acked[title] = true
	}

	var payable apiLink
	apiJSON(t, c, p.skey, "POST", p.url+"/links", url.Values{"amount": {"25000"}, "currency": {"thb"},
		"title": {"before-payable"}, "description": {"d"}}, &payable)
	acked["before-payable"] = true
	pc := replicaClient()
	token, cookie := checkoutForm(t, pc, p, payable.slug())

	setFileSizeLimit(t, p.cmd.Process.Pid, 4096)
	if r := send(t, pc, payRequest(p, payable.slug(), token, cookie, "4242424242424242")); r.status != 503 || !strings.Contains(r.body, "Nothing was charged") {
		t.Errorf("hosted-page payment on a full disk: %d, want 503 saying nothing was charged", r.status)
	}
	refused := map[string]bool{}
	for i := range 20 {
		title := fmt.Sprintf("full-%d", i)
		st, body := create(title)
		switch st {
		case 200:
			// A write that fits in a page already written may still pass.
			acked[title] = true
		case 503:
			refused[title] = true
			var e struct{ Object, Code, Message string }
			// A file that may not grow fails with EFBIG, which SQLite
			// reports as an I/O error (ENOSPC would be SQLITE_FULL).
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Object != "error" || !storageCode(e.Code) || !strings.Contains(e.Message, "disk") {
				t.Errorf("Omise 503 body %s, want an error object with code storage_full or storage_unavailable", body)
			}
		default:
			t.Errorf("create on a full disk: %d %s, want 503", st, body)
		}
	}
	if len(refused) == 0 {
		t.Fatal("no write was refused on a full disk")
	}
	body := `{"title":"full","fiatAmount":"9.00","fiatCurrency":"USD"}`
	req, _ := http.NewRequest("POST", p.url+"/api/v1/payment_links", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.skey)
	req.Header.Set("Content-Type", "application/json")
	if r := send(t, c, req); r.status != 503 || !strings.Contains(r.body, `"error":{"type":"server","code":"storage_`) {
		t.Errorf("v1 create on a full disk: %d %s, want 503 in the v1 error shape", r.status, r.body)
	}
	if r := send(t, c, apiRequest(p.skey, "GET", p.url+"/links?limit=1", nil)); r.status != 200 {
		t.Errorf("a read on a full disk: %d, want 200", r.status)
	}

	setFileSizeLimit(t, p.cmd.Process.Pid, unix.RLIM_INFINITY)
	for i := range 20 {
		title := fmt.Sprintf("after-%d", i)
		if st, body := create(title); st != 200 {
			t.Fatalf("create once space returned: %d %s, want 200", st, body)
		}
		acked[title] = true
	}

	if r := send(t, pc, payRequest(p, payable.slug(), token, cookie, "4242424242424242")); r.status != http.StatusSeeOther {
		t.Errorf("hosted-page payment once space returned: %d, want 303", r.status)
	}
	skey := p.skey
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p = startProcess(t, "--db", db)
	var list struct {
		Data []struct {
			Title string `json:"title"`
		} `json:"data"`
		Total int `json:"total"`
	}
	r := send(t, c, apiRequest(skey, "GET", p.url+"/links?limit=100", nil))
	if err := json.Unmarshal([]byte(r.body), &list); err != nil {
		t.Fatalf("list: %d %v", r.status, err)
	}
	found := map[string]bool{}
	for _, l := range list.Data {
		found[l.Title] = true
	}
	for title := range acked {
		if !found[title] {
			t.Errorf("acknowledged link %q lost", title)
		}
	}
	for title := range refused {
		if found[title] {
			t.Errorf("link %q, refused with 503, was saved", title)
		}
	}
	var charges apiList[apiCharge]
	apiJSON(t, c, skey, "GET", p.url+"/links/"+payable.ID+"/charges", nil, &charges)
	if len(charges.Data) != 1 || !charges.Data[0].Paid {
		t.Errorf("charges of the link paid once after the disk filled: %+v, want one paid", charges.Data)
	}
	t.Logf("%d links acknowledged, %d refused while the disk was full", len(acked), len(refused))
}

// storageCode reports whether code is one of the SQLite store's codes of
// a write the disk refused.
func storageCode(code string) bool { return code == "storage_full" || code == "storage_unavailable" }
