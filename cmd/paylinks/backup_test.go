package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// TestBackupUnderLoadAndRestore backs up a live database while clients
// keep creating links, restores the backup to a new file and finds in it
// every link whose creation was acknowledged before the backup began.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	srv := startRun(t, "sqlite:"+db)

	var (
		mu    sync.Mutex
		acked []string // link ids, in the order their creation was acknowledged
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	c := &http.Client{Timeout: 30 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				req := apiRequest(srv.skey, "POST", srv.url+"/links", url.Values{"amount": {"25000"}, "currency": {"thb"},
					"title": {"Backed up"}, "description": {"d"}})
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var l apiLink
				err = json.NewDecoder(resp.Body).Decode(&l)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("create: %d %v", resp.StatusCode, err)
					return
				}
				mu.Lock()
				acked = append(acked, l.ID)
				mu.Unlock()
			}
		}()
	}
	// Wait for the load to be under way by count, not by time: a loaded
	// machine (CI runs the suite under -race) may ack only a few links in
	// a fixed pause.
	acks := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	waitAcks := func(n int) {
		for deadline := time.Now().Add(time.Minute); acks() < n && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(50)
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	to := filepath.Join(dir, "backups", "paylinks.db")
	var out strings.Builder
	err := run(context.Background(), []string{"backup", "--db", "sqlite:" + db, "--to", to}, func(string) string { return "" }, &out, io.Discard)
	waitAcks(acks() + 20) // writes go on after the backup
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	mu.Lock()
	total := len(acked)
	mu.Unlock()
	if len(before) < 10 || total <= len(before) {
		t.Fatalf("load too light to test: %d links acknowledged before the backup, %d in all", len(before), total)
	}
	if err := run(context.Background(), []string{"backup", "--db", "sqlite:" + db, "--to", to}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("a second backup over the first was accepted")
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(dir, "restored", "paylinks.db")
	if err := run(context.Background(), []string{"restore", "--from", to, "--db", "sqlite:" + restored}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if err := run(context.Background(), []string{"restore", "--from", to, "--db", "sqlite:" + restored}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("restore over an existing database without --force was accepted")
	}
	if err := run(context.Background(), []string{"restore", "--from", db + "-nope", "--db", "sqlite:" + filepath.Join(dir, "x.db")}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("restore from a missing file was accepted")
	}

	st, err := sqlite.Open(context.Background(), restored)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.ListKeys(context.Background())
	if err != nil || len(keys) == 0 {
		t.Fatalf("restored keys: %v %v", keys, err)
	}
	account := keys[0].AccountID
	for _, s := range before {
		id, ok := paylinks.ParseBase36(strings.TrimPrefix(s, "link_test_"))
		if !ok {
			t.Fatalf("link id %q", s)
		}
		if _, err := st.GetLink(context.Background(), account, false, id); err != nil {
			t.Errorf("link %s, acknowledged before the backup began, is not in the restored copy: %v", s, err)
		}
	}
	t.Logf("%d links acknowledged before the backup, %d in all; all of the first found in the restored copy", len(before), total)
}

// TestBackupRefusals checks the errors of backup and restore that protect
// the operator: PostgreSQL is pointed to pg_dump, a file that is not a
// paylinks database is not restored, and nothing is touched then.
func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	err := run(context.Background(), []string{"backup", "--db", "postgres://x@127.0.0.1/none", "--to", filepath.Join(dir, "b.db")}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v, want a pointer to pg_dump", err)
	}
	if err := run(context.Background(), []string{"backup", "--db", "sqlite:" + filepath.Join(dir, "missing.db"), "--to", filepath.Join(dir, "b.db")}, noEnv, io.Discard, io.Discard); err == nil {
		t.Error("backup of a missing database was accepted")
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, just text"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.db")
	if err := run(context.Background(), []string{"restore", "--from", junk, "--db", "sqlite:" + target}, noEnv, io.Discard, io.Discard); err == nil {
		t.Error("restore of a file that is not a database was accepted")
	}
	other := filepath.Join(dir, "other.db")
	odb, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := odb.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	odb.Close()
	if err := run(context.Background(), []string{"restore", "--from", other, "--db", "sqlite:" + target}, noEnv, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "not a paylinks database") {
		t.Errorf("restore of another SQLite database: %v, want 'not a paylinks database'", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore left %s: %v", target, err)
	}
}
