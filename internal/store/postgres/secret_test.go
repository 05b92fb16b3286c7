package postgres_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestServerSecretRace: callers on two pools (two replicas) ask for one
// missing secret at once, each with its own value; all get the one stored.
func TestServerSecretRace(t *testing.T) {
	t.Parallel()
	dbs := twoReplicas(t)
	const n = 40
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = dbs[i%2].ServerSecret(t.Context(), "checkout", func() ([]byte, error) {
				return fmt.Appendf(nil, "secret of caller %d", i), nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("caller %d (pool %d) got %q, caller 0 got %q; want one secret for all", i, i%2, got[i], got[0])
		}
	}
}
