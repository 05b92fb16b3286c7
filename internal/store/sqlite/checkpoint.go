package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/paylinks/paylinks"
)

// Deep offsets of the link list, as keyset seeks.
//
// An OFFSET steps through links_list entry by entry (~65 ns each), so a page
// at offset 9999 cost ~640 µs of CPU. The process keeps, per account and
// mode, every checkpointStep-th key (created_at, id) of the list of undeleted
// links in ascending order; a page at a deep offset seeks to the checkpoint
// before it and steps fewer than checkpointStep entries from there
// (measured: a page of 20 at a random offset below 10,000, 480 µs before,
// 150 µs after, where the page at offset 0 costs 125 µs).
//
// Checkpoints are read in one snapshot with link_counts (n, v). Several
// processes may share the file, so they are used only when link_counts, read
// in the page's own snapshot, has the same v (no entry moved since, see
// migration 00006) and an n at least as large (only links after every key
// were added since: the positions below the old n are the same).

// checkpointStep is the distance in entries between two checkpoints: a page
// steps through fewer than that many, and the checkpoints of a million links
// are 15,625 keys (375 KB).
const checkpointStep = 64

// refreshPace bounds the cost of refreshing checkpoints: after a refresh
// that took d, the next one (of any list) starts no sooner than
// refreshPace·d after the start of that one, so that under constant changes
// refreshing costs at most ~1/refreshPace of one core. Meanwhile, pages of a
// list whose checkpoints are out of date use the plain OFFSET.
const refreshPace = 20

// listID names one list of links: an account's undeleted links in a mode.
type listID struct {
	accountID paylinks.ID
	livemode  bool
}

// listKey is the position of a link in its list.
type listKey struct {
	createdAt int64
	id        paylinks.ID
}

// checkpoints are the keys of one list at every checkpointStep-th position,
// read in one snapshot: keys[i] is the entry at ascending position
// (i+1)·checkpointStep. They are never changed once published.
type checkpoints struct {
	n, v int64 // link_counts of that snapshot
	keys []listKey
}

// seek returns the checkpoint a page at offset of a list of n links in
// order starts from, and how many entries the page skips from it: ascending,
// the page is the entries >= key; descending, the entries < key. ok is false
// when no checkpoint is closer than the start of the list in the order. The
// caller has checked that the list has the checkpoints' v and n >= cp.n,
// and 0 <= offset < n.
func (cp *checkpoints) seek(n int64, offset int, order paylinks.Order) (key listKey, skip int, ok bool) {
	const step = checkpointStep
	if order == paylinks.ReverseChronological {
		// The page starts at ascending position q; the checkpoint is the
		// first one after it.
		q := n - 1 - int64(offset)
		i := q / step // keys[i] is at (i+1)·step > q
		if q < 0 || i >= int64(len(cp.keys)) {
			return listKey{}, 0, false
		}
		return cp.keys[i], int((i+1)*step - q - 1), true
	}
	// The last checkpoint at or before offset; past the last one (links
	// added since), the last one.
	i := min(offset/step, len(cp.keys)) - 1
	if i < 0 {
		return listKey{}, 0, false
	}
	return cp.keys[i], offset - (i+1)*step, true
}

// checkpointCache holds the checkpoints of the lists paged deep in this
// process and refreshes them in the background, one at a time. The zero
// value is ready; close it before closing the read pool.
type checkpointCache struct {
	mu         sync.Mutex
	lists      map[listID]*checkpoints
	refreshing bool
	next       time.Time // no refresh starts before
	closed     bool
	cancel     context.CancelFunc // of the running refresh
	wg         sync.WaitGroup
	// last is the link_counts (n, v) of each list as seek was last asked
	// with: a page's guess of them (listAtOnce).
	last map[listID][2]int64
}

// lastSeen returns the (n, v) seek was last called with for list.
func (c *checkpointCache) lastSeen(list listID) (n int, v int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	nv, ok := c.last[list]
	return int(nv[0]), nv[1], ok
}

// seek is checkpoints.seek on the checkpoints of list if they hold for a
// snapshot where link_counts is (n, v). When they are missing or out of
// date, or at least a checkpointStep of links were added since, it starts a
// refresh from db, paced by refreshPace.
func (c *checkpointCache) seek(db *DB, list listID, n, v int64, offset int, order paylinks.Order) (key listKey, skip int, ok bool) {
	c.mu.Lock()
	if c.last == nil {
		c.last = make(map[listID][2]int64)
	}
	c.last[list] = [2]int64{n, v}
	cp := c.lists[list]
	if cp == nil || cp.v != v || cp.n > n || n-cp.n >= checkpointStep {
		c.refreshLocked(db, list)
	}
	c.mu.Unlock()
	if cp == nil || cp.v != v || cp.n > n {
		return listKey{}, 0, false
	}
	return cp.seek(n, offset, order)
}

// refreshLocked starts refreshing the checkpoints of list in the background
// unless a refresh is running or the pace forbids one yet. c.mu is held.
func (c *checkpointCache) refreshLocked(db *DB, list listID) {
	if c.closed || c.refreshing || time.Now().Before(c.next) {
		return
	}
	c.refreshing = true
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.wg.Go(func() {
		defer cancel()
		start := time.Now()
		// An error leaves the checkpoints as they were: pages use the
		// plain OFFSET, which reports any fault of the database itself.
		_ = c.refresh(ctx, db, list)
		c.mu.Lock()
		c.refreshing = false
		c.next = start.Add(refreshPace * time.Since(start))
		c.mu.Unlock()
	})
}

// refresh reads the checkpoints of list from db and publishes them. When
// only links after every key were added since the last ones were read, it
// reads only the checkpoints among those.
func (c *checkpointCache) refresh(ctx context.Context, db *DB, list listID) error {
	c.mu.Lock()
	prev := c.lists[list]
	c.mu.Unlock()
	cp, err := db.readCheckpoints(ctx, list, prev)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Refreshes run one at a time, but a test may call refresh too: keep
	// the later snapshot (v only grows, and n grows while v stays).
	if cur := c.lists[list]; cur == nil || cur.v < cp.v || cur.v == cp.v && cur.n <= cp.n {
		if c.lists == nil {
			c.lists = make(map[listID]*checkpoints)
		}
		c.lists[list] = cp
	}
	return nil
}

// close stops a running refresh and waits for it.
func (c *checkpointCache) close() {
	c.mu.Lock()
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Reading checkpoints: link_counts, then from the last known checkpoint (or
// the start) each next one with a seek and an OFFSET of checkpointStep
// within links_list, one query per checkpoint, all in one snapshot. Cheaper
// than reading every key through database/sql (~780 ns per link): 1.8 ms for
// 10,000 links, 42 ms for 100,000 (BenchmarkListLinksOffset).
const (
	checkpointCountSQL = `SELECT n, v FROM link_counts WHERE account_id = ? AND livemode = ?`
	checkpointFirstSQL = `SELECT created_at, id FROM links WHERE account_id = ? AND livemode = ? AND deleted_at IS NULL
		ORDER BY created_at, id LIMIT 1 OFFSET ?+0`
	checkpointNextSQL = `SELECT created_at, id FROM links WHERE account_id = ? AND livemode = ? AND deleted_at IS NULL
		AND (created_at, id) >= (?, ?) ORDER BY created_at, id LIMIT 1 OFFSET ?+0`
)

// readCheckpoints reads the checkpoints of list in one snapshot, extending
// prev when they still hold for it.
func (db *DB) readCheckpoints(ctx context.Context, list listID, prev *checkpoints) (*checkpoints, error) {
	count, err := db.rstmts.prepare(ctx, checkpointCountSQL)
	if err != nil {
		return nil, err
	}
	first, err := db.rstmts.prepare(ctx, checkpointFirstSQL)
	if err != nil {
		return nil, err
	}
	next, err := db.rstmts.prepare(ctx, checkpointNextSQL)
	if err != nil {
		return nil, err
	}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cp := &checkpoints{}
	account := idArg(list.accountID)
	err = tx.StmtContext(ctx, count).QueryRowContext(ctx, account, list.livemode).Scan(&cp.n, &cp.v)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, nil // no link was ever listed
	}
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.v == cp.v && prev.n <= cp.n {
		// Copied: prev.keys may be read by pages right now.
		cp.keys = append(make([]listKey, 0, cp.n/checkpointStep), prev.keys...)
	} else {
		cp.keys = make([]listKey, 0, cp.n/checkpointStep)
	}
	first, next = tx.StmtContext(ctx, first), tx.StmtContext(ctx, next)
	for int64(len(cp.keys)+1)*checkpointStep < cp.n {
		var k listKey
		var row *sql.Row
		if len(cp.keys) == 0 {
			row = first.QueryRowContext(ctx, account, list.livemode, checkpointStep)
		} else {
			last := cp.keys[len(cp.keys)-1]
			row = next.QueryRowContext(ctx, account, list.livemode, last.createdAt, last.id[:], checkpointStep)
		}
		if err := row.Scan(&k.createdAt, &k.id); err != nil {
			return nil, err // sql.ErrNoRows: n is not the number of links
		}
		cp.keys = append(cp.keys, k)
	}
	return cp, nil
}
